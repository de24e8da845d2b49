"""Pages of the indicators app, one module per page family: definitions, runs (with progress and
diff), maps, what-if, uploads, dashboard (ranking, comparison, exports, fiche).

Reading a page never computes: every figure comes from the stored current run. The what-if
view computes in memory from the cached catchment and writes nothing.
"""

from indicators.views.dashboard import (
    compare_view,
    evolution_export,
    fiche_view,
    key_figures_export,
    ranking_view,
)
from indicators.views.definitions import definition_detail, index
from indicators.views.maps import classes_geojson, france_geojson
from indicators.views.runs import (
    run_detail,
    run_diff,
    run_discard,
    run_list,
    run_publish,
    run_status,
    run_trigger,
)
from indicators.views.simulate import simulate_view
from indicators.views.uploads import upload_detail, upload_list, upload_status

__all__ = [
    "classes_geojson",
    "compare_view",
    "definition_detail",
    "evolution_export",
    "fiche_view",
    "france_geojson",
    "index",
    "key_figures_export",
    "ranking_view",
    "run_detail",
    "run_diff",
    "run_discard",
    "run_list",
    "run_publish",
    "run_status",
    "run_trigger",
    "simulate_view",
    "upload_detail",
    "upload_list",
    "upload_status",
]
