"""Issue 24, item 2: the production supervisor (config/supervisor/supervisord.conf, run by
`make serve`) restarts a killed Celery worker or beat on its own while gunicorn keeps serving,
and its cache Redis runs with a memory cap and LRU eviction."""

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_production import free_port, get

ROOT = Path(__file__).resolve().parent.parent.parent
CONF = ROOT / "config" / "supervisor" / "supervisord.conf"
pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]


def _bin(name):
    found = Path(sys.executable).parent / name
    return str(found) if found.exists() else shutil.which(name)


def _ctl(env, *args):
    command = [_bin("supervisorctl"), "-c", str(CONF), *args]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=30).stdout


def _pids(env):
    pids = {}
    for line in _ctl(env, "status").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[1] == "RUNNING":
            pids[parts[0]] = int(parts[3].rstrip(","))
    return pids


def _wait(predicate, seconds=90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    return predicate()


@pytest.mark.skipif(_bin("supervisord") is None, reason="supervisor is a dependency: make venv installs it")
def test_a_killed_worker_and_beat_restart_alone_while_the_web_serves(django_db_setup, tmp_path):
    from django.db import connection

    db = connection.settings_dict
    port, cache_port = free_port(), free_port()
    run_dir = Path("/tmp") / f"st-sup-{secrets.token_hex(4)}"  # a unix socket path stays short
    run_dir.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        DATABASE_URL=f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/11",
        CACHE_URL=f"redis://127.0.0.1:{cache_port}/0",
        SESSION_CACHE_URL="redis://127.0.0.1:6379/10",
        CACHE_REDIS_PORT=str(cache_port),
        CACHE_REDIS_MAXMEMORY="32mb",
        CACHE_REDIS_AUTOSTART="true",
        SUPERVISOR_RUN_DIR=str(run_dir),
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        CELERY_BEAT_SCHEDULE_FILE=str(tmp_path / "beat"),
        PATH=f"{Path(_bin('supervisord')).parent}:{Path(sys.executable).parent}:{os.environ.get('PATH', '')}",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    process = subprocess.Popen(
        [_bin("supervisord"), "-n", "-c", str(CONF)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        started = _wait(lambda: {"web", "worker", "beat", "cache-redis"} <= set(_pids(env)) and _pids(env))
        assert started, _ctl(env, "status")
        assert _wait(lambda: _ok(base + "/sante/"))
        for name in ("worker", "beat"):
            before = _pids(env)
            os.kill(before[name], signal.SIGKILL)
            # the web keeps serving the whole time, under the same gunicorn master
            assert _ok(base + "/"), name
            after = _wait(lambda n=name, b=before: _pids(env).get(n, b[n]) != b[n] and _pids(env))
            assert after and after[name] != before[name], _ctl(env, "status")
            assert after["web"] == before["web"]
            assert _ok(base + "/")
        info = subprocess.run(
            ["redis-cli", "-p", str(cache_port), "config", "get", "maxmemory*"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        settings = dict(zip(info[::2], info[1::2], strict=False))
        assert settings["maxmemory-policy"] == "allkeys-lru"
        assert settings["maxmemory"] == str(32 * 1024 * 1024)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
        shutil.rmtree(run_dir, ignore_errors=True)


def _ok(url):
    try:
        return get(url)[0] == 200
    except OSError:
        return False
