"""Pages of the proposals app, one module per page family: programmes (programmes, measures,
sources, comparison), consultations (working groups, consultations), contributions, texts
(the orientation text), amendments, votes; exports (the downloads) and posting (rate limit,
refusal page) serve them all. The views the URLs name are re-exported here."""

from proposals.views.consultations import (
    consultation_create,
    consultation_detail,
    consultation_edit,
    consultation_export,
    consultation_phase,
    group_detail,
    group_list,
)
from proposals.views.contributions import (
    contribution_comment,
    contribution_create,
    contribution_detail,
    contribution_edit,
    contribution_moderate,
    contribution_support,
)
from proposals.views.posting import limited_posting, refuse
from proposals.views.programmes import (
    compare,
    index,
    measure_detail,
    measures_export,
    programme_detail,
    source_document,
)

__all__ = [
    "compare",
    "consultation_create",
    "consultation_detail",
    "consultation_edit",
    "consultation_export",
    "consultation_phase",
    "contribution_comment",
    "contribution_create",
    "contribution_detail",
    "contribution_edit",
    "contribution_moderate",
    "contribution_support",
    "group_detail",
    "group_list",
    "index",
    "limited_posting",
    "measure_detail",
    "measures_export",
    "programme_detail",
    "refuse",
    "source_document",
]
