"""``/sante/``: a health endpoint for a load balancer or a supervisor (JSON, no HTML).

Says whether the database answers, whether the Celery broker answers (or that tasks run
in-process), and the age of the current computation run. 503 only when the database does not
answer (the site cannot serve a page); with the broker down the site still serves every page (jobs
wait, and staff are told « File d'attente indisponible »), so the answer is 200 with
``"status": "degraded"``, for a load balancer to keep the node and a monitor to raise an alert.
Never more than a second or two of waiting.
"""

import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from indicators.models import ComputationRun


def _database():
    start = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # reported, never raised: the endpoint must answer
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "engine": connection.vendor, "ms": round((time.perf_counter() - start) * 1000, 1)}


def _broker():
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"ok": True, "mode": "tâches exécutées dans le processus (pas de broker configuré)"}
    from kombu import Connection

    start = time.perf_counter()
    try:
        with Connection(settings.CELERY_BROKER_URL, connect_timeout=1) as conn:
            conn.ensure_connection(max_retries=1, timeout=1)
    except Exception as exc:
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "mode": "celery", "ms": round((time.perf_counter() - start) * 1000, 1)}


@never_cache
@require_GET
def health(request):
    database = _database()
    broker = _broker()
    run = None
    if database["ok"]:
        current = ComputationRun.objects.filter(is_current=True).only("pk", "finished_at").first()
        if current is not None and current.finished_at:
            run = {
                "id": current.pk,
                "age_seconds": int((timezone.now() - current.finished_at).total_seconds()),
            }
    status = "ok" if database["ok"] and broker["ok"] else "degraded" if database["ok"] else "down"
    return JsonResponse(
        {"status": status, "database": database, "broker": broker, "current_run": run},
        status=200 if database["ok"] else 503,
        json_dumps_params={"ensure_ascii": False},
    )
