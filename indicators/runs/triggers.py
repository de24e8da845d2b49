"""When to recompute: after every successful import (signal), on an admin's demand, at load_all.

During ``manage.py load_all`` recomputes are deferred (the first bootstrap step defers them, the
indicators step at order 90 computes once after every import).
"""

import logging

from django.db import transaction

from indicators.models import ComputationRun

logger = logging.getLogger(__name__)

_deferred = {"active": False, "pending": False}


def defer(active: bool) -> bool:
    """Start or stop deferring recomputes; stopping returns whether an import asked for one."""
    _deferred["active"] = active
    pending = _deferred["pending"]
    if not active:
        _deferred["pending"] = False
    return pending


def schedule(trigger, *, user=None, dataset=None, delay_per_step=0.0) -> ComputationRun:
    """Create a pending run and send the task once the current transaction commits."""
    from indicators.runs import services
    from indicators.tasks import recompute_indicators

    run = services.create_run(trigger, user=user, dataset=dataset)

    def send():
        from django.conf import settings

        try:
            result = recompute_indicators.apply_async(
                kwargs={"run_id": run.pk, "trigger": trigger, "delay_per_step": delay_per_step},
                retry=False,  # a broker that is down is said at once, not after minutes of retries
            )
        except Exception:
            if settings.CELERY_TASK_ALWAYS_EAGER:  # in-process run that failed: the row holds the error
                logger.exception("computation run %s failed", run.pk)
            else:  # the broker is down: the run says so (with a retry), never an endless « pending »
                logger.exception("computation run %s could not be queued", run.pk)
                services.mark_queue_unavailable(run.pk)
            return
        ComputationRun.objects.filter(pk=run.pk).update(task_id=result.id or "")

    transaction.on_commit(send)
    return run


# Imports that feed no computation (policy texts; DREES APL, published values shown beside the
# computed ones; Assurance Maladie densities, published figures) never trigger a recompute.
SOURCES_WITHOUT_INDICATORS = ("proposals-", "drees-apl", "ameli-demographie")


def affects_indicators(dataset) -> bool:
    """Imports of territories, GP supply, care offers (emergency sites), zonage or a time matrix
    affect the indicators; nothing is computed before a GP supply has been imported."""
    from offers.models import GPSupply

    if dataset.source.startswith(SOURCES_WITHOUT_INDICATORS):
        return False
    return GPSupply.objects.filter(dataset__status="succeeded").exists()


def on_dataset_imported(sender, dataset, **kwargs):
    if _deferred["active"]:
        _deferred["pending"] = True
        return
    if not affects_indicators(dataset):
        return
    try:
        schedule(ComputationRun.Trigger.IMPORT, dataset=dataset)
    except Exception:  # an import must never fail because its follow-up could not be scheduled
        logger.exception("could not schedule the recompute after import %s", dataset.pk)
