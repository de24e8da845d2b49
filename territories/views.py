from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from territories.models import Commune, Dataset, Departement, Region
from territories.search import QueryTooLong, bounded, search
from territories.web.caching import cached_page
from territories.web.geojson import feature, feature_collection, label_point
from territories.web.sections import render_home
from territories.web.zone_parts import zone_parts
from territories.zones import LEVELS, get_zone, level_of, parent_zones, zone_stats


@require_GET
@cached_page
def home(request):
    query, error = request.GET.get("q", "").strip(), ""
    try:
        hits = search(bounded(query)) if query else []
    except QueryTooLong as exc:
        query, hits, error = query[:80] + "…", [], str(exc)
    context = {"query": query, "hits": hits, "error": error}
    if not query:
        context["regions"] = (
            Region.objects.filter(is_active=True).order_by("name_normalized").only("code", "name")
        )
        context["home_sections"] = render_home(request)
    return render(request, "territories/home.html", context)


@require_GET
@cached_page
def zone_detail(request, level, code):
    zone = get_zone(level, code)
    # French order: « Bénévent » before « Bussière »; the list shows code, name, population:
    # never read the outlines of its 200 communes
    communes = zone.communes().only("code", "name", "population").order_by("name_normalized", "name")
    stats = zone_stats(zone)
    cards, sections = zone_parts(request, zone)
    context = {
        "zone": zone,
        "level": level_of(zone),
        "population": stats["population"],
        "commune_count": stats["count"],
        "parents": parent_zones(zone),
        "sections": sections,
        "cards": cards,
    }
    if isinstance(zone, Region):
        # values(): never GROUP BY the outline geometry.
        context["children"] = (
            Departement.objects.filter(region=zone, is_active=True)
            .filter(communes_set__kind=Commune.Kind.COMMUNE)
            .values("code", "name")
            .annotate(population_total=Sum("communes_set__population"))
            .order_by("code")
        )
    elif isinstance(zone, Commune):
        context["arrondissements"] = zone.arrondissements.filter(is_active=True).order_by("code")
        context["sources"] = latest_datasets(["insee-cog", "insee-supracom", "ign-admin-express"])
    if not isinstance(zone, (Region, Commune)):
        context["page"] = Paginator(communes, 200).get_page(request.GET.get("page"))
    return render(request, "territories/zone_detail.html", context)


def latest_datasets(sources):
    """The latest successful import of each source, in the given order."""
    latest = {}
    for dataset in Dataset.objects.filter(status=Dataset.Status.SUCCEEDED, source__in=sources).order_by(
        "-started_at"
    ):
        latest.setdefault(dataset.source, dataset)
    return [latest[s] for s in sources if s in latest]


@require_GET
@cache_control(max_age=3600, public=True)
def zone_geojson(request, level, code):
    """The zone's outline and its communes (simplified, rounded) as one FeatureCollection."""
    zone = get_zone(level, code, outlines=True)
    features = [feature(zone.geometry_simplified, role="zone", code=zone.pk, name=zone.name)]
    if isinstance(zone, Region):
        # A région has thousands of communes: its map shows its départements (lighter by far).
        departements = Departement.objects.filter(region=zone, is_active=True).only(
            "code", "name", "geometry_simplified"
        )
        features += [
            feature(
                d.geometry_simplified, role="departement", code=d.code, name=d.name, url=d.get_absolute_url()
            )
            for d in departements
        ]
    elif not isinstance(zone, Commune) or zone.arrondissements.exists():
        communes = (
            zone.arrondissements.filter(is_active=True) if isinstance(zone, Commune) else zone.communes()
        ).only("code", "name", "population", "geometry_simplified", "point")
        features += [
            feature(
                c.geometry_simplified,
                role="commune",
                code=c.code,
                name=c.name,
                population=c.population,
                url=c.get_absolute_url(),
                label_at=label_point(c),
            )
            for c in communes
        ]
    return JsonResponse(feature_collection(features))


@require_GET
def dataset_list(request):
    datasets = Dataset.objects.all()
    return render(
        request,
        "territories/dataset_list.html",
        {"page": Paginator(datasets, 50).get_page(request.GET.get("page"))},
    )


@require_GET
def dataset_detail(request, pk):
    return render(request, "territories/dataset_detail.html", {"dataset": get_object_or_404(Dataset, pk=pk)})


@require_GET
def suggestions(request):
    """Type-ahead for every territory field and the header search: JSON, at most 8 entries.

    ``q`` the typed text; ``niveaux`` a comma-separated subset of levels; ``dans`` « niveau:code »
    to suggest only the communes of that zone (the what-if picker)."""
    from territories.picker import MAX_QUERY
    from territories.picker import suggestions as suggest

    query = request.GET.get("q", "")
    if len(query) > MAX_QUERY:
        return JsonResponse({"error": f"q : {MAX_QUERY} caractères au plus."}, status=400)
    levels = [level for level in request.GET.get("niveaux", "").split(",") if level]
    unknown = [level for level in levels if level not in LEVELS]
    if unknown:
        return JsonResponse(
            {"error": f"niveaux : niveau inconnu « {unknown[0]} » (valeurs : {', '.join(LEVELS)})."},
            status=400,
        )
    within = None
    if request.GET.get("dans"):
        level, _, code = request.GET["dans"].partition(":")
        if level not in LEVELS or not code:
            return JsonResponse(
                {"error": "dans : attendu « niveau:code », par exemple departement:23."}, status=400
            )
        within = get_zone(level, code)
    response = JsonResponse({"query": query.strip(), "results": suggest(query, levels or None, within)})
    response["Cache-Control"] = "public, max-age=300"
    return response
