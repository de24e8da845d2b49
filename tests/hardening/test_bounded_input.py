"""Issue 24, item 1: every text a visitor types is bounded before it reaches the database, with a
French message; the search itself cuts what a caller forgot to bound."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from territories.search import MAX_QUERY, QueryTooLong, bounded, search

pytestmark = pytest.mark.django_db
LONG = "saint " * 700  # 4,200 characters, the probe's request


def _sql_parameters(queries):
    return " ".join(q["sql"] for q in queries)


def test_bounded_refuses_with_a_french_message():
    assert bounded("  Guéret ") == "Guéret"
    assert bounded("x" * MAX_QUERY) == "x" * MAX_QUERY
    with pytest.raises(QueryTooLong, match=f"{MAX_QUERY + 1} caractères, {MAX_QUERY} au plus"):
        bounded("x" * (MAX_QUERY + 1))


def test_search_never_sends_more_than_the_bound_to_the_database():
    with CaptureQueriesContext(connection) as ctx:
        search(LONG)
    assert ctx.captured_queries
    assert "saint " * (MAX_QUERY // 6 + 1) not in _sql_parameters(ctx.captured_queries)
    # the bound keeps what can match: a long text starting with a real name still finds it
    assert search("gueret " + "x" * 3000)[0].zone.pk == "23096"


def test_home_search_too_long_says_so_and_queries_nothing(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/", {"q": LONG})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Recherche trop longue : {len(LONG.strip())} caractères, {MAX_QUERY} au plus." in html
    assert "saint saint" not in _sql_parameters(ctx.captured_queries)
    # the ordinary search still answers
    assert 'href="/territoires/commune/23096/"' in client.get("/", {"q": "gueret"}).content.decode()


def test_compare_add_too_long_says_so_and_searches_nothing(client):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/indicateurs/comparer/", {"ajouter": LONG, "t": "commune:23096"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Territoire à ajouter trop longue" in html
    assert f"{MAX_QUERY} au plus" in html
    assert "saint saint" not in _sql_parameters(ctx.captured_queries)
    ok = client.get("/indicateurs/comparer/", {"ajouter": "gueret", "t": "departement:23"})
    assert ok.status_code == 302 and "commune%3A23096" in ok["Location"]


def test_compare_many_territories_are_cut(client):
    response = client.get("/indicateurs/comparer/", {"t": ["commune:23096"] * 500 + ["x:" + "9" * 4000]})
    assert response.status_code == 200
    assert "territoires au plus" in response.content.decode()


def test_offer_search_too_long_says_so(client):
    response = client.get("/offre/", {"q": LONG})
    html = response.content.decode()
    assert response.status_code == 200
    assert f"{MAX_QUERY} au plus" in html
    assert 'aria-invalid="true"' in html


def test_suggestions_and_picker_stay_bounded(client):
    assert client.get("/territoires/suggestions/", {"q": LONG}).status_code == 400
    assert client.get("/programmes/tracabilite/", {"territoire": LONG}).status_code == 200
