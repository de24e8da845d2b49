"""Official densities of health professionals on the portal's pages (registered in
OffersConfig.ready): the key-figure card (GP density, the headline density wherever it exists),
the section listing every profession, and the ranking of départements or régions per profession.

A département reads its published figures; a région sums its départements (sums over sums);
France is on the ranking page and the home map. A zone below the département shows its
département's figures, labelled « chiffre du département ».
"""

from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from offers.demography import figures as demo
from territories.models import Departement, Region
from territories.web.exports import csv_response

CARD_ORDER = 30


def _latest(request):
    """(millésime, source text) of the latest import, read once per request (card and section)."""
    cached = getattr(request, "_official_densities", None)
    if cached is None:
        row = demo.rows().order_by("-millesime").select_related("dataset").first()
        cached = (row.millesime, _source_of(row.dataset)) if row else (None, "")
        if request is not None:
            request._official_densities = cached
    return cached


def _source_of(dataset):
    return f"{dataset.publisher.split(',')[0]}, millésime {dataset.millesime}, {dataset.licence}"


def _source(millesime):
    dataset = demo.dataset_of(millesime)
    return _source_of(dataset) if dataset else f"Assurance Maladie, {millesime}"


def _region_of(code):
    return Departement.objects.filter(pk=code).values_list("region_id", "region__name").first()


def _where(zone):
    """(level, code, label, own, (région code, name)) of the figures a zone shows."""
    if isinstance(zone, Region):
        return "region", zone.pk, zone.name, True, (zone.pk, zone.name)
    dep = demo.context_departement(zone)
    if dep is None:
        return None
    region = (dep.region_id, dep.region.name) if "region" in dep._state.fields_cache else _region_of(dep.pk)
    return "departement", dep.pk, dep.name, isinstance(zone, Departement), region


def gp_density_card(request, zone):
    millesime, source = _latest(request)
    where = _where(zone) if millesime else None
    if where is None:
        return []
    level, code, name, own, region = where
    figures = demo.zone_figures(level, code, millesime).get(demo.GP)
    if figures is None:
        return []
    comparisons = []
    if level == "departement" and region:
        value = demo.densities_by("region", demo.GP, millesime, codes=[region[0]]).get(region[0])
        comparisons.append((region[1], demo.fr(value[1]) if value else "—"))
    france = demo.densities_by("france", demo.GP, millesime).get("")
    comparisons.append(("France", demo.fr(france[1]) if france else "—"))
    lines = [f"{demo.fr(figures['headcount'], 0)} médecins généralistes libéraux"]
    title = f"Densité de médecins généralistes ({millesime})"
    if not own:
        title = f"Densité de médecins généralistes du département ({millesime})"
        lines.insert(0, f"chiffre du département : {name} (pas de densité officielle plus fine)")
    note = "Effectifs de libéraux publiés par département." + (
        " Région : somme des effectifs sur somme des populations de ses départements."
        if level == "region"
        else ""
    )
    return [
        {
            "order": CARD_ORDER,
            "id": "densite_officielle",
            "title": title,
            "value": demo.fr(figures["density"]),
            "unit": demo.UNIT,
            "badges": [(demo.SOURCE_LABEL, "ok")] + ([] if own else [("contexte départemental", "info")]),
            "lines": lines,
            "comparisons": comparisons,
            "note": note,
            "href": "#professions-de-sante",
            "link_text": "Toutes les professions",
            "source": source,
            "distribution": None,
        }
    ]


def professions_section(request, zone):
    millesime, source = _latest(request)
    where = _where(zone) if millesime else None
    if where is None:
        return None
    level, code, name, own, region_ref = where
    figures = demo.zone_figures(level, code, millesime)
    if not figures:
        return None
    region = {}
    if level == "departement" and region_ref:
        region = demo.zone_figures("region", region_ref[0], millesime)
    france = demo.zone_figures("france", "", millesime)
    rows = [
        {
            "profession": f["profession"],
            "slug": slug,
            "headcount": demo.fr(f["headcount"], 0),
            "density": demo.fr(f["density"]),
            "region": demo.fr(region[slug]["density"]) if slug in region else None,
            "france": demo.fr(france[slug]["density"]) if slug in france else "—",
            "ranking": reverse("offers:densities") + "?" + urlencode({"profession": slug}),
            "unit": demo.TARGET_POPULATIONS.get(slug, ""),
        }
        for slug, f in demo.ordered(figures)
    ]
    title = "Professionnels de santé libéraux (Assurance Maladie)"
    return {
        "title": title if own else f"{title} — chiffres du département {name}",
        "order": 25,
        "template": "offers/professions_section.html",
        "context": {
            "rows": rows,
            "own": own,
            "place": name,
            "level": level,
            "millesime": millesime,
            "source": source,
            "region_name": region_ref[1] if level == "departement" and region_ref else None,
        },
    }


RANK_LEVELS = {"departement": "Départements", "region": "Régions"}


def ranking_rows(slug, level, millesime, descending=True):
    found = demo.densities_by(level, slug, millesime)
    model = Departement if level == "departement" else Region
    names = dict(model.objects.filter(pk__in=list(found)).values_list("pk", "name"))
    rows = [
        {"code": code, "name": names.get(code, code), "headcount": count, "density": value}
        for code, (count, value) in found.items()
    ]
    rows.sort(key=lambda r: (r["density"] is None, -(r["density"] or 0) if descending else r["density"] or 0))
    for rank, row in enumerate(rows, start=1):
        row["rank"] = rank
    return rows


@require_GET
def densities_view(request):
    """Ranking of départements (or régions) by the official density of one profession."""
    millesime = demo.latest_millesime()
    professions = []
    if millesime:
        professions = demo.ordered(
            {
                s: {"profession": p}
                for s, p in demo.rows()
                .filter(millesime=millesime)
                .values_list("profession_slug", "profession")
                .distinct()
            }
        )
    slugs = {s for s, _p in professions}
    slug = request.GET.get("profession") if request.GET.get("profession") in slugs else demo.GP
    level = request.GET.get("niveau") if request.GET.get("niveau") in RANK_LEVELS else "departement"
    descending = request.GET.get("ordre") != "asc"
    rows = ranking_rows(slug, level, millesime, descending) if millesime else []
    label = dict((s, p["profession"]) for s, p in professions).get(slug, "")
    if request.GET.get("format") == "csv":
        return _csv(rows, label, level, millesime, slug)
    france = demo.densities_by("france", slug, millesime).get("") if millesime else None
    page = Paginator(rows, 120).get_page(request.GET.get("page"))
    for row in page.object_list:
        row["url"] = reverse("territories:zone", args=[level, row["code"]])
        row["density_text"] = demo.fr(row["density"])
        row["headcount_text"] = demo.fr(row["headcount"], 0)
    return render(
        request,
        "offers/densities.html",
        {
            "professions": [(s, p["profession"]) for s, p in professions],
            "profession": slug,
            "label": label,
            "level": level,
            "levels": list(RANK_LEVELS.items()),
            "descending": descending,
            "page": page,
            "millesime": millesime,
            "france": (demo.fr(france[0], 0), demo.fr(france[1])) if france else None,
            "unit": demo.unit_of(slug),
            "source": _source(millesime) if millesime else "",
            "csv_url": "?" + urlencode({"profession": slug, "niveau": level, "format": "csv"}),
        },
    )


def _csv(rows, label, level, millesime, slug):
    columns = [
        ("rank", "Rang"),
        ("code", "Code"),
        ("name", "Nom"),
        ("headcount", f"Effectif ({label}, {millesime})", 0),
        ("density", f"Densité {demo.unit_of(slug)} (officiel Assurance Maladie)", 1),
    ]
    return csv_response(rows, columns, f"densites-{slug}-{level}-{millesime}.csv")
