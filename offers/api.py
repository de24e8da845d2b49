"""Read-only API of the offers app for other apps (indicators): no side effects.

    current_gp_supply() -> (DataFrame[commune_code, headcount, fte, share_aged_60_plus], Dataset | None)
    emergency_sites() -> DataFrame[offer_id, name, commune_code, lon, lat, location_precision, basis]
    current_zoning() -> {commune_code: (zone, zrr)}

Emergency sites are the open offers of kind EMERGENCY plus the open hospitals whose
``emergency_basis`` is set. The real public-hospital file has no emergency authorisations: a few
sites are flagged by their NAME (« URGENCES » / « SMUR ») and the other general-hospital sites
(« C.H. ») by an explicit PROXY (the import report gives both counts). Access times built on it
are estimates: not every CH site runs urgences, and the file has neither CHU/CHR nor private
clinics (times are overstated around university cities).
"""

import numpy as np
import pandas as pd
from django.db.models import Q

from territories.models import Commune, Dataset

from .importers import GP_SOURCES, current_zoning_rows
from .models import GPSupply, Offer

GP_COLUMNS = ["commune_code", "headcount", "fte", "share_aged_60_plus"]


def current_gp_dataset() -> Dataset | None:
    """The latest successful GP-supply dataset holding rows, a real RPPS import winning over the
    SIRENE proxy (a synthetic RPPS sample never wins)."""
    candidates = (
        Dataset.objects.filter(
            source__in=GP_SOURCES, status=Dataset.Status.SUCCEEDED, gp_supply__isnull=False
        )
        .distinct()
        .order_by("-started_at", "-pk")
    )
    real = [d for d in candidates if d.source == "rpps-annuaire-sante" and not d.is_synthetic]
    if real:
        return real[0]
    proxy = [d for d in candidates if d.source == "sirene-86-21z" and not d.is_synthetic]
    if proxy:
        return proxy[0]
    return candidates[0] if candidates else None


def current_gp_supply(include_arrondissements: bool = False) -> tuple[pd.DataFrame, Dataset | None]:
    """GP supply per commune (arrondissements excluded unless asked: their commune carries the sum)."""
    dataset = current_gp_dataset()
    if dataset is None:
        return pd.DataFrame({c: pd.Series(dtype=float) for c in GP_COLUMNS}).astype(
            {"commune_code": str}
        ), None
    rows = GPSupply.objects.filter(dataset=dataset)
    if not include_arrondissements:
        rows = rows.exclude(commune__kind=Commune.Kind.ARRONDISSEMENT)
    frame = pd.DataFrame(
        list(rows.values_list("commune_id", "headcount", "fte", "share_aged_60_plus")), columns=GP_COLUMNS
    )
    frame["commune_code"] = frame["commune_code"].astype(str)
    for column in GP_COLUMNS[1:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame.sort_values("commune_code", ignore_index=True), dataset


def emergency_sites() -> pd.DataFrame:
    offers = (
        Offer.objects.filter(status=Offer.Status.OPEN)
        .filter(
            Q(kind=Offer.Kind.EMERGENCY)
            | (Q(kind=Offer.Kind.HOSPITAL) & ~Q(emergency_basis=Offer.EmergencyBasis.NONE))
        )
        .exclude(location=None)
        .order_by("pk")
    )
    records = [
        (o.pk, o.name, o.commune_id, o.location.x, o.location.y, o.location_precision, o.emergency_basis)
        for o in offers.only("pk", "name", "commune_id", "location", "location_precision", "emergency_basis")
    ]
    frame = pd.DataFrame(
        records, columns=["offer_id", "name", "commune_code", "lon", "lat", "location_precision", "basis"]
    )
    frame["lon"] = frame["lon"].astype(np.float64)
    frame["lat"] = frame["lat"].astype(np.float64)
    return frame


def current_zoning() -> dict[str, tuple[str, bool | None]]:
    """Commune code → (zone ZIP/ZAC/HZ/ZAR, ZRR or None) from the latest import covering it.

    Arrondissements keep their own entry; their parent commune gets one too when all its imported
    arrondissements share the same classification.
    """
    zoning = current_zoning_rows()
    parents = dict(
        Commune.objects.filter(code__in=list(zoning), kind=Commune.Kind.ARRONDISSEMENT).values_list(
            "code", "parent_id"
        )
    )
    by_parent = {}
    for code, parent in parents.items():
        by_parent.setdefault(parent, set()).add(zoning[code])
    for parent, values in by_parent.items():
        if parent not in zoning and len(values) == 1:
            zoning[parent] = next(iter(values))
    return zoning
