"""The territory picker: names, codes and suggestion labels resolve to the same zone; the
suggestions endpoint answers JSON for the type-ahead; bad parameters get a 400 naming them."""

import pytest
from django.urls import reverse

from territories.picker import TerritoryError, label, resolve, suggestions
from territories.zones import get_zone

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed, key",
    [
        ("Creuse", ("Departement", "23")),
        ("creuse", ("Departement", "23")),
        ("Guéret", ("Commune", "23096")),
        ("GUERET", ("Commune", "23096")),
        ("23096", ("Commune", "23096")),
        ("commune:23096", ("Commune", "23096")),
        ("departement:23", ("Departement", "23")),
        ("Guéret (commune 23096)", ("Commune", "23096")),
        ("Creuse (département 23)", ("Departement", "23")),
        ("Lozère", ("Departement", "48")),
        ("Nouvelle-Aquitaine", ("Region", "75")),
        ("75012", ("Commune", "75112")),
        ("Paris 12e Arrondissement (arrondissement 75112)", ("Commune", "75112")),
    ],
)
def test_resolve_names_codes_and_labels(typed, key):
    zone = resolve(typed)
    assert (type(zone).__name__, zone.pk) == key


def test_label_round_trips_for_every_level():
    for level, code in [("commune", "23096"), ("departement", "23"), ("region", "75"), ("commune", "75112")]:
        zone = get_zone(level, code)
        assert resolve(label(zone)) == zone
    epci = get_zone("commune", "23096").epci
    assert resolve(label(epci)) == epci
    assert resolve(epci.name) == epci


def test_levels_restrict_and_refusals_say_why():
    assert resolve("Paris", levels=("commune",)).pk == "75056"
    with pytest.raises(TerritoryError, match="Ce champ prend un territoire de ce niveau : commune"):
        resolve("departement:23", levels=("commune",))
    with pytest.raises(TerritoryError, match="n’est connu du portail"):
        resolve("commune:99999")
    with pytest.raises(TerritoryError, match="ne correspond à « zzqqxx »"):
        resolve("zzqqxx")
    with pytest.raises(TerritoryError, match="Texte trop long"):
        resolve("a" * 500)
    with pytest.raises(TerritoryError, match="Indiquez un territoire"):
        resolve("   ")


def test_an_approximate_name_lists_candidates():
    # a prefix shared by many communes: nothing is guessed, the candidates are listed
    with pytest.raises(TerritoryError, match="Plusieurs territoires répondent à « Saint »") as caught:
        resolve("Saint", levels=("commune",))
    assert len(caught.value.choices) > 1 and all("(commune " in c for c in caught.value.choices)
    # a prefix of a single commune is that commune
    assert resolve("Guére", levels=("commune",)).pk == "23096"


def test_suggestions_endpoint(client):
    url = reverse("territories:suggestions")
    data = client.get(url, {"q": "creu"}).json()
    assert data["results"][0]["label"] == "Creuse (département 23)"
    assert data["results"][0]["parents"] == ["Nouvelle-Aquitaine"]
    gueret = client.get(url, {"q": "guéret", "niveaux": "commune"}).json()["results"][0]
    assert gueret == {
        "label": "Guéret (commune 23096)",
        "name": "Guéret",
        "level": "commune",
        "level_label": "commune",
        "code": "23096",
        "parents": ["Creuse (23)", "Nouvelle-Aquitaine"],
        "detail": "Commune · Creuse (23), Nouvelle-Aquitaine",
        "url": "/territoires/commune/23096/",
    }
    # within a zone: only its communes; Paris stands for its arrondissements
    within = client.get(url, {"q": "saint", "dans": "departement:48"}).json()["results"]
    assert within and all(r["code"].startswith("48") for r in within)
    paris = client.get(url, {"q": "paris", "dans": "commune:75056"}).json()["results"]
    assert paris and all(r["code"].startswith("751") for r in paris)
    assert client.get(url, {"q": ""}).json()["results"] == []


@pytest.mark.parametrize(
    "params, field",
    [
        ({"q": "x" * 300}, "q"),
        ({"q": "a", "niveaux": "canton"}, "niveaux"),
        ({"q": "a", "dans": "23"}, "dans"),
    ],
)
def test_suggestions_bad_parameters_are_named(client, params, field):
    response = client.get(reverse("territories:suggestions"), params)
    assert response.status_code == 400
    assert response.json()["error"].startswith(f"{field} :")


def test_suggestions_of_an_unknown_zone_is_404(client):
    response = client.get(reverse("territories:suggestions"), {"q": "a", "dans": "departement:99"})
    assert response.status_code == 404


def test_suggestions_function_never_returns_more_than_asked():
    assert len(suggestions("saint", limit=5)) <= 5
