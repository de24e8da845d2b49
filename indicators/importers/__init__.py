"""Importers of the indicators app, one source per module: ``time_matrix`` (a commune-to-commune
distancier), ``drees_apl`` (the official APL per commune), ``age_structure`` (population by age
band), ``age_weights`` (consumption weights per age band); ``uploads`` runs them for the files
administrators upload. Every one follows the territories import contract
(``territories.importing.contract``). The names other modules use are re-exported here.
"""

from indicators.importers.age_structure import (
    AGE_STRUCTURE_SOURCE,
    age_structure_source,
    import_age_structure,
    is_synthetic_name,
)
from indicators.importers.age_weights import (
    AGE_WEIGHTS_SOURCE,
    age_weights_source,
    import_age_weights,
    import_drees_age_weights,
)
from indicators.importers.drees_apl import (
    DREES_APL_SOURCE,
    _commune_code,
    _read_drees_workbook,
    drees_apl_source,
    import_drees_apl,
    normalize_header,
)
from indicators.importers.time_matrix import import_time_matrix, matrix_source

__all__ = [
    "AGE_STRUCTURE_SOURCE",
    "AGE_WEIGHTS_SOURCE",
    "DREES_APL_SOURCE",
    "_commune_code",
    "_read_drees_workbook",
    "age_structure_source",
    "age_weights_source",
    "drees_apl_source",
    "import_age_structure",
    "import_age_weights",
    "import_drees_age_weights",
    "import_drees_apl",
    "import_time_matrix",
    "is_synthetic_name",
    "matrix_source",
    "normalize_header",
]
