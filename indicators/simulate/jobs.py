"""Asking for an exact answer: find the stored one, or store the request and send its task once
the transaction commits (in-process when no broker is configured, as runs are)."""

import logging
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from indicators.simulate.exact import DEFAULT_TIME_LIMIT, find
from indicators.simulate.models import ExactPlan
from indicators.simulate.planning import zone_level
from indicators.tasks import solve_exact_plan

logger = logging.getLogger(__name__)
STALE_AFTER = 600  # seconds past its time limit: a job still « en cours » lost its worker


def request_exact(prepared, kind, user=None, time_limit=DEFAULT_TIME_LIMIT) -> tuple[ExactPlan, bool]:
    """(the stored request, whether it was created now). A failed request is asked again."""
    zone, run = prepared.zone, prepared.run
    existing, key, parameters = find(run, zone, prepared.params, kind, prepared.millesime)
    if (
        existing is not None
        and existing.is_active
        and existing.created_at < timezone.now() - timedelta(seconds=existing.time_limit + STALE_AFTER)
    ):  # its worker died: asked again, solved again
        existing.status = ExactPlan.Status.FAILED
    if existing is not None and existing.status != ExactPlan.Status.FAILED:
        return existing, False
    if existing is not None:
        existing.delete()
    try:
        with transaction.atomic():
            plan = ExactPlan.objects.create(
                key=key,
                kind=kind,
                run=run,
                millesime=prepared.millesime,
                zone_level=zone_level(zone),
                zone_code=str(zone.pk),
                zone_name=zone.name[:200],
                parameters=parameters,
                time_limit=time_limit,
                step="en attente d’un processus de calcul",
                requested_by=user if getattr(user, "is_authenticated", False) else None,
            )
    except IntegrityError:  # the same request, asked at the same moment
        return ExactPlan.objects.get(key=key), False

    def send():
        try:
            solve_exact_plan.apply_async(kwargs={"plan_id": plan.pk}, retry=False)
        except Exception as exc:
            logger.exception("exact plan %s could not be solved or queued", plan.pk)
            ExactPlan.objects.filter(pk=plan.pk, status=ExactPlan.Status.PENDING).update(
                status=ExactPlan.Status.FAILED, step="", error=f"File de calcul indisponible : {exc}"[:2000]
            )

    transaction.on_commit(send)
    return plan, True
