"""Issue 24, item 4: a run held « à valider » or « écarté » is seen by staff only (its page, its
diff CSV, its values through ?calcul= on the API and the definition pages); odd query values give
400/404, never 500; a NUL byte in the session cookie gives no 500; /sante/ answers plain HTTP; the
API run detail keeps the worker's host and pid to itself."""

import json

import pytest
from django.test import override_settings
from django.urls import reverse

from indicators.models import ComputationRun
from indicators.runs import services
from tests.factories import make_user
from tests.indicators.conftest import _clear_catchment_cache, computed, emergency_sites, supply  # noqa: F401
from tests.indicators.test_publish_gate import supply_copy

pytestmark = pytest.mark.django_db


@pytest.fixture
def held(computed):  # noqa: F811
    supply_copy(computed, keep=lambda r: r.commune.departement_id == "23")
    run = services.recompute(ComputationRun.Trigger.TEST)
    assert run.review == "held" and not run.is_current
    return run


def _pages(run):
    return {
        "run page": run.get_absolute_url(),
        "diff": reverse("indicators:run_diff", args=[run.pk]),
        "api detail": f"/api/v1/indicateurs/calculs/{run.pk}/",
        "api values": f"/api/v1/indicateurs/valeurs/departement/23/?calcul={run.pk}",
    }


@pytest.mark.parametrize("review", ["held", "discarded"])
def test_unpublished_runs_are_for_staff_only(client, held, computed, review):  # noqa: F811
    ComputationRun.objects.filter(pk=held.pk).update(review=review)
    for name, url in _pages(held).items():
        assert client.get(url).status_code in (403, 404), name
    # the definition page falls back to the published run, saying nothing of the held one
    page = client.get(reverse("indicators:definition", args=["apl_mg"]), {"calcul": held.pk})
    assert page.status_code == 200 and f"calcul={held.pk}" not in page.content.decode()
    client.force_login(make_user("citoyenne"))
    assert client.get(_pages(held)["run page"]).status_code == 403
    client.force_login(make_user(f"admin-{review}", is_staff=True))
    for name, url in _pages(held).items():
        assert client.get(url).status_code == 200, name
    api = json.loads(client.get(_pages(held)["api values"]).content)
    assert api["run"]["id"] == held.pk
    # published runs stay public
    client.logout()
    for name, url in _pages(computed).items():
        if name != "diff":  # a first run has nothing to compare with
            assert client.get(url).status_code == 200, name


def test_the_api_run_detail_hides_the_worker(client, computed):  # noqa: F811
    assert "worker" in ComputationRun.objects.get(pk=computed.pk).parameters
    body = json.loads(client.get(f"/api/v1/indicateurs/calculs/{computed.pk}/").content)
    assert "worker" not in body["parameters"] and body["parameters"]


@pytest.mark.parametrize("value", ["²", "①", "١", "9" * 30, "-1", "1e3"])
def test_odd_run_numbers_are_refused_not_500(client, computed, value):  # noqa: F811
    page = client.get(reverse("indicators:definition", args=["apl_mg"]), {"calcul": value})
    assert page.status_code == 200
    api = client.get("/api/v1/indicateurs/valeurs/departement/23/", {"calcul": value})
    assert api.status_code in (400, 404)


@pytest.mark.parametrize("value", ["pacte/²", "pacte/①", "x" * 3000 + "/" + "9" * 40])
def test_odd_measure_keys_are_answered(client, value):
    response = client.get(reverse("proposals:trace"), {"mesure": value})
    assert response.status_code == 200 and "Mesure inconnue" in response.content.decode()


def test_a_nul_byte_in_the_session_cookie_gives_no_500(client):
    client.cookies["sessionid"] = "abc\x00def"
    assert client.get("/").status_code == 200
    assert client.get("/territoires/commune/23096/").status_code == 200


def test_health_answers_plain_http_while_pages_redirect(client):
    import ast
    from pathlib import Path

    prod = ast.parse((Path(__file__).resolve().parents[2] / "config/settings/prod.py").read_text())
    exempt = next(
        ast.literal_eval(node.value)
        for node in prod.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SECURE_REDIRECT_EXEMPT"
    )
    with override_settings(SECURE_SSL_REDIRECT=True, SECURE_REDIRECT_EXEMPT=exempt):
        assert client.get("/").status_code == 301
        assert client.get("/sante/").status_code in (200, 503)
