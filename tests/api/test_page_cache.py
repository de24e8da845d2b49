"""Anonymous territory pages are served from the cache keyed by the data state: a signed-in user,
a visitor with a session or a message always gets a fresh page; a new successful run changes the
key, a failed one does not."""

import pytest

from indicators.models import ComputationRun
from indicators.runs import services
from tests.factories import make_user

pytestmark = pytest.mark.django_db
URL = "/territoires/departement/23/"


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300


def test_anonymous_pages_come_from_the_cache_until_a_new_run(client, computed, monkeypatch):
    first = client.get(URL)
    assert first["X-Cache"] == "miss"
    again = client.get(URL)
    assert again["X-Cache"] == "hit" and again.content == first.content
    assert "Cookie" in again["Vary"]
    assert f"n° {computed.pk}" in again.content.decode()

    def broken(*args, **kwargs):
        raise RuntimeError("panne simulée")

    with monkeypatch.context() as patch:
        patch.setattr("indicators.runs.pipeline.zone_values", broken)
        with pytest.raises(RuntimeError):
            services.recompute(ComputationRun.Trigger.TEST)
    assert client.get(URL)["X-Cache"] == "hit"

    second = services.recompute(ComputationRun.Trigger.TEST)
    fresh = client.get(URL)
    assert fresh["X-Cache"] == "miss" and f"n° {second.pk}" in fresh.content.decode()


def test_signed_in_users_and_sessions_get_a_fresh_page(client, computed):
    assert client.get(URL)["X-Cache"] == "miss"
    user = make_user("elu-creuse")
    client.force_login(user)
    page = client.get(URL)
    assert "X-Cache" not in page and "elu-creuse" in page.content.decode()  # never stored, never served
    client.logout()
    assert client.get(URL)["X-Cache"] == "hit"
    assert "elu-creuse" not in client.get(URL).content.decode()
