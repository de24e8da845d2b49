"""Smoke test of the production command: the Procfile run by honcho (gunicorn + a Celery worker)
with the production settings on the test PostGIS database and Redis; the health endpoint answers
and a page is served with its security headers."""

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = [pytest.mark.production, pytest.mark.django_db(transaction=True)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback only)
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_procfile_serves_the_portal_with_a_health_endpoint(django_db_setup, tmp_path):
    from django.db import connection

    db = connection.settings_dict
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.prod",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        DATABASE_URL=f"postgis://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
        CACHE_URL="redis://127.0.0.1:6379/14",
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
        PORT=str(port),
        WEB_CONCURRENCY="2",
        CELERY_BEAT_SCHEDULE_FILE=str(tmp_path / "beat"),
        PATH=f"{Path(sys.executable).parent}:{env_path()}",
    )
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=600,  # whitenoise compresses every file: minutes on a busy 2-core machine
    )
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "honcho"), "start", "web", "worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        status, body = None, b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _headers, body = get(base + "/sante/")
                if status == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        health = json.loads(body)
        assert status == 200, health
        assert health["database"]["ok"] and health["database"]["engine"] == "postgresql"
        assert health["broker"] == {**health["broker"], "ok": True, "mode": "celery"}
        status, headers, page = get(base + "/")
        assert status == 200 and "Accès aux soins" in page.decode()
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert "geolocation=()" in headers["Permissions-Policy"]
        status, _headers, _page = get(base + "/?q=a%00b")
        assert status == 400
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            output = process.communicate(timeout=20)[0].decode(errors="replace")
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output = process.communicate()[0].decode(errors="replace")
    # one line per request on stdout (gunicorn's access log)
    assert '"GET /sante/ HTTP/1.1" 200' in output, output[-3000:]


def env_path():
    return os.environ.get("PATH", "")
