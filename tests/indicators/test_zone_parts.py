"""Signed-in territory pages read the zone's shared parts (key figures, shared sections) from the
cache keyed by the data state: a second view costs a fraction of the queries, shows the same figures,
changes with a new run, and never hands a visitor another's CSRF token or a superuser's link."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from indicators.runs import services
from tests.factories import make_user

from .test_official_apl import fast_workbook, official  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
URL = "/territoires/departement/23/"
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def page_cache(settings):
    settings.PAGE_CACHE_SECONDS = 300


def _body(html: str) -> str:
    """The page without what differs from one request to the next (CSRF tokens, nonces)."""
    return re.sub(r'(value|nonce|content)="[A-Za-z0-9+/=_-]{20,}"', "", html)


def _viewed(client, url=URL):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), len(queries)


def test_a_second_signed_in_view_reads_the_shared_parts_from_the_cache(client, computed):
    client.force_login(make_user("elu-creuse", is_staff=True))
    first, cold = _viewed(client)
    second, warm = _viewed(client)
    assert warm <= cold - 25, (cold, warm)
    assert _body(second) == _body(first)
    assert "Accès aux soins" in second and "Offre de soins" in second and "elu-creuse" in second
    assert f"n° {computed.pk}" in second
    new = services.recompute("test")
    fresh, queries = _viewed(client)
    assert queries >= cold - 5 and f"n° {new.pk}" in fresh  # a new run: computed afresh


def test_the_whatif_form_carries_the_visitors_own_csrf_token(computed):
    for name in ("elu-a", "elu-b"):  # the second is served the shared parts the first computed
        visitor = Client(enforce_csrf_checks=True)
        visitor.force_login(make_user(name, is_staff=True))
        html = visitor.get(URL).content.decode()
        assert "Simuler une évolution de l’offre" in html
        token = CSRF.search(html[html.index('class="whatif-form"') :]).group(1)
        posted = visitor.post(
            "/indicateurs/simulation/departement/23/",
            {"csrfmiddlewaretoken": token, "action": "official_add", "commune": "23096", "gps": "1"},
        )
        assert posted.status_code == 200, posted.status_code  # 403 with another visitor's token


def test_shared_parts_are_kept_apart_for_superusers(computed):
    link = "Importer une extraction FINESS"
    url = "/territoires/commune/48095/"  # a région without registry rows: the import link shows
    admin = Client()
    admin.force_login(make_user("admin", is_superuser=True, is_staff=True))
    elu = Client()
    elu.force_login(make_user("elu-lozere"))
    assert link in admin.get(url).content.decode()
    assert link not in elu.get(url).content.decode()
    assert link not in Client().get(url).content.decode()
    assert link in admin.get(url).content.decode()


@pytest.mark.parametrize("first", ["may-simulate", "may-not"])
def test_shared_cards_are_kept_apart_for_who_may_simulate(official, computed, first):  # noqa: F811
    action = "Simuler une installation"
    visitors = {"may-simulate": Client(), "may-not": Client()}
    visitors["may-simulate"].force_login(make_user("charge-de-mission", is_staff=True))
    visitors["may-not"].force_login(make_user("citoyen"))
    order = [first, *(name for name in visitors if name != first)]
    for name in order + order:  # each one served the other's shared parts if the key were blind
        html = visitors[name].get("/territoires/commune/23096/").content.decode()
        assert (action in html) is (name == "may-simulate"), name
        assert ("Simuler une évolution de l’offre" in html) is (name == "may-simulate"), name


def test_a_large_zone_summarises_its_communes_and_links_their_ranking(client, computed, monkeypatch):
    """Above TABLE_LIMIT communes the class table is summarised, and the page says where the
    commune-by-commune detail is: the zone's ranking (50 rows a page)."""
    from indicators.dashboard import sections

    monkeypatch.setattr(sections, "TABLE_LIMIT", 10)
    html = client.get(URL).content.decode()
    assert "Tableau des " not in html and "Nombre de communes par classe" in html
    assert 'href="/indicateurs/classement/departement/23/?niveau=commune"' in html
    monkeypatch.setattr(sections, "TABLE_LIMIT", 600)
    cache.clear()  # the page as cached a moment ago
    html = client.get(URL).content.decode()
    assert "Tableau des " in html
