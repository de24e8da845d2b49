"""Pages of many territories at once and their exports: ranking, comparison, evolution and key
figures (CSV / XLSX), the printable fiche.
"""

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from indicators.api.values import (
    FRANCE,
)
from indicators.models import ComputationRun
from offers.demography.figures import export_sources
from territories.models import Commune
from territories.zones import get_zone, level_of

RANK_PAGE_SIZE = 50


MAX_COMPARED = 5


def _export_sources(run, millesimes, columns):
    from indicators.official.published import official_datasets

    sources = [
        (f"{d.title} — {d.publisher}", d.millesime, d.licence, "valeurs publiées")
        for d in official_datasets(millesimes[:2])
    ]
    if run is not None:
        for d in run.datasets.all():
            flags = ", ".join(f for f, on in (("proxy", d.is_proxy), ("synthétique", d.is_synthetic)) if on)
            sources.append(
                (
                    f"{d.title} — {d.publisher}" + (f" ({flags})" if flags else ""),
                    d.millesime,
                    d.licence,
                    f"calcul n° {run.pk} du {run.finished_at:%d/%m/%Y}",
                )
            )
    sources += export_sources([c.key for c in columns])
    notes = [f"{c.label} : {c.badge}" for c in columns if c.badge and not c.badge.startswith("officiel")]
    return sources, notes


def _export(rows, columns, fmt, filename, run, millesimes, extra_columns=()):
    from territories.web.exports import csv_response, xlsx_response

    def header(c):
        unit = f" ({c.unit})" if c.unit else ""
        badge = f" [{c.badge}]" if c.badge else ""
        return c.label + unit + badge

    cols = [*extra_columns] + [(c.key, header(c), c.decimals) for c in columns if c.label]  # as published
    if fmt == "csv":
        return csv_response(rows, cols, filename + ".csv")
    sources, notes = _export_sources(run, millesimes, columns)
    return xlsx_response(rows, cols, filename + ".xlsx", title="Indicateurs", sources=sources, notes=notes)


@require_GET
def ranking_view(request, level, code):
    from indicators.dashboard.figures import LEVEL_LABELS, fill, member_levels, ranking

    zone = get_zone(level, code)
    levels = member_levels(zone)
    if not levels:
        raise Http404("Pas de classement à l’intérieur d’une commune")
    member_level = request.GET.get("niveau") if request.GET.get("niveau") in levels else levels[0]
    sort_key = request.GET.get("tri") or "apl"
    descending = request.GET.get("ordre") == "desc"
    fmt = request.GET.get("format")
    export = fmt in ("csv", "xlsx")  # every row in full; a page reads its 50 rows' figures only
    rows, cols, run, millesimes = ranking(zone, member_level, sort_key, descending, complete=export)
    if sort_key not in {c.key for c in cols} | {"name"}:
        sort_key = "apl"
        rows, cols, run, millesimes = ranking(zone, member_level, sort_key, descending, complete=export)
    if export:
        return _export(
            rows,
            cols,
            fmt,
            f"classement-{member_level}-{level}-{code}",
            run,
            millesimes,
            extra_columns=[("rank", "Rang"), ("code", "Code"), ("name", "Nom")],
        )
    page = Paginator(rows, RANK_PAGE_SIZE).get_page(request.GET.get("page"))
    fill(page.object_list, run, millesimes)
    shown = [c for c in cols if c.label]
    order = "desc" if descending else "asc"
    return render(
        request,
        "indicators/ranking.html",
        {
            "zone": zone,
            "level": level,
            "member_level": member_level,
            "levels": [(lv, LEVEL_LABELS[lv]) for lv in levels],
            "member_label": LEVEL_LABELS[member_level],
            "columns": shown,
            "page": page,
            "table": [(r, [(c, r.get(c.key)) for c in shown]) for r in page.object_list],
            "page_query": f"niveau={member_level}&tri={sort_key}&ordre={order}&",
            "total": len(rows),
            "sort_key": sort_key,
            "descending": descending,
            "run": run,
            "millesimes": millesimes,
            "highlight": ",".join(r["code"] for r in page.object_list) if member_level == "commune" else "",
            "geojson_url": reverse("indicators:classes_geojson", args=[level, code]),
        },
    )


def _parse_compared(values):
    from territories.zones import LEVELS

    zones, errors = [], []
    if len(values) > MAX_COMPARED:
        errors.append(f"{MAX_COMPARED} territoires au plus")
    for value in values[:MAX_COMPARED]:
        lvl, _, code = value.partition(":")
        if lvl not in LEVELS or not code or len(code) > 9:
            errors.append(f"« {value[:40]} » : territoire inconnu")
            continue
        try:
            zone = get_zone(lvl, code)
        except Http404:
            errors.append(f"« {value} » : territoire introuvable")
            continue
        if all((level_of(z), z.pk) != (lvl, zone.pk) for z in zones):
            zones.append(zone)
    return zones[:MAX_COMPARED], errors


@require_GET
def compare_view(request):
    from django.utils.http import urlencode

    from indicators.dashboard.figures import columns, figures, official_millesimes
    from territories.search import QueryTooLong, bounded, search

    zones, errors = _parse_compared(request.GET.getlist("t"))
    query = request.GET.get("ajouter", "").strip()
    try:
        bounded(query, field="Territoire à ajouter")
    except QueryTooLong as exc:
        query = ""
        errors.append(str(exc))
    if query:
        hits = search(query, limit=1)
        if not hits:
            errors.append(f"« {query} » : aucun territoire trouvé")
        elif len(zones) >= MAX_COMPARED:
            errors.append(f"{MAX_COMPARED} territoires au plus")
        else:
            target = [f"{level_of(z)}:{z.pk}" for z in zones] + [
                f"{level_of(hits[0].zone)}:{hits[0].zone.pk}"
            ]
            return redirect(reverse("indicators:compare") + "?" + urlencode([("t", t) for t in target]))
    run = ComputationRun.current()
    millesimes = official_millesimes()
    keys = [(level_of(z), z.pk) for z in zones]
    data = figures(keys, run, millesimes)
    cols = [c for c in columns(run, millesimes) if c.label]
    rows = []
    for col in cols:
        values = [data[k].get(col.key) for k in keys]
        numbers = [v for v in values if isinstance(v, int | float)]
        best = worst = None
        if col.higher_is_better is not None and len(numbers) >= 2 and max(numbers) != min(numbers):
            best = max(numbers) if col.higher_is_better else min(numbers)
            worst = min(numbers) if col.higher_is_better else max(numbers)
        rows.append(
            {
                "column": col,
                "cells": [
                    {
                        "value": v,
                        "label": z.name,  # the cell's label when the table stacks on a phone
                        "best": v is not None and v == best,
                        "worst": v is not None and v == worst,
                    }
                    for v, z in zip(values, zones, strict=True)
                ],
            }
        )
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx") and zones:
        labelled = [(f"{level_of(z)}:{z.pk}", f"{z.name} ({z.level_label})") for z in zones]
        return _table_export(rows, labelled, cols, run, millesimes, fmt, "comparaison", "Comparaison")
    suggestions = []
    if zones:
        suggestions = _neighbours(zones[0], exclude={(level_of(z), z.pk) for z in zones})
    base = [("t", f"{level_of(z)}:{z.pk}") for z in zones]
    return render(
        request,
        "indicators/compare.html",
        {
            "zones": zones,
            "rows": rows,
            "errors": errors,
            "run": run,
            "millesimes": millesimes,
            "query": query,
            "suggestions": [
                (s, reverse("indicators:compare") + "?" + urlencode(base + [("t", f"{level_of(s)}:{s.pk}")]))
                for s in suggestions
            ],
            "removals": [
                (
                    z,
                    reverse("indicators:compare")
                    + "?"
                    + urlencode([t for t in base if t[1] != f"{level_of(z)}:{z.pk}"]),
                )
                for z in zones
            ],
            "query_string": urlencode(base),
            "compared": [t for _, t in base],
            "can_add": len(zones) < MAX_COMPARED,
        },
    )


def _neighbours(zone, exclude, limit=6):
    """Territories to propose beside ``zone``: the communes that touch it (the most populous
    first), or the other zones of the same level in its département or région."""
    from territories.models import Departement, Region

    if isinstance(zone, Commune):
        if zone.geometry_simplified is None:
            return []
        touching = (
            Commune.objects.filter(
                is_active=True,
                kind=Commune.Kind.COMMUNE,
                geometry_simplified__touches=zone.geometry_simplified,
            )
            .exclude(pk=zone.pk)
            .order_by("-population")
            .only("code", "name", "population")[: limit + len(exclude)]
        )
        return [c for c in touching if ("commune", c.pk) not in exclude][:limit]
    if isinstance(zone, Departement):
        others = Departement.objects.filter(region_id=zone.region_id).exclude(pk=zone.pk).only("code", "name")
        return [d for d in others if ("departement", d.pk) not in exclude][:limit]
    if isinstance(zone, Region):
        return [
            r
            for r in Region.objects.exclude(pk=zone.pk).only("code", "name")
            if ("region", r.pk) not in exclude
        ][:limit]
    return []


@require_GET
def evolution_export(request, level, code, fmt):
    from indicators.dashboard.evolution import evolution_rows
    from territories.web.exports import csv_response, xlsx_response

    if fmt not in ("csv", "xlsx"):
        raise Http404("Format inconnu")
    zone = get_zone(level, code)
    rows, columns = evolution_rows(zone)
    name = f"evolution-{level}-{code}"
    if fmt == "csv":
        return csv_response(rows, columns, name + ".csv")
    run = ComputationRun.current()
    from indicators.dashboard.figures import columns as dashboard_columns
    from indicators.dashboard.figures import official_millesimes

    millesimes = official_millesimes()
    sources, notes = _export_sources(run, millesimes, dashboard_columns(run, millesimes))
    return xlsx_response(rows, columns, name + ".xlsx", title="Évolution", sources=sources, notes=notes)


def _table_export(rows, labelled, cols, run, millesimes, fmt, filename, title):
    """One row per indicator, one column per territory (``labelled``: [(key, label)]), typed."""
    from territories.web.exports import csv_response, xlsx_response

    table = []
    for row in rows:
        record = {"indicator": row["column"].label, "unit": row["column"].unit, "badge": row["column"].badge}
        record["_decimals"] = row["column"].decimals  # rounded as published
        for (key, _label), cell in zip(labelled, row["cells"], strict=True):
            record[key] = cell["value"]
        table.append(record)
    columns = [("indicator", "Indicateur"), ("unit", "Unité"), ("badge", "Nature"), *labelled]
    if fmt == "csv":
        return csv_response(table, columns, filename + ".csv")
    sources, notes = _export_sources(run, millesimes, cols)
    return xlsx_response(table, columns, filename + ".xlsx", title=title, sources=sources, notes=notes)


@require_GET
def key_figures_export(request, level, code, fmt):
    """The key figures of a territory beside its parent zones and France, as CSV or XLSX."""
    from indicators.dashboard.figures import columns, figures, official_millesimes
    from territories.zones import parent_zones

    if fmt not in ("csv", "xlsx"):
        raise Http404("Format inconnu")
    zone = get_zone(level, code)
    places = [zone, *parent_zones(zone)]
    keys = [(level_of(z), z.pk) for z in places] + [FRANCE]
    run = ComputationRun.current()
    millesimes = official_millesimes()
    data = figures(keys, run, millesimes)
    cols = [c for c in columns(run, millesimes) if c.label]
    rows = [{"column": c, "cells": [{"value": data[k].get(c.key)} for k in keys]} for c in cols]
    labelled = [(f"{level_of(z)}:{z.pk}", f"{z.name} ({z.level_label})") for z in places]
    labelled.append(("france:FR", "France"))
    return _table_export(
        rows, labelled, cols, run, millesimes, fmt, f"chiffres-cles-{level}-{code}", "Chiffres clés"
    )


@require_GET
def fiche_view(request, level, code):
    """The one-page PDF fiche of a territory (WeasyPrint)."""

    from indicators.dashboard.fiche import fiche_pdf

    zone = get_zone(level, code)
    response = HttpResponse(
        fiche_pdf(zone, request.build_absolute_uri("/"), request), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="fiche-{level}-{code}.pdf"'
    return response
