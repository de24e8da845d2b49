"""The « Offre de soins » key-figure card of territory pages (registered in OffersConfig.ready).

Counts the registry's open offers by kind in the zone. A kind that no imported source covers is
said « non renseigné », never 0: a fresh install has no MSP, CPTS or centre de santé (no FINESS
extract is shipped), and a synthetic sample is tagged as such.
"""

from django.db.models import Count, Q

from territories.models import Dataset

from .models import Offer

REGISTRY_KINDS = [  # (kind, short label)
    (Offer.Kind.MSP, "MSP"),
    (Offer.Kind.CPTS, "CPTS"),
    (Offer.Kind.CENTRE_SANTE, "centres de santé"),
    (Offer.Kind.HOSPITAL, "sites hospitaliers publics"),
]


def _in_zone(zone):
    """A condition on offers (through their commune) for the zone: the zone's own link when it
    has one (département, région, EPCI…: no list of thousands of codes), else its communes."""
    lookup = getattr(zone, "commune_lookup", "")
    if lookup:
        return Q(**{f"commune__{lookup}": zone}), Q(**{f"perimeter__{lookup}": zone})
    codes = list(zone.communes().values_list("code", flat=True))
    return Q(commune__in=codes) | Q(commune__parent__in=codes), Q(perimeter__in=codes)


def offer_cards(request, zone):
    in_zone, perimeter_in_zone = _in_zone(zone)
    open_offers = Offer.objects.exclude(status=Offer.Status.CLOSED)
    counts = dict(open_offers.filter(in_zone).order_by().values_list("kind").annotate(n=Count("pk")))
    counts[Offer.Kind.CPTS] = (
        open_offers.filter(Q(kind=Offer.Kind.CPTS) & (perimeter_in_zone | in_zone)).distinct().count()
    )
    # the kinds some source covers (any offer of that kind anywhere, from a file or a hand edit),
    # with the number of synthetic ones
    covered = dict(
        Offer.objects.order_by()
        .values_list("kind")
        .annotate(synthetic=Count("pk", filter=Q(dataset__is_synthetic=True)))
    )
    lines, badges = [], []
    for kind, label in REGISTRY_KINDS:
        if kind in covered:
            lines.append(f"{label} : {counts.get(kind, 0)}")
        else:
            lines.append(f"{label} : non renseigné (aucune source chargée)")
        if covered.get(kind):
            badges = [("contient des données synthétiques", "warn")]
    finess = Dataset.objects.filter(source="finess-etalab", status="succeeded").exists()
    note = (
        "Registre des ARS et extraction FINESS."
        if finess
        else "Aucune extraction FINESS des MSP et centres de santé n’est chargée : seuls les sites saisis "
        "par les ARS apparaissent."
    )
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
