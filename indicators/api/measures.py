"""Read-only API of the indicators app for other apps (proposals reads targets' outcomes here).

    measure(code, zone=None) -> Measurement | None
    measure_many(codes, zone=None, cache=None) -> {code: Measurement | None}

``measure_many`` reads several indicators of one zone in a few queries (one for all registry
counts, one for all computed values); pass the same ``cache`` dict for every zone of a page so
the current run, the definitions and the registry's dates are read once.

``zone`` is any territory object (Commune, BassinDeVie, EPCI, Departement, Region, Perimeter) or
None for France entière. Registry counts are counted live from the registry (offers); computed
indicators are read from the current successful computation run (never computed on read).
"""

from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from indicators.api import values
from indicators.api.values import Measurement
from offers.api import zone_offer_conditions
from offers.models import Offer
from offers.registry import registry_states

# Counts of the registry: code → (label, filter on Offer)
REGISTRY_COUNTS = {
    "nb_cpts": ("Nombre de CPTS", Q(kind=Offer.Kind.CPTS)),
    "nb_cpts_aci": ("Nombre de CPTS ayant signé l’ACI", Q(kind=Offer.Kind.CPTS, aci_signed=True)),
    "nb_msp": ("Nombre de maisons de santé pluriprofessionnelles", Q(kind=Offer.Kind.MSP)),
    "nb_centres_sante": ("Nombre de centres de santé", Q(kind=Offer.Kind.CENTRE_SANTE)),
    "nb_cms": (
        "Nombre de centres municipaux de santé",
        Q(kind=Offer.Kind.CENTRE_SANTE, subkind=Offer.SubKind.MUNICIPAL),
    ),
    "nb_esp": ("Nombre d’équipes de soins primaires", Q(kind=Offer.Kind.ESP)),
}

# The same conditions, on (kind, subkind, aci_signed) read once for all codes
REGISTRY_MATCH = {
    "nb_cpts": lambda kind, subkind, aci: kind == Offer.Kind.CPTS,
    "nb_cpts_aci": lambda kind, subkind, aci: kind == Offer.Kind.CPTS and aci is True,
    "nb_msp": lambda kind, subkind, aci: kind == Offer.Kind.MSP,
    "nb_centres_sante": lambda kind, subkind, aci: kind == Offer.Kind.CENTRE_SANTE,
    "nb_cms": lambda kind, subkind, aci: (
        kind == Offer.Kind.CENTRE_SANTE and subkind == Offer.SubKind.MUNICIPAL
    ),
    "nb_esp": lambda kind, subkind, aci: kind == Offer.Kind.ESP,
}

# The kind each count rests on: the registry is loaded per région and per kind
COUNT_KIND = {
    "nb_cpts": Offer.Kind.CPTS,
    "nb_cpts_aci": Offer.Kind.CPTS,
    "nb_msp": Offer.Kind.MSP,
    "nb_centres_sante": Offer.Kind.CENTRE_SANTE,
    "nb_cms": Offer.Kind.CENTRE_SANTE,
    "nb_esp": Offer.Kind.ESP,
}


EMPTY_REGISTRY_NOTE = (
    "Le registre ne contient encore aucune offre de ce type (ni saisie par une ARS, ni importée) : "
    "ce 0 décrit l’état du registre, pas la réalité du terrain."
)


def _registry_measurement(code, zone, value, last, state=None, synthetic=0) -> Measurement:
    """A registry count; where no registry file covers the zone's régions the count is unknown
    (« registre non chargé »), never 0; synthetic offers are said."""
    note = "" if last is not None else EMPTY_REGISTRY_NOTE
    missing = ""
    if state is not None and not state.loaded:
        note, missing = state.note, state.text
        if not state.partial:
            if value:
                missing += f" ({value} saisie{'s' if value > 1 else ''} de l’ARS)"
            value = None
    only_synthetic = bool(state is not None and state.loaded and state.synthetic)
    if only_synthetic:  # a sample is not a census: its counts, zeros included, say so
        note = state.note
    if synthetic:
        note = (note + " " if note else "") + (
            f"Dont {synthetic} offre{'s' if synthetic > 1 else ''} d’un échantillon synthétique."
        )
    return Measurement(
        indicator=code,
        label=REGISTRY_COUNTS[code][0],
        value=value,
        unit="nombre",
        zone_label=getattr(zone, "name", "France entière"),
        measured_at=last or timezone.now(),
        source="Registre Santé & Territoires (offres en projet ou en fonctionnement)",
        url=reverse("offers:list"),
        note=note,
        missing=missing,
        is_estimate=bool(synthetic) or only_synthetic or bool(state is not None and state.partial),
    )


def registry_counts(codes, zone=None, cache=None) -> dict[str, Measurement]:
    """Several registry counts of one zone in one query (plus one, per page, for their dates)."""
    codes = [c for c in dict.fromkeys(codes) if c in REGISTRY_COUNTS]
    if not codes:
        return {}
    cache = cache if cache is not None else {}
    if "registry_last" not in cache:
        cache["registry_last"] = Offer.objects.aggregate(
            **{c: Max("updated_at", filter=condition) for c, (_label, condition) in REGISTRY_COUNTS.items()}
        )

    # one query: the open offers of the kinds asked for, in the zone (a CPTS also by its
    # perimeter), counted here: a COUNT … FILTER per code and zone costs more to compile than to run
    in_zone, perimeter_in_zone = zone_offer_conditions(zone)
    kinds = {COUNT_KIND[c] for c in codes}
    cpts = Q(kind=Offer.Kind.CPTS)
    rows = set(
        Offer.objects.exclude(status=Offer.Status.CLOSED)
        .filter(kind__in=kinds)
        .filter((cpts & (in_zone | perimeter_in_zone)) | (~cpts & in_zone))
        .values_list("pk", "kind", "subkind", "aci_signed", "dataset__is_synthetic")
    )
    counts = {}
    for c in codes:
        matched = [r for r in rows if REGISTRY_MATCH[c](r[1], r[2], r[3])]
        counts[c] = len(matched)
        counts[f"{c}__synthetic"] = sum(1 for r in matched if r[4])
    states = registry_states(zone, {COUNT_KIND[c] for c in codes})
    return {
        c: _registry_measurement(
            c, zone, counts[c], cache["registry_last"][c], states[COUNT_KIND[c]], counts[f"{c}__synthetic"]
        )
        for c in codes
    }


def registry_count(code: str, zone=None) -> Measurement:
    return registry_counts([code], zone)[code]


def measure(code: str, zone=None) -> Measurement | None:
    if code in REGISTRY_COUNTS:
        return registry_count(code, zone)
    return values.computed_measurement(code, zone)


def measure_many(codes, zone=None, cache=None) -> dict[str, Measurement | None]:
    """``measure`` for several codes of one zone in a few queries; share ``cache`` across zones."""
    cache = cache if cache is not None else {}
    codes = list(dict.fromkeys(codes))
    out = registry_counts(codes, zone, cache)
    out.update(values.computed_measurements([c for c in codes if c not in REGISTRY_COUNTS], zone, cache))
    return {c: out.get(c) for c in codes}
