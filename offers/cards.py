"""The « Offre de soins » key-figure card of territory pages (registered in OffersConfig.ready).

Counts the registry's open offers by kind in the zone. Where no registry file covers the
zone's région, MSP, CPTS and centres de santé read « registre non chargé », never 0 (a fresh
install has no FINESS extract), and a synthetic sample is tagged as such.
"""

from django.db.models import Q

from offers.api import zone_offer_conditions, zone_offer_counts
from offers.models import Offer
from offers.registry import REGISTRY_KINDS, registry_state, registry_states

CARD_KINDS = [  # (kind, short label)
    (Offer.Kind.MSP, "MSP"),
    (Offer.Kind.CPTS, "CPTS"),
    (Offer.Kind.CENTRE_SANTE, "centres de santé"),
    (Offer.Kind.HOSPITAL, "sites hospitaliers publics"),
]


def offer_cards(request, zone):
    in_zone, perimeter_in_zone = zone_offer_conditions(zone)
    open_offers = Offer.objects.exclude(status=Offer.Status.CLOSED)
    summary = zone_offer_counts(zone)  # shared with the « Offre de soins » section
    counts = dict(summary["by_kind"])
    counts[Offer.Kind.CPTS] = (
        open_offers.filter(Q(kind=Offer.Kind.CPTS) & (perimeter_in_zone | in_zone)).distinct().count()
    )
    registry = registry_state(zone)
    states = registry_states(zone, REGISTRY_KINDS)  # per kind: a sample of MSP says nothing of CPTS
    # hospitals come from a national FINESS file: « non renseigné » only while none is loaded
    hospitals_loaded = Offer.objects.filter(kind=Offer.Kind.HOSPITAL).exists()
    lines = []
    for kind, label in CARD_KINDS:
        count = counts.get(kind, 0)
        state = states.get(kind)
        if state is not None and not state.loaded:
            hand = f" ({count} saisie{'s' if count > 1 else ''} de l’ARS)" if count else ""
            lines.append(f"{label} : {state.text}{hand}")
        elif state is not None and state.synthetic:
            lines.append(f"{label} : {count} ({state.caveat})")
        elif kind == Offer.Kind.HOSPITAL and not hospitals_loaded:
            lines.append(f"{label} : non renseigné (aucune source chargée)")
        else:
            lines.append(f"{label} : {count}")
    synthetic = summary["synthetic"]
    badges = [("contient des données synthétiques", "warn")] if synthetic or registry.synthetic else []
    note = registry.note or "Registre des ARS et extraction FINESS."
    if synthetic:
        note += f" Dont {synthetic} offre{'s' if synthetic > 1 else ''} d’un échantillon synthétique."
    return [
        {
            "order": 60,
            "id": "offre",
            "title": "Offre de soins de proximité",
            "value": None,
            "unit": "",
            "badges": badges,
            "lines": lines,
            "comparisons": [],
            "note": note,
            "href": "#offres-de-soins",
            "source": "",
            "distribution": None,
        }
    ]
