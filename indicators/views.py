"""Pages of the indicators app: definitions, runs (with progress and diff), choropleth, what-if.

Reading a page never computes: every figure comes from the stored current run. The what-if
view computes in memory from the cached catchment and writes nothing.
"""

import json

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from territories.api_common import cached
from territories.geojson import feature, feature_collection
from territories.models import Commune
from territories.text import normalize_name
from territories.zones import get_zone, level_of

from . import services, triggers
from .models import Classification, ComputationRun, IndicatorDefinition, IndicatorValue
from .official_whatif import ACTIONS as OFFICIAL_ACTIONS
from .official_whatif import NEW_GP_CONSULTATIONS, OPEN_GPS, simulate_official
from .perms import can_simulate, can_trigger_run, can_upload_dataset
from .published import latest_official, official_commune_classes, published_apl
from .sections import access_section
from .values import FRANCE, atoms_of_zone, classes_for, estimate_flags, supply_is_proxy, unit_label
from .whatif import ACTIONS, ADD_MSP, WhatIfError, simulate
from .zonage import MESHES, ZONE_LABELS, ZONES
from .zonage import agreement as zonage_agreement


@require_GET
def index(request):
    run = ComputationRun.current()
    definitions = list(IndicatorDefinition.objects.all())
    france = {}
    if run:
        france = {
            v.indicator_id: v
            for v in IndicatorValue.objects.filter(run=run, level=FRANCE[0], zone_code=FRANCE[1])
        }
    rows = [
        {"definition": d, "france": france.get(d.code), "unit": unit_label(d.code, d.unit, run)}
        for d in definitions
    ]
    return render(
        request,
        "indicators/index.html",
        {"rows": rows, "run": run, "flags": estimate_flags(run) if run else {}},
    )


@require_GET
def definition_detail(request, code):
    definition = get_object_or_404(IndicatorDefinition, code=code)
    run_id = request.GET.get("calcul")
    run = None
    if run_id and run_id.isdigit():
        run = ComputationRun.objects.filter(pk=run_id, status=ComputationRun.Status.SUCCEEDED).first()
    run = run or ComputationRun.current()
    france = None
    datasets = []
    if run:
        france = IndicatorValue.objects.filter(
            run=run, level=FRANCE[0], zone_code=FRANCE[1], indicator=definition
        ).first()
        ids = run.summary.get("datasets_by_indicator", {}).get(code, [])
        datasets = list(run.datasets.filter(pk__in=ids)) if ids else list(run.datasets.all())
    published = _published_context(code, request.GET.get("commune", ""), run, france)
    return render(
        request,
        "indicators/definition_detail.html",
        {
            **published,
            "definition": definition,
            "run": run,
            "france": france,
            "datasets": datasets,
            "is_estimate": estimate_flags(run).get(code) if run else None,
            "unit": unit_label(code, definition.unit, run),
            "is_proxy_density": code == "densite_mg" and supply_is_proxy(run),
        },
    )


def _published_context(code, commune_code, run, france):
    """DREES-published APL for ``?commune=CODE`` (else every published commune, weighted)."""
    if code != "apl_mg":
        return {}
    commune = (
        Commune.objects.filter(code=commune_code.strip()[:5], is_active=True).first()
        if commune_code
        else None
    )
    computed = getattr(france, "value", None)
    if commune is not None and run is not None:
        computed = (
            IndicatorValue.objects.filter(run=run, level="commune", zone_code=commune.code, indicator_id=code)
            .values_list("value", flat=True)
            .first()
        )
    return {
        "published": published_apl(commune),
        "published_place": commune.name if commune else "l’ensemble des communes publiées",
        "published_commune": commune,
        "published_computed": computed,
    }


@require_GET
def run_list(request):
    runs = ComputationRun.objects.select_related("rule", "trigger_dataset", "triggered_by")
    return render(
        request,
        "indicators/run_list.html",
        {
            "page": Paginator(runs, 30).get_page(request.GET.get("page")),
            "can_trigger": can_trigger_run(request.user),
            "current": ComputationRun.current(),
            "in_request": in_request(),
            "can_upload": can_upload_dataset(request.user),
        },
    )


def in_request() -> bool:
    """No Celery broker configured (embedded default): tasks run eagerly, inside the request."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False))


@require_POST
def run_trigger(request):
    if not can_trigger_run(request.user):
        raise PermissionDenied(RUN_REFUSAL)
    run = triggers.schedule(ComputationRun.Trigger.ADMIN, user=request.user)
    run.refresh_from_db()
    if run.status == ComputationRun.Status.FAILED and not in_request():
        messages.error(request, f"Calcul n° {run.pk} non lancé : {run.error}")
    elif in_request():  # no broker: computed within this request (once it commits), then shown
        messages.success(
            request,
            f"Calcul n° {run.pk} effectué pendant la requête (sans broker Celery) : "
            "son statut et sa durée figurent ci-dessous.",
        )
    else:  # sent to a Celery worker: the run page shows its progress bar
        messages.success(request, f"Calcul n° {run.pk} demandé : sa progression s’affiche ci-dessous.")
    return redirect(run)


@require_GET
def run_detail(request, pk):
    run = get_object_or_404(
        ComputationRun.objects.select_related("rule", "previous", "trigger_dataset", "triggered_by"), pk=pk
    )
    changed = run.diff.get("changed", [])
    names = dict(Commune.objects.filter(code__in=[c["code"] for c in changed]).values_list("code", "name"))
    for row in changed:
        row["name"] = names.get(row["code"], row["code"])
    return render(
        request,
        "indicators/run_detail.html",
        {
            "run": run,
            "datasets": run.datasets.all(),
            "changed": changed,
            "can_retry": run.status == ComputationRun.Status.FAILED and can_trigger_run(request.user),
            "can_review": can_trigger_run(request.user),
            "can_republish": (
                can_trigger_run(request.user)
                and run.status == ComputationRun.Status.SUCCEEDED
                and not run.is_current
                and not run.summary.get("pruned")
                and run.review != "held"
            ),
            "flags": estimate_flags(run) if run.status == ComputationRun.Status.SUCCEEDED else {},
            "zonage": zonage_tables(run),
            "zone_labels": [ZONE_LABELS[z] for z in ZONES],
            "stages": stage_times(run),
        },
    )


STAGE_LABELS = {
    "lecture": "lecture des données",
    "aire": "aire de 20 minutes",
    "calcul": "indicateurs des communes",
    "agregation": "agrégation par zone",
    "classement": "classement",
    "ecriture": "écriture",
}


def stage_times(run) -> str:
    """« lecture des données 0,5 s ; … » from the stage times stored by the run ("" before they
    were stored)."""
    stages = (run.summary or {}).get("stage_seconds") or {}
    parts = [f"{STAGE_LABELS[k]} {stages[k]:.2f} s".replace(".", ",") for k in STAGE_LABELS if k in stages]
    return " ; ".join(parts)


def zonage_tables(run) -> list[dict]:
    """The agreement of the run's classes with the ARS zonage, at both meshes (none when the run
    read no zonage or kept no commune values)."""
    if run.status != ComputationRun.Status.SUCCEEDED or run.summary.get("pruned"):
        return []
    out = []
    for mesh, label in MESHES.items():
        result = zonage_agreement(run, mesh, "run")
        if not result.zoned:
            return []
        tables = [
            {"name": name, "rows": table.rows(), "agreement": table.agreement_text, "kappa": table.kappa_text}
            for name, table in (("communes", result.by_communes), ("population", result.by_population))
        ]
        out.append({"mesh_label": label, "result": result, "tables": tables})
    return out


@require_GET
def run_status(request, pk):
    run = get_object_or_404(ComputationRun, pk=pk)
    return JsonResponse(
        {
            "id": run.pk,
            "status": run.status,
            "status_label": run.get_status_display(),
            "progress": run.progress,
            "step": run.step,
            "is_current": run.is_current,
            "error": run.error,
            "done": not run.is_active,
        }
    )


@require_GET
@cached(limit=False)
def classes_geojson(request, level, code):
    """The zone's computed communes coloured by class (official APL when published) (GeoJSON);
    cached under the data state (a new run or import), with ETag / Last-Modified."""
    zone = get_zone(level, code)
    payload = json.dumps(classes_payload(atoms_of_zone(zone)), separators=(",", ":"), ensure_ascii=False)
    return HttpResponse(payload, content_type="application/json")


def classes_payload(atoms):
    """GeoJSON of communes with their class: the official APL and the class of its bassin de vie
    when the DREES figure is loaded, else the current run's; emergency access from the run."""
    run = ComputationRun.current()
    classes = classes_for(run, [("commune", c) for c in atoms]) if run else {}
    apl = {}
    if run:
        apl = {
            v.zone_code: v.value
            for v in IndicatorValue.objects.filter(
                run=run, level="commune", zone_code__in=atoms, indicator_id="apl_mg"
            )
        }
    # The official APL and its class come first when the DREES figure is loaded.
    official, basis = official_commune_classes(atoms)
    features = []
    for commune in Commune.objects.filter(code__in=atoms).only(
        "code", "name", "population", "geometry_simplified"
    ):
        cls = classes.get(("commune", commune.code))
        properties = {
            "apl_class": cls.apl_class if cls else Classification.AplClass.UNKNOWN,
            "label": cls.label if cls else "non calculé",
            "apl": round(apl[commune.code], 2) if apl.get(commune.code) is not None else None,
        }
        if commune.code in official:
            value, key, label = official[commune.code]
            properties = {
                "apl_class": key,
                "label": label + (" ; urgences éloignées" if cls and cls.emergency_far else ""),
                "apl": round(value, 2) if value is not None else None,
            }
        features.append(
            feature(
                commune.geometry_simplified,
                code=commune.code,
                name=commune.name,
                population=commune.population,
                emergency_far=cls.emergency_far if cls else None,
                url=commune.get_absolute_url(),
                **properties,
            )
        )
    data = feature_collection(features)
    data["run"] = run.pk if run else None
    data["basis"] = basis or (f"APL recalculée par le portail (calcul n° {run.pk})" if run else "")
    return data


@require_GET
@cached(limit=False)
def france_geojson(request):
    """The national map layer (départements with every indicator), cached per run and import."""
    from .national import france_layer

    return HttpResponse(france_layer(), content_type="application/json")


@require_http_methods(["GET", "POST"])
def simulate_view(request, level, code):
    if not can_simulate(request.user):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        raise PermissionDenied(
            "La simulation est réservée aux élus, aux agents des ARS et aux administrateurs ; "
            "votre compte n’est dans aucun de ces groupes."
        )
    zone = get_zone(level, code)
    run = ComputationRun.current()
    atoms = atoms_of_zone(zone)
    communes = list(
        Commune.objects.filter(code__in=atoms).order_by("-population", "code").values_list("code", "name")
    )
    result, error = None, None
    # The baseline is the official APL when one is published; the portal's own APL otherwise.
    official = latest_official() is not None
    default_action = OPEN_GPS if official else ADD_MSP
    form = {
        "action": default_action,
        "commune": f"{communes[0][1]} (commune {communes[0][0]})" if communes else "",
        "gps": 1 if official else 4,
        "activity": NEW_GP_CONSULTATIONS,
        "years": 5,
    }
    # a GET naming a commune (a row of the planning page) simulates it at once: nothing is written
    data = request.POST if request.method == "POST" else request.GET
    if run is not None and (request.method == "POST" or "commune" in request.GET):
        form = {
            "action": data.get("action", "") or default_action,
            "commune": data.get("commune", ""),
            "gps": data.get("gps", ""),
            "activity": data.get("activity", "") or NEW_GP_CONSULTATIONS,
            "years": data.get("years", "") or 5,
        }
        try:
            commune_code = whatif_commune(form["commune"], communes, zone)
            gps = int(form["gps"]) if form["gps"] else None
            if gps is not None and gps > 200:
                raise WhatIfError("Au plus 200 médecins.")
            if form["action"] in OFFICIAL_ACTIONS:
                activity = float(
                    str(form["activity"]).replace(",", ".").replace("\u202f", "").replace(" ", "")
                )
                result = simulate_official(
                    run, set(atoms), form["action"], commune_code=commune_code, gps=gps, activity=activity
                )
            else:
                years = int(form["years"]) if str(form["years"]).strip() else None
                result = simulate(
                    run, set(atoms), form["action"], commune_code=commune_code, gps=gps, years=years
                )
        except ValueError as exc:
            error = str(exc) if isinstance(exc, WhatIfError) else "Nombre de médecins ou activité invalide."
    section = access_section(request, zone)
    return render(
        request,
        "indicators/simulate.html",
        {
            "zone": zone,
            "level": level_of(zone),
            "run": run,
            "single_commune": communes[0] if len(communes) == 1 else None,
            "within": f"{level_of(zone)}:{zone.pk}",
            "actions": ACTIONS,
            "official": official,
            "official_actions": OFFICIAL_ACTIONS,
            "form": form,
            "result": result,
            "error": error,
            "section": section["context"] if section else {},
            "classes_after": result.classes_after() if result else {},
        },
    )


RUN_REFUSAL = "Lancer, publier ou écarter un calcul est réservé aux administrateurs du portail."


def whatif_commune(text, communes, zone):
    """The INSEE code of the commune a what-if names: a code, a suggestion's label or a name, among
    the zone's communes (a name shared with communes elsewhere in France is not ambiguous here)."""
    from territories.picker import TerritoryError, resolve

    text = (text or "").strip()
    codes = dict(communes)
    if text.upper() in codes:
        return text.upper()
    normalized = normalize_name(text)
    same_name = [code for code, name in communes if normalize_name(name) == normalized]
    if len(same_name) == 1:
        return same_name[0]
    if not text:
        raise WhatIfError("Indiquez la commune où le changement a lieu.")
    try:
        commune = resolve(text, levels=("commune",))
    except TerritoryError as exc:
        raise WhatIfError(str(exc)) from exc
    if commune.pk not in codes:
        raise WhatIfError(f"{commune.name} ({commune.pk}) n’est pas dans le territoire {zone.name}.")
    return commune.pk


# --- uploads of data files (staff with the upload permission) ----------------------------------


def _require_upload_permission(request):
    if not can_upload_dataset(request.user):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path())
        raise PermissionDenied(
            "Les imports de données sont réservés aux administrateurs qui ont la permission "
            "« importer des jeux de données » : demandez-la à l’administrateur du portail."
        )
    return None


@require_http_methods(["GET", "POST"])
def upload_list(request):
    """Upload a data file: saved under MEDIA_ROOT/imports/<uuid>/, imported by a Celery task."""
    from .forms import DatasetUploadForm
    from .models import DatasetUpload
    from .tasks import import_uploaded_file
    from .uploads import absolute_path, start_in_background, store_upload

    denied = _require_upload_permission(request)
    if denied:
        return denied
    form = DatasetUploadForm(request.POST, request.FILES) if request.method == "POST" else DatasetUploadForm()
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        options = {
            "millesime": data["millesime"],
            "skip_other_categories": data["skip_other_categories"],
            "partial": data["partial"],
            "ignore_unknown": data["ignore_unknown"],
        }
        upload = store_upload(
            data["file"],
            kind=data["kind"],
            dry_run=data["dry_run"],
            synthetic=data["synthetic"],
            user=request.user,
            options=options,
        )
        task_kwargs = {
            "kind": upload.kind,
            "path": str(absolute_path(upload.path)),  # the worker may have another cwd
            "dry_run": upload.dry_run,
            "synthetic": upload.synthetic,
            "user_id": request.user.pk,
            "upload_id": upload.pk,
            "options": options,
        }
        if in_request() and settings.UPLOADS_IN_BACKGROUND:
            start_in_background(task_kwargs)
            messages.success(request, "Fichier déposé : l’import est en cours, cette page suit son état.")
            return redirect(upload)
        try:
            result = import_uploaded_file.apply_async(kwargs=task_kwargs)
        except Exception as exc:  # broker unreachable: say so, keep the file for a retry
            DatasetUpload.objects.filter(pk=upload.pk).update(
                status=DatasetUpload.Status.FAILED,
                message=f"Tâche non envoyée ({type(exc).__name__}) : {exc}",
            )
        else:
            DatasetUpload.objects.filter(pk=upload.pk).update(task_id=result.id or "")
        upload.refresh_from_db()
        if upload.is_active:
            messages.success(request, "Fichier déposé : l’import est confié au worker Celery.")
        elif upload.status == DatasetUpload.Status.FAILED:
            messages.error(request, "Import refusé : le détail des problèmes figure ci-dessous.")
        else:
            messages.success(request, f"Import terminé : {upload.get_status_display()}.")
        return redirect(upload)
    uploads = DatasetUpload.objects.select_related("dataset", "uploaded_by")[:30]
    from territories.models import Dataset

    return render(
        request,
        "indicators/upload_list.html",
        {
            "form": form,
            "uploads": uploads,
            "datasets": Dataset.objects.all()[:20],
            "in_request": in_request(),
        },
    )


@require_GET
def upload_detail(request, pk):
    from .models import DatasetUpload

    denied = _require_upload_permission(request)
    if denied:
        return denied
    upload = get_object_or_404(DatasetUpload.objects.select_related("dataset", "uploaded_by"), pk=pk)
    return render(request, "indicators/upload_detail.html", {"upload": upload})


@require_GET
def upload_status(request, pk):
    """The state of an import, polled by its page until it ends (then the page reloads)."""
    from django.utils import timezone

    from .models import DatasetUpload

    if not can_upload_dataset(request.user):
        return JsonResponse({"error": "réservé aux administrateurs qui importent"}, status=403)
    upload = get_object_or_404(DatasetUpload, pk=pk)
    elapsed = int((timezone.now() - upload.created_at).total_seconds())
    return JsonResponse(
        {
            "status": upload.status,
            "status_label": upload.get_status_display(),
            "step": f"depuis {elapsed} s" if upload.is_active else "",
            "done": not upload.is_active,
        }
    )


# --- ranking and comparison of territories (the élu's dashboard) -------------------------------

RANK_PAGE_SIZE = 50
MAX_COMPARED = 5


def _export_sources(run, millesimes, columns):
    from .published import official_datasets

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
    notes = [f"{c.label} : {c.badge}" for c in columns if c.badge and c.badge != "officiel DREES"]
    return sources, notes


def _export(rows, columns, fmt, filename, run, millesimes, extra_columns=()):
    from territories.exports import csv_response, xlsx_response

    def header(c):
        unit = f" ({c.unit})" if c.unit else ""
        badge = f" [{c.badge}]" if c.badge else ""
        return c.label + unit + badge

    cols = [*extra_columns] + [(c.key, header(c)) for c in columns if c.label]
    if fmt == "csv":
        return csv_response(rows, cols, filename + ".csv")
    sources, notes = _export_sources(run, millesimes, columns)
    return xlsx_response(rows, cols, filename + ".xlsx", title="Indicateurs", sources=sources, notes=notes)


@require_GET
def ranking_view(request, level, code):
    from .dashboard import LEVEL_LABELS, member_levels, ranking

    zone = get_zone(level, code)
    levels = member_levels(zone)
    if not levels:
        raise Http404("Pas de classement à l’intérieur d’une commune")
    member_level = request.GET.get("niveau") if request.GET.get("niveau") in levels else levels[0]
    sort_key = request.GET.get("tri") or "apl"
    descending = request.GET.get("ordre") == "desc"
    rows, cols, run, millesimes = ranking(zone, member_level, sort_key, descending)
    if sort_key not in {c.key for c in cols} | {"name"}:
        sort_key = "apl"
        rows, cols, run, millesimes = ranking(zone, member_level, sort_key, descending)
    fmt = request.GET.get("format")
    if fmt in ("csv", "xlsx"):
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
    for value in values:
        lvl, _, code = value.partition(":")
        if lvl not in LEVELS or not code:
            errors.append(f"« {value} » : territoire inconnu")
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

    from territories.search import search

    from .dashboard import columns, figures, official_millesimes

    zones, errors = _parse_compared(request.GET.getlist("t"))
    query = request.GET.get("ajouter", "").strip()
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
                    {"value": v, "best": v is not None and v == best, "worst": v is not None and v == worst}
                    for v in values
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
        others = Departement.objects.filter(region_id=zone.region_id).exclude(pk=zone.pk)
        return [d for d in others if ("departement", d.pk) not in exclude][:limit]
    if isinstance(zone, Region):
        return [r for r in Region.objects.exclude(pk=zone.pk) if ("region", r.pk) not in exclude][:limit]
    return []


@require_GET
def evolution_export(request, level, code, fmt):
    from territories.exports import csv_response, xlsx_response

    from .evolution import evolution_rows

    if fmt not in ("csv", "xlsx"):
        raise Http404("Format inconnu")
    zone = get_zone(level, code)
    rows, columns = evolution_rows(zone)
    name = f"evolution-{level}-{code}"
    if fmt == "csv":
        return csv_response(rows, columns, name + ".csv")
    run = ComputationRun.current()
    from .dashboard import columns as dashboard_columns
    from .dashboard import official_millesimes

    millesimes = official_millesimes()
    sources, notes = _export_sources(run, millesimes, dashboard_columns(run, millesimes))
    return xlsx_response(rows, columns, name + ".xlsx", title="Évolution", sources=sources, notes=notes)


def _table_export(rows, labelled, cols, run, millesimes, fmt, filename, title):
    """One row per indicator, one column per territory (``labelled``: [(key, label)]), typed."""
    from territories.exports import csv_response, xlsx_response

    table = []
    for row in rows:
        record = {"indicator": row["column"].label, "unit": row["column"].unit, "badge": row["column"].badge}
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
    from territories.zones import parent_zones

    from .dashboard import columns, figures, official_millesimes

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
    from django.http import HttpResponse

    from .fiche import fiche_pdf

    zone = get_zone(level, code)
    response = HttpResponse(
        fiche_pdf(zone, request.build_absolute_uri("/"), request), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'attachment; filename="fiche-{level}-{code}.pdf"'
    return response


# --- publish gate: held runs are published or discarded by an administrator ---------------------


@require_POST
def run_publish(request, pk):
    """Publish a held run after review, or an earlier run again (« republier »)."""
    if not can_trigger_run(request.user):
        raise PermissionDenied(RUN_REFUSAL)
    run = get_object_or_404(ComputationRun, pk=pk)
    try:
        services.publish_run(run, user=request.user)
    except ValueError as exc:
        messages.error(request, f"Calcul n° {run.pk} non publié : {exc}.")
    else:
        messages.success(request, f"Calcul n° {run.pk} publié : les pages affichent désormais ses résultats.")
    return redirect(run)


@require_POST
def run_discard(request, pk):
    if not can_trigger_run(request.user):
        raise PermissionDenied(RUN_REFUSAL)
    run = get_object_or_404(ComputationRun, pk=pk)
    services.discard_run(run)
    messages.success(request, f"Calcul n° {run.pk} écarté : il reste consultable, il n’est pas publié.")
    return redirect(run)


@require_GET
def run_diff(request, pk):
    """The complete list of communes whose class changed, recomputed from the stored rows (CSV)."""
    from territories.exports import csv_response

    run = get_object_or_404(ComputationRun, pk=pk)
    previous = run.previous or ComputationRun.current()
    if previous is None or run.summary.get("pruned") or previous.summary.get("pruned"):
        raise Http404("Valeurs de ce calcul supprimées (anciens calculs) : seul le résumé reste.")
    rows = services.full_diff(previous, run)
    names = dict(Commune.objects.filter(code__in=[r["code"] for r in rows]).values_list("code", "name"))
    for row in rows:
        row["name"] = names.get(row["code"], "")
    columns = [
        ("code", "Code"),
        ("name", "Commune"),
        ("before", f"Classe (calcul n° {previous.pk})"),
        ("after", f"Classe (calcul n° {run.pk})"),
    ]
    return csv_response(rows, columns, f"ecarts-calcul-{run.pk}.csv")
