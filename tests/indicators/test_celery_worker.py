"""A real Celery worker on the Redis at 127.0.0.1:6379 (dedicated DB 9, a queue of our own).

The worker is a subprocess (``celery -A config worker``) on the same test database; the data it
must see is committed (no wrapping transaction) and removed at the end. Checks:

* importing a new GP supply file triggers a recompute through Celery (signal → on commit → task);
* a worker process killed (SIGKILL) in the middle of a run leaves the previous classification
  visible and the run marked failed (``acks_late`` + ``reject_on_worker_lost`` redeliver the task,
  which marks the interrupted run failed), and the retry succeeds.

Runs are made slow deterministically with the task's test-only ``delay_per_step`` parameter.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import PROTECT

from tests.conftest import TERRITORY_SLICE

from .conftest import SIRENE_SLICE

REDIS_URL = "redis://127.0.0.1:6379/9"
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.celery_worker


def wait_for(predicate, timeout=90.0, interval=0.2, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def committed(django_db_setup, django_db_blocker):
    """Autocommit access to the test database; rows created by the test are deleted afterwards."""
    from indicators.models import ClassificationRule, ComputationRun, TravelTime
    from offers.models import GPSupply, Offer
    from territories.importers import import_territories
    from territories.models import Dataset

    with django_db_blocker.unblock():
        # A live-server test run before this one flushes the database: the slice comes back
        # (idempotent, nothing written when present).
        import_territories(TERRITORY_SLICE)
        max_dataset = Dataset.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        max_offer = Offer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        rules = set(ClassificationRule.objects.values_list("pk", flat=True))
        yield
        ComputationRun.objects.all().delete()
        ClassificationRule.objects.exclude(pk__in=rules).delete()
        TravelTime.objects.filter(dataset_id__gt=max_dataset).delete()
        GPSupply.objects.filter(dataset_id__gt=max_dataset).delete()
        Offer.history.filter(id__gt=max_offer).delete()
        Offer.objects.filter(pk__gt=max_offer).delete()
        # Every other row that points at a dataset created by the test (protected foreign keys).
        new = Dataset.objects.filter(pk__gt=max_dataset)
        # (hidden relations too: related_name="+" is not in _meta.related_objects)
        for relation in Dataset._meta.get_fields(include_hidden=True):
            if not relation.auto_created or relation.concrete:
                continue
            if relation.related_model is not Dataset and getattr(relation, "on_delete", None) is PROTECT:
                relation.related_model._base_manager.filter(**{f"{relation.field.name}__in": new}).delete()
        new.delete()


@pytest.fixture
def celery_app_on_redis():
    """Point the app of this process at Redis (not eager) with a queue of our own."""
    from config.celery import app

    queue = f"indicators-test-{os.getpid()}"
    saved = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager", "task_default_queue")}
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False, task_default_queue=queue)
    _drop_connections(app)
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue) if conn.default_channel else None
    yield app, queue
    app.conf.update(**saved)
    _drop_connections(app)


def _drop_connections(app):
    """Forget the connection and producer pools so that the next send uses the new broker (kombu's
    global producer registry too: a second test would otherwise get a pool closed by the first)."""
    from kombu import pools

    pools.reset()
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def worker(celery_app_on_redis, tmp_path):
    app, queue = celery_app_on_redis
    log = open(tmp_path / "worker.log", "w")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgis://postgres@127.0.0.1:5432/{connection.settings_dict['NAME']}",
        "CELERY_BROKER_URL": REDIS_URL,
        "PYTHONWARNINGS": "ignore",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "-P",
            "prefork",
            "-c",
            "1",
            "-Q",
            queue,
            "-n",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    log.close()
    print((tmp_path / "worker.log").read_text()[-4000:])


def test_import_triggers_recompute_and_killed_worker_leaves_previous_results(committed, worker):
    from indicators.api.measures import measure
    from indicators.models import Classification, ComputationRun
    from indicators.runs import triggers
    from offers.importers import import_gp_supply
    from offers.models import Offer
    from territories.models import Commune, Departement

    gueret = Commune.objects.get(code="23096")
    Offer.objects.create(
        kind=Offer.Kind.EMERGENCY,
        name="Urgences du CH de Guéret",
        commune=gueret,
        location=gueret.point,
        location_precision=Offer.LocationPrecision.COMMUNE,
    )

    # 1. Importing a GP supply file triggers a recompute through the worker.
    dataset = import_gp_supply(SIRENE_SLICE)
    first = ComputationRun.objects.get(trigger_dataset=dataset)
    assert first.trigger == ComputationRun.Trigger.IMPORT
    wait_for(
        lambda: ComputationRun.objects.filter(pk=first.pk, status="succeeded").exists(),
        what="the recompute after import",
    )
    first.refresh_from_db()
    assert first.is_current and first.task_id
    assert first.parameters["worker"].split(":")[1] != str(os.getpid())  # computed by the worker
    classes_before = dict(
        Classification.objects.filter(run=first, level="commune").values_list("zone_code", "apl_class")
    )
    assert classes_before
    apl_before = measure("apl_mg", Departement.objects.get(code="23"))

    # 2. A slow run; the worker process executing it is killed in the middle.
    slow = triggers.schedule(ComputationRun.Trigger.ADMIN, delay_per_step=1.0)
    wait_for(
        lambda: ComputationRun.objects.filter(pk=slow.pk, status="running", progress__gte=20).exists(),
        what="the slow run to be in progress",
    )
    slow.refresh_from_db()
    pid = int(slow.parameters["worker"].rsplit(":", 1)[1])
    assert pid != worker.pid  # the prefork child, not the main worker process
    os.kill(pid, signal.SIGKILL)

    # The redelivered task marks the interrupted run failed and retries it in a new run.
    wait_for(
        lambda: ComputationRun.objects.filter(pk=slow.pk, status="failed").exists(),
        what="the killed run to be marked failed",
    )
    slow.refresh_from_db()
    assert "perdu" in slow.error and not slow.is_current
    # The previous classification is still the one shown.
    assert ComputationRun.current() == first
    assert measure("apl_mg", Departement.objects.get(code="23")) == apl_before
    retry = wait_for(
        lambda: ComputationRun.objects.filter(parameters__retry_of=slow.pk).first(), what="the retry run"
    )
    assert ComputationRun.current() == first or retry.status == "succeeded"

    # 3. The retry succeeds and becomes current; nothing of the killed run was published.
    wait_for(
        lambda: ComputationRun.objects.filter(pk=retry.pk, status="succeeded").exists(),
        what="the retry to succeed",
    )
    retry.refresh_from_db()
    assert retry.is_current and retry.previous == first
    assert not Classification.objects.filter(run=slow).exists()
    classes_after = dict(
        Classification.objects.filter(run=retry, level="commune").values_list("zone_code", "apl_class")
    )
    assert classes_after == classes_before  # same inputs, same classes
    assert retry.diff["count"] == 0


@pytest.mark.django_db
def test_task_wiring_for_safe_retries():
    """The task is the one the beat schedule names, and a lost worker's task is redelivered.

    (This test also makes the session set up the test database when the worker test runs alone.)
    """
    from django.conf import settings

    from indicators.tasks import recompute_indicators

    assert recompute_indicators.name == "indicators.tasks.recompute_indicators"
    assert recompute_indicators.acks_late and recompute_indicators.reject_on_worker_lost
    assert settings.CELERY_BEAT_SCHEDULE["nightly-recompute-indicators"]["task"] == recompute_indicators.name
