"""Jobs never stay stuck: a broker that is down is said when the run is requested (failed, with a
retry button), and the beat task fails runs without heartbeat or never picked up, saying why."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from indicators.models import ComputationRun
from indicators.runs import services
from indicators.tasks import fail_stale_runs
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_broker_down_at_request_time_fails_the_run_with_a_retry(
    client, settings, supply, django_capture_on_commit_callbacks
):
    from config.celery import app

    from .test_celery_worker import _drop_connections

    # saved before the settings change: the app reads them from the Django settings
    saved = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    app.conf.update(broker_url=settings.CELERY_BROKER_URL, task_always_eager=False)
    _drop_connections(app)
    try:
        admin = make_user("admin-runs", is_staff=True)
        client.force_login(admin)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("indicators:run_trigger"))
        response = client.get(response["Location"])
        run = ComputationRun.objects.latest("pk")
        assert run.status == ComputationRun.Status.FAILED
        assert run.error == services.QUEUE_UNAVAILABLE
        page = response.content.decode()
        assert "File d’attente indisponible" in page and "Relancer le calcul" in page
    finally:
        app.conf.update(**saved)
        _drop_connections(app)


def test_beat_fails_runs_without_heartbeat_or_never_started():
    now = timezone.now()
    running, pending, fresh, alive = (services.create_run(ComputationRun.Trigger.TEST) for _ in range(4))
    ComputationRun.objects.filter(pk=running.pk).update(
        status=ComputationRun.Status.RUNNING, heartbeat_at=now - timedelta(minutes=20)
    )
    # a job running for an hour that still beats is left alone
    ComputationRun.objects.filter(pk=alive.pk).update(
        status=ComputationRun.Status.RUNNING,
        created_at=now - timedelta(hours=1),
        started_at=now - timedelta(hours=1),
        heartbeat_at=now - timedelta(seconds=20),
    )
    ComputationRun.objects.filter(pk=pending.pk).update(created_at=now - timedelta(hours=1))
    assert fail_stale_runs() == {"failed": 2, "imports": 0, "uploads": 0}
    running.refresh_from_db()
    pending.refresh_from_db()
    fresh.refresh_from_db()
    assert running.status == pending.status == ComputationRun.Status.FAILED
    assert "plus de signe de vie" in running.error and "jamais démarré" in pending.error
    assert fresh.status == ComputationRun.Status.PENDING
    alive.refresh_from_db()
    assert alive.status == ComputationRun.Status.RUNNING and not alive.error


def test_beat_schedule_runs_the_reaper(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["fail-stale-runs"]
    assert entry["task"] == "indicators.tasks.fail_stale_runs" and entry["schedule"] <= 10 * 60
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] < 3600
    from config.celery import app

    assert "indicators.tasks.fail_stale_runs" in app.tasks
