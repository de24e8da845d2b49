"""Issue 24, item 2: a Redis outage degrades instead of answering 500 — pages are served without
cache, sign-in works (sessions read from PostgreSQL), a staff trigger says « File d'attente
indisponible »; cached map layers are keyed on the parameters they read; map layers are
rate-limited; imports left « en cours » by a dead process are reaped."""

import uuid
from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from indicators.models import ComputationRun
from territories.models import Dataset
from tests.factories import make_user

pytestmark = pytest.mark.django_db
DEAD = "redis://127.0.0.1:1/0"  # nothing listens there
LIVE = "redis://127.0.0.1:6379/10"


def _redis_caches(location, prefix):
    backend = "territories.web.cache.FailSafeRedisCache"
    return {
        alias: {"BACKEND": backend, "LOCATION": location, "KEY_PREFIX": f"{prefix}-{alias}"}
        for alias in ("default", "sessions")
    }


@pytest.fixture
def redis_down(settings):
    settings.CACHES = _redis_caches(DEAD, uuid.uuid4().hex)
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    settings.SESSION_CACHE_ALIAS = "sessions"
    settings.PAGE_CACHE_SECONDS = 300
    settings.RATELIMIT_ENABLE = True
    yield


@pytest.fixture
def redis_up(settings):
    prefix = uuid.uuid4().hex
    settings.CACHES = _redis_caches(LIVE, prefix)
    settings.PAGE_CACHE_SECONDS = 300
    yield caches["default"]
    caches["default"].clear()


def test_the_fail_safe_cache_answers_like_an_empty_cache_when_redis_is_down(redis_down):
    cache = caches["default"]
    assert cache.get("k", "défaut") == "défaut"
    assert cache.add("k", 1) is False
    cache.set("k", 1)
    assert cache.get_many(["k"]) == {}
    with pytest.raises(ValueError):
        cache.incr("k")
    assert cache.available is False  # the circuit is open: no new connection for a few seconds


def test_pages_and_api_are_served_without_cache_when_redis_is_down(client, redis_down):
    assert client.get("/").status_code == 200
    assert client.get("/", {"q": "gueret"}).status_code == 200
    assert client.get("/territoires/commune/23096/").status_code == 200
    assert client.get("/api/v1/indicateurs/definitions/").status_code == 200
    assert client.get("/indicateurs/carte/departement/23/classes.geojson").status_code == 200


def test_sign_in_works_when_redis_is_down(client, redis_down):
    make_user("marie", password="motdepasse-solide-42")
    response = client.post(reverse("login"), {"username": "marie", "password": "motdepasse-solide-42"})
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200 and page.wsgi_request.user.username == "marie"
    refused = client.post(reverse("login"), {"username": "marie", "password": "faux"})
    assert refused.status_code == 200


def test_staff_trigger_says_the_queue_is_unavailable_when_redis_is_down(
    client, redis_down, settings, django_capture_on_commit_callbacks
):
    from config.celery import app
    from tests.indicators.test_celery_worker import _drop_connections

    saved = {key: app.conf.get(key) for key in ("broker_url", "task_always_eager")}
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = DEAD
    app.conf.update(broker_url=DEAD, task_always_eager=False)
    _drop_connections(app)
    try:
        client.force_login(make_user("admin-outage", is_staff=True))
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(reverse("indicators:run_trigger"))
        assert response.status_code == 302
        page = client.get(response["Location"])
        assert page.status_code == 200
        assert "File d’attente indisponible" in page.content.decode()
        assert ComputationRun.objects.latest("pk").status == ComputationRun.Status.FAILED
    finally:
        app.conf.update(**saved)
        _drop_connections(app)


def test_a_map_layer_is_cached_once_whatever_the_query_string(client, redis_up):
    url = "/indicateurs/carte/departement/23/classes.geojson"
    first = client.get(url, {"x": "1"})
    assert first.status_code == 200 and first["X-Cache"] == "miss"
    for junk in ("2", "3", uuid.uuid4().hex):
        again = client.get(url, {"x": junk, "y": junk})
        assert again["X-Cache"] == "hit" and again.content == first.content
    client_keys = [k for k in redis_up._cache.get_client().scan_iter(f"*{redis_up.key_prefix}*")]
    assert len(client_keys) == 1


@override_settings(RATELIMIT_ENABLE=True, LAYER_RATE_LIMIT="3/m")
def test_map_layers_are_rate_limited_per_client(client):
    url = "/indicateurs/carte/france.geojson"
    for _ in range(3):
        assert client.get(url, REMOTE_ADDR="203.0.113.7").status_code == 200
    refused = client.get(url, REMOTE_ADDR="203.0.113.7")
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert "3 requêtes par minute" in refused.json()["detail"]
    assert client.get(url, REMOTE_ADDR="203.0.113.8").status_code == 200


def _running_dataset(source, age):
    dataset = Dataset.objects.create(
        source=source, title="t", licence="l", millesime="2026", file_name="f.csv", checksum="0" * 64
    )
    Dataset.objects.filter(pk=dataset.pk).update(started_at=timezone.now() - age)
    return dataset


def test_imports_left_running_by_a_dead_process_are_reaped(reload_territory_slice):
    import threading

    from django.db import connection, transaction

    from indicators.tasks import fail_stale_runs
    from territories.importing.contract import source_lock

    dead = _running_dataset("test-dead", timedelta(minutes=5))
    fresh = _running_dataset("test-fresh", timedelta(seconds=10))
    alive = _running_dataset("test-alive", timedelta(minutes=30))
    holding, release = threading.Event(), threading.Event()

    def importer():  # a live import holds its source lock in another connection
        with transaction.atomic():
            source_lock("test-alive")
            holding.set()
            release.wait(30)
        connection.close()

    thread = threading.Thread(target=importer)
    thread.start()
    try:
        assert holding.wait(10)
        assert fail_stale_runs()["imports"] == 1
    finally:
        release.set()
        thread.join()
    for dataset in (dead, fresh, alive):
        dataset.refresh_from_db()
    assert dead.status == Dataset.Status.FAILED and "Import interrompu" in dead.message
    assert fresh.status == alive.status == Dataset.Status.RUNNING
    # beyond the longest possible import, any running record is failed (also on SpatiaLite)
    Dataset.objects.filter(pk=alive.pk).update(started_at=timezone.now() - timedelta(hours=3))
    assert fail_stale_runs()["imports"] == 1
    alive.refresh_from_db()
    fresh.refresh_from_db()
    assert alive.status == Dataset.Status.FAILED and fresh.status == Dataset.Status.RUNNING
