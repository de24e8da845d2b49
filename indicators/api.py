"""Read-only API of the indicators app for other apps (proposals reads targets' outcomes here).

    measure(code, zone=None) -> Measurement | None

``zone`` is any territory object (Commune, BassinDeVie, EPCI, Departement, Region, Perimeter) or
None for France entière. Registry counts are counted live from the registry (offers); computed
indicators are read from the current successful computation run (never computed on read).
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from offers.models import Offer


@dataclass(frozen=True)
class Measurement:
    indicator: str
    label: str
    value: float | None
    unit: str
    zone_label: str
    measured_at: datetime
    source: str  # human-readable: dataset or registry, millésime, licence, run
    url: str | None = None  # link to the definition / run page
    is_estimate: bool = False
    note: str = ""  # a caveat shown with the value (e.g. an empty registry)
    # The unit as shown to readers; ``unit`` stays stable for comparisons (e.g. with a target's
    # unit), while this one says what was really counted (e.g. establishments of the SIRENE proxy).
    unit_label: str = ""

    def __post_init__(self):
        if not self.unit_label:
            object.__setattr__(self, "unit_label", self.unit)


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


def registry_count(code: str, zone=None) -> Measurement:
    label, condition = REGISTRY_COUNTS[code]
    offers = Offer.objects.filter(condition).exclude(status=Offer.Status.CLOSED)
    if zone is not None:
        communes = zone.communes()
        in_zone = Q(commune__in=communes) | Q(commune__parent__in=communes)
        if code.startswith("nb_cpts"):
            in_zone |= Q(perimeter__in=communes)
        offers = offers.filter(in_zone)
    last = (
        Offer.objects.filter(condition).order_by("-updated_at").values_list("updated_at", flat=True).first()
    )
    note = ""
    if last is None:
        note = (
            "Le registre ne contient encore aucune offre de ce type (ni saisie par une ARS, ni importée) : "
            "ce 0 décrit l’état du registre, pas la réalité du terrain."
        )
    return Measurement(
        indicator=code,
        label=label,
        value=offers.distinct().count(),
        unit="nombre",
        zone_label=getattr(zone, "name", "France entière"),
        measured_at=last or timezone.now(),
        source="Registre Santé & Territoires (offres en projet ou en fonctionnement)",
        url=reverse("offers:list"),
        note=note,
    )


def measure(code: str, zone=None) -> Measurement | None:
    if code in REGISTRY_COUNTS:
        return registry_count(code, zone)
    from .values import computed_measurement  # implemented with the computation runs

    return computed_measurement(code, zone)
