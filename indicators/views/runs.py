"""Pages of the computation runs: list, trigger, detail with progress, stage times and zonage
agreement, publish, discard, diff as CSV.
"""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from indicators.api.values import (
    estimate_flags,
)
from indicators.models import ComputationRun
from indicators.official.zonage import MESHES, ZONE_LABELS, ZONES
from indicators.official.zonage import agreement as zonage_agreement
from indicators.perms import can_see_run, can_trigger_run, can_upload_dataset
from indicators.runs import services, triggers
from indicators.runs.access import UNPUBLISHED_REFUSAL
from territories.models import Commune


@require_GET
def run_list(request):
    runs = ComputationRun.objects.select_related("rule", "trigger_dataset", "triggered_by").defer(
        "summary", "parameters", "trigger_dataset__report"
    )
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
    if not can_see_run(request.user, run):
        raise PermissionDenied(UNPUBLISHED_REFUSAL)
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


RUN_REFUSAL = "Lancer, publier ou écarter un calcul est réservé aux administrateurs du portail."


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
    from territories.web.exports import csv_response

    run = get_object_or_404(ComputationRun, pk=pk)
    if not can_see_run(request.user, run):
        raise PermissionDenied(UNPUBLISHED_REFUSAL)
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
