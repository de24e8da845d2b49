"""The admin's « recalculer » on the embedded default (no broker: eager Celery, in the request)."""

import pytest
from django.test import override_settings
from django.urls import reverse

from indicators.models import ComputationRun
from tests.factories import make_user

pytestmark = pytest.mark.django_db

IN_REQUEST = "Sans broker Celery"


def test_trigger_without_broker_redirects_to_the_finished_run(
    client, supply, emergency_sites, settings, django_capture_on_commit_callbacks
):
    assert settings.CELERY_TASK_ALWAYS_EAGER  # the embedded default of the tests
    client.force_login(make_user("admin-recalcul", is_staff=True))
    runs_page = client.get(reverse("indicators:runs")).content.decode()
    assert IN_REQUEST in runs_page and "pendant la requête" in runs_page
    with django_capture_on_commit_callbacks(execute=True):  # as in autocommit: sent at commit
        response = client.post(reverse("indicators:run_trigger"))
    run = ComputationRun.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    assert run.status == ComputationRun.Status.SUCCEEDED  # computed within the POST
    page = client.get(response["Location"]).content.decode()
    assert f"Calcul n° {run.pk} effectué pendant la requête (sans broker Celery)" in page
    assert "réussi" in page and f"{run.duration:.1f}".replace(".", ",") in page


def test_with_a_broker_the_runs_page_announces_the_progress_bar(client, db):
    client.force_login(make_user("admin-broker", is_staff=True))
    with override_settings(CELERY_TASK_ALWAYS_EAGER=False):
        page = client.get(reverse("indicators:runs")).content.decode()
    assert IN_REQUEST not in page
    assert "barre de progression" in page
