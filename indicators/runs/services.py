"""The life of a computation run: create, execute (or safely re-execute), the reaper of stale runs.

Called by the Celery task ``indicators.tasks.recompute_indicators``, by ``manage.py
compute_indicators`` and by ``load_all``: the same code path everywhere. Values are written under
the run's own id; the run becomes *current* only in the final transaction, so a failed or killed
run leaves the previous results visible. Re-running a task for a finished run does nothing; a
run found "running" by a redelivered task (its worker was lost) or with a stale heartbeat is
marked failed and a fresh run retries it.

The stages of a run live beside this module (``pipeline`` orders them: ``model``,
``aggregation``, ``classes``, ``diff``, ``publish``); their entry points are re-exported here, the
one door the tasks, commands and pages use.
"""

import logging
import os
import socket
import time
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from indicators.models import ComputationRun
from indicators.runs import inputs
from indicators.runs.aggregation import aggregate, commune_values, land_groups, zone_values
from indicators.runs.classes import classify, mesh_classes
from indicators.runs.diff import compute_diff, full_diff
from indicators.runs.lock import COMPUTATION_LOCK, computation_lock
from indicators.runs.model import build_model, supply_arrays
from indicators.runs.parameters import DEFAULT_PARAMETERS, INDICATORS, ZONE_LEVELS, default_parameters
from indicators.runs.pipeline import compute
from indicators.runs.publish import discard_run, hold_reason, prune_old_runs, publish_run

logger = logging.getLogger(__name__)


STALE_AFTER = timedelta(minutes=2)  # no heartbeat for this long: orphaned (steps beat every few s)


def create_run(trigger, *, user=None, dataset=None, parameters=None) -> ComputationRun:
    mark_stale_runs()
    return ComputationRun.objects.create(
        trigger=trigger,
        triggered_by=user if user is not None and user.is_authenticated else None,
        trigger_dataset=dataset,
        parameters=default_parameters(parameters),
    )


QUEUE_UNAVAILABLE = (
    "File d’attente indisponible : le calcul n’a pas pu être confié au worker (broker Celery "
    "injoignable). Les données importées sont enregistrées ; relancez le calcul depuis la page des calculs."
)


PENDING_TOO_LONG = timedelta(minutes=30)  # no worker picked the task up: it is lost


def mark_stale_runs(now=None) -> int:
    """Mark failed the runs whose worker stopped sending heartbeats (killed, machine lost), and
    the runs still pending long after they were requested (their task never reached a worker);
    called every few minutes by the beat schedule, so that no run stays « en cours » forever."""
    now = now or timezone.now()
    stale = ComputationRun.objects.filter(
        status=ComputationRun.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    ).update(
        status=ComputationRun.Status.FAILED,
        finished_at=now,
        error="Calcul interrompu : plus de signe de vie du processus (worker arrêté ou perdu).",
    )
    lost = ComputationRun.objects.filter(
        status=ComputationRun.Status.PENDING, created_at__lt=now - PENDING_TOO_LONG
    ).update(
        status=ComputationRun.Status.FAILED,
        finished_at=now,
        error=f"Calcul jamais démarré en {int(PENDING_TOO_LONG.total_seconds() // 60)} minutes : "
        "aucun worker ne l’a pris en charge (file d’attente perdue ou worker arrêté). Relancez-le.",
    )
    return stale + lost


def mark_queue_unavailable(run_id) -> None:
    ComputationRun.objects.filter(pk=run_id, status=ComputationRun.Status.PENDING).update(
        status=ComputationRun.Status.FAILED, finished_at=timezone.now(), error=QUEUE_UNAVAILABLE
    )


def execute(run_id: int, *, redelivered=False, delay_per_step: float = 0.0) -> ComputationRun:
    """Run (or safely re-run) a computation. Returns the run that ended up doing the work."""
    with transaction.atomic():
        run = ComputationRun.objects.select_for_update().get(pk=run_id)
        if run.status == ComputationRun.Status.SUCCEEDED:
            return run  # idempotent: a duplicate delivery does nothing
        if run.status == ComputationRun.Status.RUNNING:
            fresh = run.heartbeat_at and timezone.now() - run.heartbeat_at < STALE_AFTER
            if fresh and not redelivered:
                return run  # another worker is on it
            run.status = ComputationRun.Status.FAILED
            run.error = "Calcul interrompu : le processus qui l’exécutait a été perdu (tâche relivrée)."
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
        if run.status == ComputationRun.Status.FAILED:
            retry = ComputationRun.objects.create(
                trigger=run.trigger,
                triggered_by=run.triggered_by,
                trigger_dataset=run.trigger_dataset,
                parameters={**run.parameters, "retry_of": run.pk},
            )
            run = retry
        run.status = ComputationRun.Status.RUNNING
        run.started_at = run.heartbeat_at = timezone.now()
        run.progress = 0
        run.step = "démarrage"
        run.parameters = {**run.parameters, "worker": f"{socket.gethostname()}:{os.getpid()}"}
        run.save()
    start = time.perf_counter()
    with computation_lock():
        # Requests that arrived while another run computed coalesce into the latest one: it reads
        # the same data or newer, so an older pending request steps aside instead of computing.
        newer = (
            ComputationRun.objects.filter(pk__gt=run.pk, status=ComputationRun.Status.PENDING)
            .order_by("-pk")
            .first()
        )
        if newer is not None:
            ComputationRun.objects.filter(pk=run.pk).update(
                status=ComputationRun.Status.SUPERSEDED,
                step=f"regroupé avec le calcul n° {newer.pk}, demandé après (mêmes données ou plus récentes)",
                finished_at=timezone.now(),
                duration=0,
            )
            run.refresh_from_db()
            return run
        return _compute_and_time(run, start, delay_per_step)


def _compute_and_time(run, start, delay_per_step):
    try:
        compute(run, delay_per_step=delay_per_step)
    except Exception as exc:
        logger.exception("computation run %s failed", run.pk)
        ComputationRun.objects.filter(pk=run.pk).update(
            status=ComputationRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
            duration=time.perf_counter() - start,
        )
        raise
    ComputationRun.objects.filter(pk=run.pk).update(duration=time.perf_counter() - start)
    run.refresh_from_db()
    return run


def recompute(trigger=ComputationRun.Trigger.COMMAND, *, user=None, dataset=None, parameters=None, **kw):
    run = create_run(trigger, user=user, dataset=dataset, parameters=parameters)
    return execute(run.pk, **kw)


__all__ = [
    "inputs",
    "COMPUTATION_LOCK",
    "DEFAULT_PARAMETERS",
    "INDICATORS",
    "ZONE_LEVELS",
    "aggregate",
    "build_model",
    "classify",
    "commune_values",
    "computation_lock",
    "compute",
    "compute_diff",
    "default_parameters",
    "discard_run",
    "full_diff",
    "hold_reason",
    "land_groups",
    "mesh_classes",
    "prune_old_runs",
    "publish_run",
    "supply_arrays",
    "zone_values",
]
