"""Search and territory pages, in French, usable without JavaScript; GeoJSON for the maps."""

import gzip
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from territories.models import Commune
from territories.search import search

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("query", ["gueret", "Guéret", "GUERET", "guerret", "23096", "23000"])
def test_search_finds_gueret(query):
    hits = search(query)
    assert hits, query
    first = hits[0]
    assert (type(first.zone).__name__, first.zone.pk) == ("Commune", "23096"), [h.zone for h in hits[:3]]


def test_search_other_levels():
    assert any(type(h.zone).__name__ == "Departement" and h.zone.pk == "23" for h in search("creuse"))
    assert any(type(h.zone).__name__ == "Departement" for h in search("lozere"))
    assert any(type(h.zone).__name__ == "EPCI" and "Guéret" in h.zone.name for h in search("grand gueret"))
    assert any(type(h.zone).__name__ == "BassinDeVie" for h in search("bassin gueret") + search("gueret"))
    assert search("75112")[0].zone.name.startswith("Paris 12")
    assert search("zzzzqqq") == []


def test_home_search_page(client):
    response = client.get("/", {"q": "gueret"})
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in html
    assert 'href="/territoires/commune/23096/"' in html
    assert '<label for="q">' in html


def test_commune_page(client):
    response = client.get("/territoires/commune/23096/")
    html = response.content.decode().replace("\u202f", " ").replace("\xa0", " ")
    assert response.status_code == 200
    for text in [
        "Guéret",
        "12 955",
        "CA du Grand Guéret",
        "Creuse",
        "Nouvelle-Aquitaine",
        "/territoires/bassin-de-vie/23096/",
        "populations légales 2023",
        "zone-map",
        "/territoires/commune/23096/geojson/",
    ]:
        assert text in html, text


@pytest.mark.parametrize(
    "url",
    [
        "/territoires/departement/23/",
        "/territoires/region/75/",
        "/territoires/epci/200034825/",
        "/territoires/bassin-de-vie/23096/",
        "/territoires/commune/75056/",
        "/territoires/commune/75112/",
    ],
)
def test_zone_pages_render_with_bounded_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert len(queries) < 40, [q["sql"][:120] for q in queries]


def test_departement_page_lists_its_communes(client):
    html = client.get("/territoires/departement/23/").content.decode()
    assert "Guéret" in html and "Nouvelle-Aquitaine" in html
    assert html.count('href="/territoires/commune/23') >= 200


def test_unknown_zone_is_404(client):
    assert client.get("/territoires/commune/00000/").status_code == 404
    assert client.get("/territoires/planete/1/").status_code == 404


def test_departement_geojson_is_small_and_complete(client):
    response = client.get("/territoires/departement/23/geojson/")
    data = json.loads(response.content)
    roles = [f["properties"]["role"] for f in data["features"]]
    assert roles.count("zone") == 1
    assert roles.count("commune") == 255  # every commune of Creuse (COG 2026), all with an outline
    assert len(gzip.compress(response.content)) < 150_000
    commune = next(f for f in data["features"] if f["properties"].get("code") == "23096")
    assert commune["properties"]["url"] == "/territoires/commune/23096/"


def test_dataset_pages(client):
    html = client.get("/donnees/").content.decode()
    assert "Licence Ouverte" in html and "ODbL" in html


def test_search_prefers_precise_and_higher_level_exact_matches():
    assert search("75012")[0].zone.pk == "75112"  # the arrondissement of the postal code
    assert search("grand gueret")[0].zone.pk == "200034825"
    assert type(search("creuse")[0].zone).__name__ == "Departement"


def test_region_page_lists_departements_with_their_population(client):
    html = client.get("/territoires/region/11/").content.decode().replace("\u202f", " ").replace("\xa0", " ")
    paris = Commune.objects.get(code="75056")
    # Paris's population once (its arrondissements are not added on top of it).
    assert f"{paris.population:,}".replace(",", " ") in html
    assert 'href="/territoires/departement/75/"' in html


def test_region_geojson_draws_its_departements_not_thousands_of_communes(client):
    data = json.loads(client.get("/territoires/region/75/geojson/").content)
    roles = [f["properties"]["role"] for f in data["features"]]
    assert roles.count("zone") == 1 and roles.count("departement") == 1  # Creuse in the slice
    assert "commune" not in roles
    assert data["features"][1]["properties"]["url"] == "/territoires/departement/23/"


@pytest.mark.parametrize(
    "url", ["/", "/territoires/commune/23096/", "/offre/", "/indicateurs/", "/donnees/", "/connexion/"]
)
def test_every_page_has_the_search_the_skip_link_points_to(client, url):
    html = client.get(url).content.decode()
    assert 'href="#recherche"' in html and html.count('id="recherche"') == 1
    assert 'role="search"' in html
