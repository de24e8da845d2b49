"""The élu's dashboard: the national map of the home page (layer, legend choices, table twin,
cache keyed by the run), key-figure cards on every level, a bounded number of queries."""

import gzip
import json

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from indicators.models import PublishedZoneValue

from .test_official_apl import fast_workbook, official  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()


def fr(value, digits=2):
    return f"{value:.{digits}f}".replace(".", ",")


def test_home_opens_on_the_national_map_with_its_table_twin(client, official, computed):  # noqa: F811
    html = client.get(reverse("territories:home")).content.decode()
    assert 'id="france-map"' in html and 'id="france-indicator"' in html
    assert "Classe d’accessibilité (APL officielle)" in html
    creuse = PublishedZoneValue.objects.get(
        level="departement", zone_code="23", millesime="2023", variant="sans_borne"
    ).value
    table = html[html.index('class="map-table"') :]
    row = table[table.index(">Creuse</a>") :][:400]
    assert fr(creuse) in row and "fragile" in row  # 2.97: fragile (< 4, ≥ 2.5)
    assert "/static/js/france_map.js" in html and "<script>" not in html


def test_national_layer_has_every_indicator_and_is_small(client, official, computed):  # noqa: F811
    response = client.get(reverse("indicators:france_geojson"))
    data = json.loads(response.content)
    keys = [c["key"] for c in data["meta"]["choices"]]
    assert keys == ["classe", "apl", "densite_mg", "temps_mg", "temps_urgences", "part_pop_urgences_30min"]
    by_code = {f["properties"]["code"]: f["properties"] for f in data["features"]}
    assert set(by_code) >= {"23", "48", "75"}
    creuse = by_code["23"]
    stored = PublishedZoneValue.objects.get(
        level="departement", zone_code="23", millesime="2023", variant="sans_borne"
    ).value
    assert creuse["apl"] == round(stored, 2) and creuse["classe"] == "fragile"
    assert creuse["url"] == "/territoires/departement/23/"
    assert creuse["densite_mg"] is not None and creuse["temps_urgences"] is not None
    density = next(c for c in data["meta"]["choices"] if c["key"] == "densite_mg")
    assert "proxy" in density["note"]  # SIRENE establishments, not doctors
    # coarse outlines for the national zoom: 3 decimals
    point = data["features"][0]["geometry"]["coordinates"]
    while isinstance(point[0], list):  # a Polygon or a MultiPolygon (one part once slivers are gone)
        point = point[0]
    assert all(len(str(x).split(".")[-1]) <= 3 for x in point)
    assert len(gzip.compress(response.content)) < 300 * 1024


def test_national_layer_cache_is_keyed_by_the_current_run(client, official, computed):  # noqa: F811
    from indicators.models import ComputationRun
    from indicators.runs import services

    first = json.loads(client.get(reverse("indicators:france_geojson")).content)
    note = next(c for c in first["meta"]["choices"] if c["key"] == "densite_mg")["note"]
    assert f"calcul n° {computed.pk}" in note
    newer = services.recompute(ComputationRun.Trigger.TEST)
    second = json.loads(client.get(reverse("indicators:france_geojson")).content)
    note = next(c for c in second["meta"]["choices"] if c["key"] == "densite_mg")["note"]
    assert f"calcul n° {newer.pk}" in note


@pytest.mark.parametrize(
    "level, code",
    [
        ("commune", "23096"),
        ("commune", "75056"),
        ("bassin-de-vie", "23096"),
        ("epci", "200034825"),
        ("departement", "23"),
        ("region", "75"),
    ],
)
def test_every_level_starts_with_key_figures(client, official, computed, level, code):  # noqa: F811
    from territories.zones import get_zone

    zone = get_zone(level, code)
    html = client.get(zone.get_absolute_url()).content.decode()
    cards = html[html.index('class="key-figures"') : html.index('class="facts"')]
    assert cards.index('id="chiffre-apl"') < cards.index('id="chiffre-classe"') < cards.index("densite_mg")
    stored = PublishedZoneValue.objects.get(
        level=level, zone_code=code, millesime="2023", variant="sans_borne"
    ).value
    assert fr(stored) in cards
    assert "estimation" in cards  # the run's figures rest on straight-line times
    assert "non renseigné" in cards  # no FINESS extract: MSP and CPTS are not claimed to be 0


def test_key_figures_pages_run_a_bounded_number_of_queries(
    client,
    official,  # noqa: F811
    computed,
    django_assert_max_num_queries,
):
    """Signed in (never the page cache) and anonymous: a page's queries do not grow with its zone
    (a région reads as few as a commune: its counts are stored by the run)."""
    from django.contrib.auth.models import Group, User

    elu = User.objects.create_user("elu-queries")
    elu.groups.add(Group.objects.get_or_create(name="élus")[0])
    signed_in = Client()
    signed_in.force_login(elu)
    for url, limit in [
        ("/territoires/commune/23096/", 45),  # 37 anonymous, 41 signed in on this slice
        ("/territoires/epci/200034825/", 45),
        ("/territoires/bassin-de-vie/23096/", 45),
        ("/territoires/departement/23/", 43),
        ("/territoires/region/75/", 40),  # fewer than a commune: the class counts are stored
        ("/", 16),
    ]:
        for visitor in (client, signed_in):
            visitor.get(url)
            with django_assert_max_num_queries(limit):
                assert visitor.get(url).status_code == 200


def test_region_class_counts_are_read_from_the_run_and_equal_a_count_of_its_rows(
    client,
    computed,  # noqa: F811
):
    """A run stores how many communes of each département and région fall in each class; the
    région page reads them there (no scan of the run's rows per visit) and they equal a count of
    the stored commune classes, zone by zone."""
    from indicators.api.values import class_counts
    from indicators.dashboard.sections import atoms_count, stored_class_counts
    from indicators.models import ComputationRun
    from territories.models import Departement, Region

    run = ComputationRun.current()
    assert set(run.summary["zone_class_counts"]) == {"departement", "region"}
    zones = [*Region.objects.all(), *Departement.objects.all()]
    assert zones
    for zone in zones:
        assert stored_class_counts(run, zone) == class_counts(run, zone), zone
    region = Region.objects.get(pk="75")
    counts = stored_class_counts(run, region)
    assert sum(counts.values()) > 0
    html = client.get(reverse("territories:zone", args=["region", "75"])).content.decode()
    table = html[html.index('class="class-counts"') :][:2000]
    for label, n in counts.items():
        assert f'<td>{label}</td><td class="num">{n}</td>' in table
    # the page reads what the run stored (a tampered count shows), …
    stored = run.summary["zone_class_counts"]["region"]["75"]
    run.summary["zone_class_counts"]["region"]["75"] = [["fragile", False, 1]]
    run.save(update_fields=["summary"])
    cache.clear()
    tampered = client.get(reverse("territories:zone", args=["region", "75"])).content.decode()
    assert '<td>fragile</td><td class="num">1</td>' in tampered
    run.summary["zone_class_counts"]["region"]["75"] = stored
    # … and without stored counts (a run of an older version) counts the rows itself
    del run.summary["zone_class_counts"]
    run.save(update_fields=["summary"])
    cache.clear()  # the anonymous page cache would answer the same page
    again = client.get(reverse("territories:zone", args=["region", "75"])).content.decode()
    twin = again[again.index('class="class-counts"') :][:2000]
    assert twin == table
    assert atoms_count(region) >= sum(counts.values())
