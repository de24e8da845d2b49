"""Read-only API of the offers app for other apps (indicators): no side effects.

    current_gp_supply() -> (DataFrame[commune_code, headcount, fte, share_aged_60_plus], Dataset | None)
    emergency_sites() -> DataFrame[offer_id, name, commune_code, lon, lat, location_precision, basis]
    emergency_site_datasets(sites=None) -> list[Dataset]   (provenance of emergency_sites())
    hospital_poles() -> DataFrame[commune_code, name, establishments, lon, lat]
    current_zoning() -> {commune_code: (zone, zrr)}

Emergency sites come from two sources, both estimates:

1. The registry: open offers of kind EMERGENCY plus open hospitals whose ``emergency_basis`` is
   set. The real public-hospital file has no emergency authorisations: a few sites are flagged by
   their NAME (« URGENCES » / « SMUR ») and the other general-hospital sites (« C.H. ») by an
   explicit PROXY (the import report gives both counts). That file has neither CHU/CHR nor
   private clinics, so on its own it puts university cities far from emergency care.
2. « Pôles hospitaliers », a second explicit PROXY (``basis`` = ``"sirene_pole"``): a commune
   counting at least ``POLE_HOSPITALIER_MIN_ESTABLISHMENTS`` (10) SIRENE establishments of NAF
   86.10Z « activités hospitalières » (:class:`~offers.models.HospitalActivity`, SIRENE stock
   2019, imported with the GP supply) counts as one emergency site at its reference point, unless
   the registry already has an emergency site in that commune. These are NOT Offer rows: they
   have no ``offer_id`` (None). This fixes the missing CHU/CHR (Rennes, Orléans, Angers…) but
   overstates emergency presence in mid-size towns whose clinics, SSR, dialysis or psychiatric
   establishments reach the threshold without any urgences.

Access times built on these sites are estimates, not the official list of authorised services.
"""

import numpy as np
import pandas as pd
from django.db.models import Count, Exists, OuterRef, Q

from offers.importers import GP_SOURCES, SIRENE, current_zoning_rows, latest_hospital_activity_dataset
from offers.models import (
    FINESS_SOURCES,
    POLE_HOSPITALIER_BASIS,
    POLE_HOSPITALIER_MIN_ESTABLISHMENTS,
    GPSupply,
    HospitalActivity,
    Offer,
)
from territories.models import Commune, Dataset, lon_lat
from territories.web.memo import per_request

GP_COLUMNS = ["commune_code", "headcount", "fte", "share_aged_60_plus", "aged_65_plus"]
GP_FIELDS = ["commune_id", "headcount", "fte", "share_aged_60_plus", "aged_65_plus"]
SITE_COLUMNS = ["offer_id", "name", "commune_code", "lon", "lat", "location_precision", "basis"]
POLE_COLUMNS = ["commune_code", "name", "establishments", "lon", "lat"]


@per_request
def zone_offer_counts(zone) -> dict:
    """Open offers of the zone (by their commune), in one query: {"by_kind": {kind: n},
    "finess_hospitals": hospital sites from a FINESS file, "synthetic": offers of a sample}."""
    in_zone, _perimeter = zone_offer_conditions(zone)
    counts = {"by_kind": {}, "finess_hospitals": 0, "synthetic": 0}
    groups = (
        Offer.objects.filter(in_zone)
        .exclude(status=Offer.Status.CLOSED)
        .order_by()
        .values_list("kind", "dataset__source", "dataset__is_synthetic")
        .annotate(n=Count("pk"))
    )
    for kind, source, is_synthetic, n in groups:
        counts["by_kind"][kind] = counts["by_kind"].get(kind, 0) + n
        if kind == Offer.Kind.HOSPITAL and source in FINESS_SOURCES:
            counts["finess_hospitals"] += n
        if is_synthetic:
            counts["synthetic"] += n
    return counts


def zone_offer_conditions(zone) -> tuple[Q, Q]:
    """Conditions on offers for a zone: (their commune is in it, their perimeter reaches it).
    The zone's own link when it has one (département, région, EPCI…: no list of thousands of
    codes, no subquery per count), else its communes and their arrondissements."""
    if zone is None:
        return Q(), Q()
    lookup = getattr(zone, "commune_lookup", "")
    if lookup:
        return (
            Q(**{f"commune__{lookup}": zone, "commune__is_active": True}),
            Q(**{f"perimeter__{lookup}": zone, "perimeter__is_active": True}),
        )
    # a commune, a drawn perimeter: its communes and their arrondissements, one subquery (UNION
    # ALL, read by index; two ORed conditions across the join read every offer)
    codes = zone.communes().order_by().values("code")
    arrondissements = Commune.objects.filter(parent__in=codes).order_by().values("code")
    return Q(commune__in=codes.union(arrondissements, all=True)), Q(perimeter__in=codes)


@per_request
def current_gp_dataset() -> Dataset | None:
    """The latest successful GP-supply dataset holding rows, a real RPPS import winning over the
    SIRENE proxy (a synthetic RPPS sample never wins)."""
    # EXISTS, not a join with DISTINCT: the datasets' reports are large JSON documents.
    candidates = (
        Dataset.objects.filter(source__in=GP_SOURCES, status=Dataset.Status.SUCCEEDED)
        # EXISTS in the select list: one index probe per dataset (as a filter the planner hashes
        # every supply row: 20,000 rows read for a yes)
        .annotate(holds_rows=Exists(GPSupply.objects.filter(dataset=OuterRef("pk"))))
        .order_by("-started_at", "-pk")
    )
    candidates = [d for d in candidates if d.holds_rows]
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
        return pd.DataFrame(
            {c: pd.Series(dtype=float) for c in GP_COLUMNS} | {"ages": pd.Series(dtype=object)}
        ).astype({"commune_code": str}), None
    rows = GPSupply.objects.filter(dataset=dataset)
    if not include_arrondissements:
        rows = rows.exclude(commune__kind=Commune.Kind.ARRONDISSEMENT)
    frame = pd.DataFrame(list(rows.values_list(*GP_FIELDS, "ages")), columns=[*GP_COLUMNS, "ages"])
    frame["commune_code"] = frame["commune_code"].astype(str)
    for column in GP_COLUMNS[1:]:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float)
    return frame.sort_values("commune_code", ignore_index=True), dataset


@per_request
def current_hospital_activity_dataset() -> Dataset | None:
    """The latest successful SIRENE dataset holding 86.10Z counts, a real file winning over a
    synthetic sample."""
    return latest_hospital_activity_dataset(
        SIRENE.source, include_synthetic=False
    ) or latest_hospital_activity_dataset(SIRENE.source)


def hospital_poles(min_establishments: int = POLE_HOSPITALIER_MIN_ESTABLISHMENTS) -> pd.DataFrame:
    """Communes counting at least ``min_establishments`` SIRENE establishments 86.10Z (proxy).

    One row per commune (arrondissements of Paris, Lyon, Marseille on their own, as in the
    source), with the commune's name and reference point (NaN when it has none).
    """
    dataset = current_hospital_activity_dataset()
    rows = []
    if dataset is not None:
        rows = list(
            HospitalActivity.objects.filter(
                dataset=dataset, establishments__gte=min_establishments, commune__is_active=True
            )
            .order_by("commune_id")
            .annotate(**lon_lat("commune__point"))
            .values_list("commune_id", "commune__name", "establishments", "lon", "lat")
        )
    frame = pd.DataFrame(rows, columns=POLE_COLUMNS)
    frame["lon"] = frame["lon"].astype(np.float64)
    frame["lat"] = frame["lat"].astype(np.float64)
    frame["establishments"] = frame["establishments"].astype(np.int64)
    frame.attrs["dataset"] = dataset
    return frame


def pole_site_name(commune_name: str, establishments: int) -> str:
    return (
        f"Pôle hospitalier (proxy SIRENE 86.10Z, {establishments} établissement"
        f"{'s' if establishments > 1 else ''}) — {commune_name}"
    )


def registry_emergency_offers():
    """Open, located registry offers that are emergency sites (kind EMERGENCY, or a hospital with
    an ``emergency_basis``)."""
    return (
        Offer.objects.filter(status=Offer.Status.OPEN)
        .filter(
            Q(kind=Offer.Kind.EMERGENCY)
            | (Q(kind=Offer.Kind.HOSPITAL) & ~Q(emergency_basis=Offer.EmergencyBasis.NONE))
        )
        .exclude(location=None)
    )


def emergency_sites(include_hospital_poles: bool = True) -> pd.DataFrame:
    """Registry emergency sites, then pôles hospitaliers (proxy) of communes without one.

    ``offer_id`` is an object column holding ints for registry sites and None for pôles (never
    NaN, so ``list(frame["offer_id"])`` can go into a ``pk__in`` lookup, which ignores None).
    ``basis`` is the registry's ``emergency_basis`` or ``"sirene_pole"``.
    """
    offers = registry_emergency_offers().order_by("pk")
    records = list(
        offers.annotate(**lon_lat("location")).values_list(
            "pk", "name", "commune_id", "lon", "lat", "location_precision", "emergency_basis"
        )
    )
    if include_hospital_poles:
        covered = {r[2] for r in records}
        poles = hospital_poles()
        for pole in poles.itertuples(index=False):
            if pole.commune_code in covered:
                continue  # the commune already has an emergency site (any basis): no duplicate
            located = not (np.isnan(pole.lon) or np.isnan(pole.lat))
            records.append(
                (
                    None,
                    pole_site_name(pole.name, int(pole.establishments)),
                    pole.commune_code,
                    pole.lon,
                    pole.lat,
                    Offer.LocationPrecision.COMMUNE if located else "",
                    POLE_HOSPITALIER_BASIS,
                )
            )
    frame = pd.DataFrame(records, columns=SITE_COLUMNS)
    frame["offer_id"] = pd.Series([r[0] for r in records], dtype=object)
    frame["lon"] = frame["lon"].astype(np.float64)
    frame["lat"] = frame["lat"].astype(np.float64)
    return frame


def emergency_site_datasets(sites: pd.DataFrame | None = None) -> list[Dataset]:
    """The datasets behind ``sites`` (default: ``emergency_sites()``): the import datasets of the
    registry offers, plus the SIRENE dataset of the 86.10Z counts when a pôle hospitalier is used."""
    if sites is None:
        sites = emergency_sites()
    offer_ids = [int(i) for i in sites["offer_id"] if i is not None and not pd.isna(i)]
    ids = set(
        Offer.objects.filter(pk__in=offer_ids, dataset__isnull=False).values_list("dataset_id", flat=True)
    )
    if (sites["basis"] == POLE_HOSPITALIER_BASIS).any():
        dataset = current_hospital_activity_dataset()
        if dataset is not None:
            ids.add(dataset.pk)
    return list(Dataset.objects.filter(pk__in=ids).order_by("pk"))


def current_zoning() -> dict[str, tuple[str, bool | None]]:
    """Commune code → (zone ZIP/ZAC/HZ/ZAR, ZRR or None) from the latest import covering it.

    Arrondissements keep their own entry; their parent commune gets one too when all its imported
    arrondissements share the same classification.
    """
    zoning = current_zoning_rows()
    arrondissements = Commune.objects.filter(kind=Commune.Kind.ARRONDISSEMENT)
    arrondissements = arrondissements.values_list("code", "parent_id")
    parents = {code: parent for code, parent in arrondissements if code in zoning}
    by_parent = {}
    for code, parent in parents.items():
        by_parent.setdefault(parent, set()).add(zoning[code])
    for parent, values in by_parent.items():
        if parent not in zoning and len(values) == 1:
            zoning[parent] = next(iter(values))
    return zoning
