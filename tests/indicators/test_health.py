"""/sante/: database, broker and age of the current run; 200 « degraded » when only the broker is
down (pages are still served), 503 when the database does not answer."""

import pytest

pytestmark = pytest.mark.django_db


def test_health_in_process_tasks(client, computed):
    data = client.get("/sante/").json()
    assert data["status"] == "ok" and data["database"]["ok"]
    assert "processus" in data["broker"]["mode"]
    assert data["current_run"]["id"] == computed.pk and data["current_run"]["age_seconds"] >= 0


def test_health_says_when_the_broker_is_down(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get("/sante/")
    assert response.status_code == 200
    data = response.json()
    assert data["status"] == "degraded" and data["broker"]["ok"] is False and data["database"]["ok"]
    assert data["current_run"] is None


def test_health_is_503_when_the_database_does_not_answer(client, monkeypatch):
    from indicators.runs import health

    monkeypatch.setattr(health, "_database", lambda: {"ok": False, "error": "OperationalError"})
    response = client.get("/sante/")
    assert response.status_code == 503
    assert response.json()["status"] == "down" and response.json()["current_run"] is None
