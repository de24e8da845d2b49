"""« Où installer des médecins ? »: the planning page of a zone, its map layer, its exports and its
exact jobs (``indicators.simulate``).

Who may use it (``perms.can_plan``, ``perms.can_request_exact_plan``): the page computes in memory
from the official APL and the cached catchment and writes nothing, so it is open to every visitor
like the public API; asking for an exact answer stores a row and takes a worker for up to a minute,
so it is for the users who may simulate. A stored exact answer is shown to everyone.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from indicators.models import ComputationRun
from indicators.perms import can_plan, can_request_exact_plan
from indicators.simulate import planning
from indicators.simulate.exact import find
from indicators.simulate.jobs import request_exact
from indicators.simulate.models import ExactPlan
from indicators.simulate.params import MAX_GPS, MAX_PLAN, SCORES, parse
from indicators.simulate.planning import PlanningError, resolve_zone, zone_level
from territories.models import Commune, lon_lat
from territories.web.exports import csv_response, xlsx_response
from territories.web.geojson import feature, feature_collection

TABLE_ROWS = 30


def _compute(request, level, code, data):
    """(zone, params, errors, prepared or None): nothing is computed when a field is wrong."""
    if not can_plan(request.user):
        raise PermissionDenied("La planification n’est pas ouverte à ce compte.")
    zone = resolve_zone(level, code, request.user)
    params, errors = parse(data)
    run = ComputationRun.current()
    prepared = None
    if run is None:
        errors.setdefault(
            "zone", "Aucun calcul publié : le bassin de patientèle n’est pas encore disponible."
        )
    if not errors:
        try:
            prepared = planning.prepare(run, zone, params)
        except PlanningError as exc:
            errors[exc.field] = str(exc)
    return zone, params, errors, prepared


def _exact_context(request, prepared, kind):
    found, _key, _parameters = find(prepared.run, prepared.zone, prepared.params, kind, prepared.millesime)
    return {
        "job": found,
        "can_request": can_request_exact_plan(request.user),
        "kind": kind,
        # no broker: the job runs within the request that asks for it (the page waits for it)
        "in_request": bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)),
    }


@require_GET
def planning_view(request, level, code):
    zone, params, errors, prepared = _compute(request, level, code, request.GET)
    context = {
        "zone": zone,
        "level": level,
        "params": params,
        "form": request.GET,
        "errors": errors,
        "scores": SCORES,
        "max_gps": MAX_GPS,
        "max_plan": MAX_PLAN,
        "table_rows": TABLE_ROWS,
    }
    if prepared is not None:
        query = urlencode(params.query())
        ranking = planning.ranking(prepared, limit=TABLE_ROWS)
        context.update(
            prepared=prepared,
            query=query,
            summary=planning.zone_summary(prepared),
            ranking=ranking,
            top=ranking["rows"][:TABLE_ROWS],
            geojson_url=reverse("indicators:planning_geojson", args=[level, zone.pk]) + "?" + query,
            exact_url=reverse("indicators:planning_exact", args=[level, zone.pk]) + "?" + query,
            export_url=reverse("indicators:planning_export", args=[level, zone.pk, "csv"]) + "?" + query,
            export_xlsx_url=reverse("indicators:planning_export", args=[level, zone.pk, "xlsx"])
            + "?"
            + query,
            run=prepared.run,
        )
        if params.plan:
            context["plan"] = planning.greedy_plan(prepared)
            context["plan_exact"] = _exact_context(request, prepared, ExactPlan.Kind.PLAN)
        if params.need:
            context["need"] = planning.need(prepared)
            context["need_exact"] = _exact_context(request, prepared, ExactPlan.Kind.NEED)
    status = 400 if errors and any(k != "zone" for k in errors) else 200
    return render(request, "indicators/planning.html", context, status=status)


@require_GET
def planning_geojson(request, level, code):
    """The candidates with their score and rank (polygons; points for a région)."""
    zone, params, errors, prepared = _compute(request, level, code, request.GET)
    if prepared is None:
        return JsonResponse({"errors": errors}, status=400)
    rows = {r["code"]: r for r in planning.ranking(prepared)["rows"]}
    key = planning.SCORE_KEYS[params.score]

    def properties(r):
        return {
            "code": r["code"],
            "name": r["name"],
            "rank": r["rank"],
            "score": round(r[key], 4),
            "deficit": round(r["deficit_total"], 1),
            "apl": r["apl_before"],
            "url": r["whatif_url"],
        }

    features = []
    if zone_level(zone) == "region":  # thousands of communes: points read as numbers, no GEOS object
        for code, lon, lat in (
            Commune.objects.filter(code__in=list(rows))
            .annotate(**lon_lat("point"))
            .values_list("code", "lon", "lat")
        ):
            if lon is not None:
                point = {"type": "Point", "coordinates": [round(lon, 4), round(lat, 4)]}
                features.append({"type": "Feature", "geometry": point, "properties": properties(rows[code])})
    else:
        for commune in Commune.objects.filter(code__in=list(rows)).only("code", "geometry_simplified"):
            features.append(feature(commune.geometry_simplified, **properties(rows[commune.code])))
    collection = feature_collection(features)
    collection["score_label"] = SCORES[params.score]
    return JsonResponse(collection)


RANKING_COLUMNS = [
    ("rank", "Rang"),
    ("code", "Code INSEE"),
    ("name", "Commune"),
    ("apl_before", "APL officielle avant"),
    ("class_before", "Classe avant"),
    ("population_reached", "Population à moins de 20 min"),
    ("deficit_total", "Réduction du déficit (total)"),
    ("deficit_zone", "Réduction du déficit (dans le territoire)"),
    ("lifted_total", "Population passant au-dessus de 2,5 (total)"),
    ("lifted_zone", "Population passant au-dessus de 2,5 (territoire)"),
    ("lifted_fragile_total", "Population passant au-dessus de 4 (total)"),
    ("changed_total", "Communes changeant de classe (total)"),
    ("changed_zone", "Communes changeant de classe (territoire)"),
    ("mean_gain_zone", "Gain moyen d’APL dans le territoire"),
]
PLAN_COLUMNS = [
    ("step", "Étape"),
    ("code", "Code INSEE"),
    ("name", "Commune"),
    ("gps_here", "Médecins dans la commune"),
    ("gain", "Réduction du déficit de l’étape"),
    ("cumulative", "Réduction cumulée"),
    ("population_under", "Population du territoire sous le seuil"),
]
NEED_COLUMNS = [
    ("code", "Code INSEE"),
    ("name", "Commune"),
    ("gps", "Médecins"),
    ("apl_before", "APL avant"),
    ("apl_after", "APL après"),
]


@require_GET
def planning_export(request, level, code, fmt):
    """The ranking (or ``?tableau=plan`` / ``besoin``) as CSV or XLSX, with its sources."""
    if fmt not in ("csv", "xlsx"):
        raise Http404("Format inconnu")
    zone, params, errors, prepared = _compute(request, level, code, request.GET)
    if prepared is None:
        return HttpResponse("\n".join(errors.values()), status=400, content_type="text/plain; charset=utf-8")
    table = request.GET.get("tableau", "classement")
    if table == "plan":
        rows, columns = planning.greedy_plan(prepared)["steps"], PLAN_COLUMNS
    elif table == "besoin":
        rows, columns = planning.need(prepared)["placement"], NEED_COLUMNS
    elif table in ("exact_besoin", "exact_plan"):
        kind = ExactPlan.Kind.NEED if table == "exact_besoin" else ExactPlan.Kind.PLAN
        job = find(prepared.run, zone, params, kind, prepared.millesime)[0]
        if job is None or not job.is_done:
            return HttpResponse("Aucune réponse exacte calculée pour cette demande.", status=404)
        rows, columns = job.result.get("placement", []), NEED_COLUMNS
    else:
        table, rows, columns = "classement", planning.ranking(prepared)["rows"], RANKING_COLUMNS
    filename = f"planification-{table}-{level}-{zone.pk}.{fmt}"
    if fmt == "csv":
        return csv_response(rows, columns, filename)
    run = prepared.run
    sources = [
        (
            f"APL des médecins généralistes, DREES ({prepared.millesime})",
            prepared.millesime,
            "Licence Ouverte",
            "valeur officielle avant",
        ),
        (
            f"Bassin de patientèle du calcul n° {run.pk}",
            "",
            "",
            "effet estimé sur les temps de trajet du portail",
        ),
    ]
    notes = [
        f"{params.gps} médecin(s) × {params.per_gp:g} consultations par an ; "
        f"seuil {params.threshold.replace('.', ',')}.",
        "Estimation : effet calculé sur les temps de trajet du portail autour de l’APL officielle.",
    ]
    return xlsx_response(rows, columns, filename, title="Planification", sources=sources, notes=notes)


@require_POST
def planning_exact(request, level, code):
    """Ask for the exact answer of the need (``?besoin=1``) or of the plan (``?plan=N``)."""
    if not can_request_exact_plan(request.user):
        raise PermissionDenied(
            "Le calcul exact est réservé aux élus, aux agents des ARS et aux administrateurs."
        )
    zone, params, errors, prepared = _compute(request, level, code, request.GET)
    if prepared is None:
        return HttpResponse("\n".join(errors.values()), status=400, content_type="text/plain; charset=utf-8")
    kind = (
        ExactPlan.Kind.PLAN if request.POST.get("nature") == "plan" and params.plan else ExactPlan.Kind.NEED
    )
    request_exact(prepared, kind, request.user)
    anchor = "#plan" if kind == ExactPlan.Kind.PLAN else "#besoin"
    return redirect(
        reverse("indicators:planning", args=[level, zone.pk]) + "?" + urlencode(params.query()) + anchor
    )


@require_GET
def exact_status(request, pk):
    job = get_object_or_404(ExactPlan, pk=pk)
    return JsonResponse(
        {
            "status": job.status,
            "status_label": job.get_status_display(),
            "step": job.step,
            "done": not job.is_active,
        }
    )
