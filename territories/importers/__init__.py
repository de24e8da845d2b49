"""Importers of the territorial base (COG 2026, BV2022/AAV2020, IGN outlines and points).

Idempotency contract (see ``territories.importing.contract``): a re-run on the same files writes nothing;
communes, EPCI and zones absent from a newer file are marked obsolete, never deleted; codes of
different COG years are mapped through the old codes of the COG (``anciensCodes``, communes
déléguées and associées) and every code that cannot be matched is counted and listed in the
dataset report.
"""

from pathlib import Path

from territories.importers.cog import import_cog
from territories.importers.coverage import (
    Coverage,
    check_coverage,
    departement_of,
    is_departement,
    loaded_departements,
    refuse_unknown,
    split_unknown,
)
from territories.importers.geometries import import_geometries
from territories.importers.outlines import build_zone_outlines
from territories.importers.sources import (
    COG,
    DEFAULT_DIR,
    FILES,
    GEO,
    POPULATION_YEAR,
    SUPRACOM,
    CodeResolver,
    path_of,
)
from territories.importers.supracom import import_supracom
from territories.importers.tvs import import_tvs, tvs_source


def import_territories(directory: Path = DEFAULT_DIR, dry_run: bool = False, **options):
    """The whole territorial base, in order; each source is its own atomic, recorded import.

    ``options``: ``partial``, ``ignore_unknown``, ``repair`` (outlines), ``files`` (name → path).
    """
    partial, files = options.get("partial", False), options.get("files")
    ignore_unknown = options.get("ignore_unknown", False)
    return [
        import_cog(directory, dry_run, partial=partial, files=files),
        import_supracom(directory, dry_run, partial=partial, ignore_unknown=ignore_unknown, files=files),
        import_geometries(
            directory,
            dry_run,
            partial=partial,
            repair=options.get("repair", False),
            ignore_unknown=ignore_unknown,
            files=files,
        ),
    ]


__all__ = [
    "COG",
    "CodeResolver",
    "Coverage",
    "DEFAULT_DIR",
    "FILES",
    "GEO",
    "POPULATION_YEAR",
    "SUPRACOM",
    "build_zone_outlines",
    "check_coverage",
    "departement_of",
    "import_cog",
    "import_geometries",
    "import_supracom",
    "import_tvs",
    "is_departement",
    "loaded_departements",
    "path_of",
    "refuse_unknown",
    "split_unknown",
    "tvs_source",
]
