"""Configuration from the environment: production settings pass `check --deploy`; defaults are embedded."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, **env):
    # DJANGO_ALLOW_ASYNC_UNSAFE is set by the browser tests' conftest: never in production.
    full_env = {
        k: v
        for k, v in os.environ.items()
        if k
        not in (
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "CACHE_URL",
            "SESSION_CACHE_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
        )
    }
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_deploy(**env):
    """``manage.py check --deploy`` with the production settings, failing on warnings."""
    return run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="sante-territoires.example.org",
        DATABASE_URL="postgis://postgres@127.0.0.1:5432/postgres",
        **env,
    )


def test_production_settings_pass_check_deploy():
    result = check_deploy(
        CACHE_URL="redis://127.0.0.1:6380/0",
        SESSION_CACHE_URL="redis://127.0.0.1:6379/2",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0",
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    "stores, expected",
    [
        ({"CACHE_URL": "redis://127.0.0.1:6380/0"}, "territories.W001"),  # sessions default to the cache
        (
            {"CACHE_URL": "redis://127.0.0.1:6379/1", "SESSION_CACHE_URL": "redis://127.0.0.1:6379/2",
             "CELERY_BROKER_URL": "redis://127.0.0.1:6379/2"},
            "territories.W002",
        ),
    ],
)  # fmt: skip
def test_production_warns_when_the_redis_stores_are_not_apart(stores, expected):
    """Sessions and rate-limit counters in the evicting cache would be evicted by a client filling the
    cache (the sign-in throttle reset); a broker there would lose jobs (issue 24, item 2)."""
    result = check_deploy(**stores)
    assert result.returncode != 0 and expected in result.stdout + result.stderr


def test_production_refuses_a_per_process_cache():
    result = run_manage(
        "check",
        "--deploy",
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="sante-territoires.example.org",
        DATABASE_URL="postgis://postgres@127.0.0.1:5432/postgres",
    )
    assert result.returncode != 0 and "django_ratelimit.E003" in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check", DJANGO_SETTINGS_MODULE="config.settings.prod", ALLOWED_HOSTS="x.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_embedded_default_is_spatialite_and_in_process_celery():
    code = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='config.settings.base'; django.setup(); "
        "from django.conf import settings as s; "
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER)"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert out.stdout.split() == ["django.contrib.gis.db.backends.spatialite", "True"], out.stderr


def test_tests_ignore_a_copied_env_example(tmp_path):
    """A developer who copies .env.example to .env (a broker, a Redis cache, rate limits on) still
    runs the tests as configured here: in-process Celery, no rate limit, fresh pages."""
    env_file = tmp_path / ".env"
    env_file.write_text((ROOT / ".env.example").read_text())
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.RATELIMIT_ENABLE, "
        "s.CACHES['default']['BACKEND'].rsplit('.', 1)[1])"
    )
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CELERY_BROKER_URL", "CACHE_URL", "RATELIMIT_ENABLE", "DJANGO_IGNORE_ENV_FILE")
    }
    seen = {}
    for module in ("config.settings.test", "config.settings.base"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env={**base, "ENV_FILE": str(env_file), "DJANGO_SETTINGS_MODULE": module},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        seen[module] = result.stdout.split()
    assert seen["config.settings.test"] == ["True", "False", "LocMemCache"]
    # the development settings do read it (the file really says otherwise)
    assert seen["config.settings.base"][0] == "False"
