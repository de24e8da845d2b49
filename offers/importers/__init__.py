"""Importers of the care-offer registry, following the territories import contract.

* FINESS extract in the official etalab layout (cs1100507: ``structureet`` and
  ``geolocalisation`` records, Lambert-93 coordinates) → MSP, centres de santé, CPTS, hospitals.
* The real public-hospital extract (a column subset of cs1100507, no coordinates): each site is
  placed at its commune's reference point, ``location_precision=COMMUNE``.
* GP supply per commune: SIRENE 86.21Z establishments (a proxy, COG 2019 codes) or an
  Annuaire santé / RPPS extraction (practitioners). The SIRENE run also stores, from the same
  file (column ``hopital``), the establishments of NAF 86.10Z « activités hospitalières » per
  commune (:class:`~offers.models.HospitalActivity`, a proxy used for « pôles hospitaliers »).
* ARS zonage médecins (ZIP / ZAC / HZ / ZAR and ZRR), per set of départements.

Idempotency: a re-run on the same file writes nothing. Offers are matched on their FINESS
établissement number; a field edited by hand since the last import is never overwritten: the
difference is recorded as an :class:`~offers.models.ImportConflict` for review. Offers absent from
a new file are listed in the report, never deleted or closed automatically.
"""

from offers.importers.finess import decode_finess, import_finess
from offers.importers.gp_supply import import_gp_supply, latest_hospital_activity_dataset
from offers.importers.hospitals import import_hospitals
from offers.importers.sources import (
    DEFAULT_DIR,
    FINESS,
    GP_SOURCES,
    HOSPITALS,
    HOSPITALS_FILE,
    RPPS,
    SIRENE,
    SIRENE_FILE,
    ZONAGE,
    ZONAGE_FILE,
)
from offers.importers.sync import apply_value, sync_offers
from offers.importers.zonage import current_zoning_rows, import_zonage

__all__ = [
    "DEFAULT_DIR",
    "FINESS",
    "GP_SOURCES",
    "HOSPITALS",
    "HOSPITALS_FILE",
    "RPPS",
    "SIRENE",
    "SIRENE_FILE",
    "ZONAGE",
    "ZONAGE_FILE",
    "apply_value",
    "current_zoning_rows",
    "decode_finess",
    "import_finess",
    "import_gp_supply",
    "import_hospitals",
    "import_zonage",
    "latest_hospital_activity_dataset",
    "sync_offers",
]
