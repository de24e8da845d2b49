"""Look up any zone by level and code: one code path for every level (zones are sets of communes)."""

from django.http import Http404

from territories.models import EPCI, BassinDeVie, Commune, Departement, Perimeter, Region
from territories.web.memo import per_request

LEVELS = {
    "commune": Commune,
    "bassin-de-vie": BassinDeVie,
    "epci": EPCI,
    "departement": Departement,
    "region": Region,
}
LEVEL_OF_MODEL = {model: level for level, model in LEVELS.items()}
LEVEL_WORDS = {
    "commune": "commune",
    "bassin-de-vie": "bassin de vie",
    "epci": "EPCI",
    "departement": "département",
    "region": "région",
}


def level_of(zone) -> str:
    return LEVEL_OF_MODEL[type(zone)]


def get_zone(level: str, code: str, outlines: bool = False):
    """The zone of a page or an API route (404 when unknown), its parents joined; the parents'
    outlines are never read (a région's outline is megabytes of WKB to parse), nor the zone's own
    unless asked (``outlines=True``: the GeoJSON route; elsewhere an outline read by chance costs
    one query, deferred)."""
    model = LEVELS.get(level)
    if model is None:
        raise Http404("Niveau de territoire inconnu")
    queryset = model.objects.all()
    if model is Commune:
        parents = ("departement", "departement__region", "epci", "bassin_de_vie")
        queryset = queryset.select_related(*parents, "parent").defer(
            *(f"{p}__geometry_simplified" for p in parents), "parent__geometry", "parent__geometry_simplified"
        )
        if not outlines:
            queryset = queryset.defer("geometry", "geometry_simplified")
    elif model is Departement:
        queryset = queryset.select_related("region").defer("region__geometry_simplified")
        if not outlines:
            queryset = queryset.defer("geometry_simplified")
    elif not outlines:
        queryset = queryset.defer("geometry_simplified")
    try:
        return queryset.get(pk=code)
    except model.DoesNotExist as exc:
        none = "aucune" if level in ("commune", "region") else "aucun"
        raise Http404(f"Territoire introuvable : {none} {LEVEL_WORDS[level]} de code « {code} »") from exc


def children_of(codes):
    """The communes whose parent is in ``codes`` (a subquery or a list): the arrondissements
    municipaux of Paris, Lyon and Marseille (read through their own small index)."""
    return Commune.objects.filter(parent__isnull=False, parent__in=codes)


def zone_key(zone) -> tuple[str, str]:
    """A stable (level, code) pair identifying a zone, used by other apps to store per-zone values."""
    return level_of(zone), zone.pk


@per_request
def zone_stats(zone) -> dict:
    """{"population", "count"} of the zone's communes (one query, once per page)."""
    from django.db.models import Count, Sum

    return zone.communes().order_by().aggregate(population=Sum("population"), count=Count("code"))


@per_request
def parent_zones(zone) -> list:
    """The zones containing ``zone``, smallest first. EPCI, bassins de vie and perimeters may span
    several départements: all of them and their régions are listed."""
    if isinstance(zone, Commune):
        return zone.parent_zones()
    if isinstance(zone, Departement):
        return [zone.region]
    if isinstance(zone, Region):
        return []
    if isinstance(zone, (EPCI, BassinDeVie, Perimeter, CommuneSet)):
        # codes first (DISTINCT over outlines would sort megabytes), then the rows without outlines
        codes = zone.communes().order_by().values("departement_id").distinct()
        deps = list(
            Departement.objects.filter(code__in=codes)
            .select_related("region")
            .defer("geometry_simplified", "region__geometry_simplified")
            .order_by("name")
        )
        regions = {d.region_id: d.region for d in deps}
        return [*deps, *regions.values()]
    return []


class CommuneSet:
    """An unsaved zone made of communes (a CPTS perimeter, a selection): pages, figures and
    aggregates treat it as any other zone (it has no stored values of its own: they are
    aggregated at read time from the communes')."""

    level_label = "Périmètre"
    pk = None

    def __init__(self, name, communes):
        self.name = name
        self._communes = communes

    def __str__(self):
        return self.name

    def communes(self):
        return self._communes.filter(is_active=True).exclude(kind=Commune.Kind.ARRONDISSEMENT)
