"""Celery tasks of the indicators app: thin wrappers around ``indicators.runs.services``.

With no broker configured (``CELERY_TASK_ALWAYS_EAGER``) they run in-process. ``acks_late`` and
``reject_on_worker_lost`` (settings) make a task whose worker dies be redelivered; the service
then marks the interrupted run failed and retries it in a fresh run (see ``services.execute``).
"""

import threading

from celery import shared_task
from celery.signals import worker_process_init

from indicators.runs import services
from indicators.simulate import exact


@worker_process_init.connect
def load_engine(**kwargs):
    """A worker process loads the compiled catchment kernel as it starts (≈ 0.3 s from numba's
    cache; several seconds to compile after an install), in a thread: Celery expects a new process
    to report alive within seconds, and a run arriving meanwhile simply waits for the same load."""
    from indicators.engine import grid

    threading.Thread(target=grid.warm_up, name="engine-warm-up", daemon=True).start()


@shared_task(
    name="indicators.tasks.recompute_indicators", bind=True, acks_late=True, reject_on_worker_lost=True
)
def recompute_indicators(self, run_id=None, trigger="beat", delay_per_step=0.0):
    """Compute every indicator. ``delay_per_step`` (seconds, test-only) slows a run deterministically."""
    if run_id is None:
        run_id = services.create_run(trigger).pk
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    run = services.execute(run_id, redelivered=redelivered, delay_per_step=delay_per_step)
    return {"run": run.pk, "status": run.status}


@shared_task(name="indicators.tasks.import_uploaded_file", acks_late=True, reject_on_worker_lost=True)
def import_uploaded_file(
    kind, path, dry_run=False, synthetic=False, user_id=None, upload_id=None, options=None
):
    """Import a file uploaded from the imports page with the same service as its command."""
    from indicators.importers.uploads import execute_upload

    upload = execute_upload(
        upload_id,
        kind=kind,
        path=path,
        dry_run=dry_run,
        synthetic=synthetic,
        user_id=user_id,
        options=options,
    )
    return {"upload": upload.pk, "status": upload.status, "dataset": upload.dataset_id}


@shared_task(name="indicators.tasks.fail_stale_runs")
def fail_stale_runs():
    """Beat, every few minutes: no run, import or upload stays « en cours » or « en attente »
    forever."""
    from indicators.importers.uploads import mark_stale_uploads
    from territories.importing.contract import mark_stale_imports

    return {
        "failed": services.mark_stale_runs(),
        "imports": mark_stale_imports(),
        "uploads": mark_stale_uploads(),
    }


@shared_task(name="indicators.tasks.solve_exact_plan", acks_late=True, reject_on_worker_lost=True)
def solve_exact_plan(plan_id):
    """Solve a stored planning request exactly (HiGHS, with its time limit)."""
    plan = exact.execute(plan_id)
    return {"plan": plan.pk, "status": plan.status}
