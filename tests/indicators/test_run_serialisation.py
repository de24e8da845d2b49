"""Recomputations cannot collide: one at a time (advisory lock), older pending requests coalesce
into the latest one, and a run that finishes never replaces a run requested after it."""

import threading

import pytest
from django.db import connection

from indicators.models import ComputationRun
from indicators.runs import services

pytestmark = pytest.mark.django_db


def test_an_older_pending_request_coalesces_into_the_newer(supply, emergency_sites):
    older = services.create_run(ComputationRun.Trigger.TEST)
    newer = services.create_run(ComputationRun.Trigger.TEST)
    result = services.execute(older.pk)
    assert result.status == ComputationRun.Status.SUPERSEDED and f"n° {newer.pk}" in result.step
    assert not ComputationRun.objects.filter(is_current=True).exists()
    done = services.execute(newer.pk)
    assert done.status == ComputationRun.Status.SUCCEEDED and done.is_current


def test_a_run_requested_earlier_never_replaces_a_later_published_one(supply, emergency_sites):
    earlier = services.create_run(ComputationRun.Trigger.TEST)
    ComputationRun.objects.filter(pk=earlier.pk).update(status=ComputationRun.Status.RUNNING)
    later = services.recompute(ComputationRun.Trigger.TEST)
    assert later.is_current
    # the earlier run finishes afterwards (a slow worker): it is kept, never published
    run = ComputationRun.objects.get(pk=earlier.pk)
    services.compute(run)
    run.refresh_from_db()
    assert run.status == ComputationRun.Status.SUCCEEDED and not run.is_current
    assert f"le calcul n° {later.pk}, demandé après, est déjà publié" in run.step
    assert ComputationRun.objects.get(is_current=True).pk == later.pk


def test_the_computation_lock_is_exclusive_across_connections():
    from django.db import connections

    if connection.vendor != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's")
    held = threading.Event()
    release = threading.Event()
    other_got_it = []

    def holder():
        with services.computation_lock():
            held.set()
            release.wait(5)
        connections.close_all()

    def contender():
        held.wait(5)
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [services.COMPUTATION_LOCK])
            other_got_it.append(cursor.fetchone()[0])
            if other_got_it[-1]:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [services.COMPUTATION_LOCK])
        connections.close_all()

    threads = [threading.Thread(target=holder), threading.Thread(target=contender)]
    for t in threads:
        t.start()
    threads[1].join(10)
    release.set()
    threads[0].join(10)
    assert other_got_it == [False]  # while one process computes, no other can start
