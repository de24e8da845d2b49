"""The « Offre de soins » section of territory pages (registered in OffersConfig.ready)."""

from django.db.models import Count, Q, Sum

from offers.api import (
    current_gp_dataset,
    current_hospital_activity_dataset,
    registry_emergency_offers,
    zone_offer_conditions,
    zone_offer_counts,
)
from offers.importers import current_zoning_rows
from offers.models import (
    HOSPITAL_FROM_FINESS_LABEL,
    POLE_HOSPITALIER_MIN_ESTABLISHMENTS,
    DoctorZoning,
    GPSupply,
    HospitalActivity,
    Offer,
)
from offers.registry import REGISTRY_KINDS, registry_state, registry_states
from territories.models import Commune, Dataset
from territories.web.memo import per_request
from territories.zones import level_of, zone_stats

MAX_LISTED = 100
# the columns of the list of offers (offers_tags.offer_rows): no model instance per row
LISTED_FIELDS = ("pk", "name", "kind", "status", "commune__name", "dataset__source", "dataset__is_synthetic")
OUTLINES = ("commune__geometry", "commune__geometry_simplified")  # never shown by the section


def offer_section(request, zone):
    try:
        level = level_of(zone)
    except KeyError:
        return None
    communes = zone.communes()
    commune_codes = communes.order_by().values("code")  # a subquery: no parameter per commune
    # the zone's own link (a région's offers by their département, not a union of its communes)
    in_zone, perimeter_in_zone = zone_offer_conditions(zone)
    offers = Offer.objects.filter(in_zone).exclude(status=Offer.Status.CLOSED)
    summary = zone_offer_counts(zone)  # shared with the « Offre de soins » card
    by_kind, synthetic = summary["by_kind"], summary["synthetic"]
    hospitals_from_finess = summary["finess_hospitals"]
    kind_labels = dict(Offer.Kind.choices)
    if hospitals_from_finess and hospitals_from_finess == by_kind.get(Offer.Kind.HOSPITAL):
        kind_labels[Offer.Kind.HOSPITAL] = HOSPITAL_FROM_FINESS_LABEL
    cpts = (
        Offer.objects.filter(perimeter_in_zone, kind=Offer.Kind.CPTS)
        .exclude(status=Offer.Status.CLOSED)
        .distinct()
        .select_related("dataset")
        .order_by("name")
    )
    registry = registry_state(zone)
    states = registry_states(zone, REGISTRY_KINDS)
    listed = offers.order_by("kind", "name", "pk").values_list(*LISTED_FIELDS)
    dataset = current_gp_dataset()
    gp = None
    if dataset is not None:
        # by subquery: as fast as a join on PostGIS, 4× faster on SpatiaLite for a région
        rows = GPSupply.objects.filter(dataset=dataset, commune__in=commune_codes)
        if isinstance(zone, Commune) and zone.kind == Commune.Kind.ARRONDISSEMENT:
            rows = GPSupply.objects.filter(dataset=dataset, commune=zone)
        gp = rows.aggregate(headcount=Sum("headcount"), communes=Count("pk"))
        gp["dataset"] = dataset
        population = zone_stats(zone)["population"]
        if gp["headcount"] is not None and population:
            gp["per_100000"] = gp["headcount"] / population * 100_000
    zoning_codes = commune_codes
    if isinstance(zone, Commune):  # itself and its arrondissements, shared with the class card
        zoning = _commune_rows(zone)
        zoning_codes = list(zoning)
    else:
        zoning = _zone_zoning_rows(zone)
    zoning_summary = None
    if zoning:
        labels = dict(DoctorZoning.Zone.choices)
        counts = {}
        for zone_code, _zrr in zoning.values():
            counts[zone_code] = counts.get(zone_code, 0) + 1
        zoning_summary = {
            "by_zone": [(labels[z], z, counts[z]) for z in DoctorZoning.Zone.values if z in counts],
            "zrr": sum(1 for _z, zrr in zoning.values() if zrr),
            "communes": len(zoning),
            "single": zoning.get(zone.pk) if isinstance(zone, Commune) else None,
            "datasets": DoctorZoning.objects.filter(
                commune__in=zoning_codes, dataset__status=Dataset.Status.SUCCEEDED
            )
            .values_list("dataset__millesime", flat=True)
            .distinct(),
        }
    return {
        "title": "Offre de soins",
        "order": 20,
        "template": "offers/zone_section.html",
        "context": {
            "zone": zone,
            "level": level,
            "counts": [
                (
                    value,
                    kind_labels[value],
                    by_kind.get(value, 0),
                    states[value].text if value in REGISTRY_KINDS else "",
                    states[value].caveat if value in REGISTRY_KINDS else "",
                )
                for value in Offer.Kind.values
            ],
            "registry": registry,
            "can_import": superuser_facet(request) == "oui",  # a registered facet (OffersConfig)
            "synthetic": synthetic,
            "total": sum(by_kind.values()),
            "offers": list(listed[:MAX_LISTED]),
            "more": max(0, sum(by_kind.values()) - MAX_LISTED),
            "cpts": cpts,
            "gp": gp,
            "zoning": zoning_summary,
            "poles": _hospital_poles(in_zone),
        },
    }


def superuser_facet(request) -> str:
    """What the shared section reads of its visitor: may she import (a FINESS extraction)?"""
    return "oui" if request.user.is_superuser else "non"


def _hospital_poles(in_zone: Q) -> dict | None:
    """Pôles hospitaliers (SIRENE 86.10Z proxy) of the zone, and whether each one is counted as an
    emergency site (it is not when the registry already has one in the commune)."""
    dataset = current_hospital_activity_dataset()
    if dataset is None:
        return None
    rows = list(
        HospitalActivity.objects.filter(
            in_zone,
            dataset=dataset,
            establishments__gte=POLE_HOSPITALIER_MIN_ESTABLISHMENTS,
            commune__is_active=True,
        )
        .select_related("commune")
        .defer(*OUTLINES)
        .order_by("commune__name", "commune_id")
    )
    covered = set(
        registry_emergency_offers()
        .filter(commune__in=[r.commune_id for r in rows])
        .values_list("commune_id", flat=True)
    )
    return {
        "threshold": POLE_HOSPITALIER_MIN_ESTABLISHMENTS,
        "dataset": dataset,
        "rows": [
            {"commune": r.commune, "establishments": r.establishments, "counted": r.commune_id not in covered}
            for r in rows
        ],
    }


# --- The ARS zonage of any zone in one line (the class card of territory pages) ---------------
# A département or bassin de vie sums its communes; a commune reads its own or its arrondissements'.

SHORT = {"ZIP": "en ZIP", "ZAC": "en ZAC", "HZ": "hors zonage", "ZAR": "en ZAR"}


def zoning_line(zone) -> str:
    if isinstance(zone, Commune):
        rows, total = _commune_rows(zone), 1
    else:
        rows, total = _zone_zoning_rows(zone), zone_stats(zone)["count"]
    if not rows:
        return "zonage ARS médecins : non chargé pour ce territoire"
    labels = dict(DoctorZoning.Zone.choices)
    if isinstance(zone, Commune) and zone.code in rows:
        kind, zrr = rows[zone.code]
        return f"zonage ARS médecins : {labels[kind].lower()} ({kind})" + (", commune en ZRR" if zrr else "")
    counts = {}
    for kind, _zrr in rows.values():
        counts[kind] = counts.get(kind, 0) + 1
    parts = [f"{counts[k]} {SHORT[k]}" for k in DoctorZoning.Zone.values if k in counts]
    what = "arrondissements" if isinstance(zone, Commune) else "communes"
    if isinstance(zone, Commune) or len(rows) == total:
        return f"zonage ARS médecins : {', '.join(parts)} ({len(rows)} {what})"
    return f"zonage ARS médecins (chargé pour {_n(len(rows))} communes sur {_n(total)}) : {', '.join(parts)}"


@per_request
def _zone_zoning_rows(zone) -> dict:
    """The current zonage of a zone's communes, read once per page (section and class card)."""
    return current_zoning_rows(zone.communes().order_by().values("code"))


def _n(number) -> str:
    return f"{number:,}".replace(",", "\u202f")


@per_request
def _commune_rows(commune) -> dict:
    """The zonage of a commune and of its arrondissements, in one query, once per page (latest
    import wins, as :func:`offers.importers.current_zoning_rows`)."""
    # the commune and its arrondissements as one UNION ALL subquery, read by index (the two ORed
    # conditions across the join read every zonage row: 7 ms against 2)
    codes = (
        Commune.objects.filter(code=commune.code)
        .order_by()
        .values("code")
        .union(Commune.objects.filter(parent_id=commune.code).order_by().values("code"), all=True)
    )
    rows = DoctorZoning.objects.filter(dataset__status=Dataset.Status.SUCCEEDED, commune_id__in=codes)
    return {
        code: (kind, zrr)
        for code, kind, zrr in rows.order_by("dataset__started_at", "dataset_id").values_list(
            "commune_id", "zone", "zrr"
        )
    }
