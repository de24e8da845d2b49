"""The public API (/api/v1/): the same figures as the territory pages (Guéret, the Creuse,
Nouvelle-Aquitaine), only public contributions, errors that name the parameter, bounded pages and
queries, CSV, and the cache keyed by the data state (tested on Redis)."""

import csv
import io
import json
import uuid

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.cache import caches
from django.test import override_settings

from indicators.api.measures import measure
from indicators.dashboard.figures import ranking
from indicators.models import ComputationRun, IndicatorValue, PublishedZoneValue
from indicators.official.rounding import as_published, published_row
from indicators.runs import services
from offers.models import Offer
from proposals.models import Contribution
from territories.models import Commune
from territories.zones import get_zone, parent_zones
from tests.proposals.factories import add_member, make_consultation, make_contribution, make_group

pytestmark = pytest.mark.django_db
ZONES = [("commune", "23096"), ("departement", "23"), ("region", "75")]


def fr(value, digits=2):
    return f"{value:.{digits}f}".replace(".", ",")


def get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.content[:300])
    return json.loads(response.content)


@pytest.mark.parametrize("level,code", ZONES)
def test_territory_figures_are_those_of_its_page(client, official, computed, level, code):
    zone = get_zone(level, code)
    page = client.get(zone.get_absolute_url())
    html = page.content.decode()
    cards = html[html.index('class="key-figures"') : html.index('class="facts"')]

    territory = get(client, f"/api/v1/territoires/{level}/{code}/")
    assert territory["name"] == zone.name
    assert territory["population"] == page.context["population"]
    assert intcomma(territory["population"]) in html
    assert territory["population_millesime"] == 2023
    assert [(p["level"], p["code"]) for p in territory["parents"]] == [
        (type(p).__name__.lower().replace("bassindevie", "bassin-de-vie"), p.pk) for p in parent_zones(zone)
    ]

    figures = get(client, f"/api/v1/indicateurs/valeurs/{level}/{code}/")
    stored = PublishedZoneValue.objects.get(
        indicator_code="apl_mg", level=level, zone_code=code, millesime="2023", variant="sans_borne"
    ).value
    official_apl = figures["official_apl"]
    # rounded as published (issue 27): 2 decimals, as the page shows it
    assert official_apl["value"] == round(stored, 2) and official_apl["millesime"] == "2023"
    assert fr(official_apl["value"]) in cards  # the number the élu reads first
    assert official_apl["datasets"][0]["licence"] and official_apl["datasets"][0]["millesime"] == "2023"
    first = figures["values"][0]
    assert first["is_official"] and first["indicator"] == "apl_mg" and first["run"] is None
    computed_values = {v["indicator"]: v for v in figures["values"] if not v["is_official"]}
    assert set(computed_values) >= {"apl_mg", "densite_mg", "temps_mg", "temps_urgences"}
    for code_, value in computed_values.items():
        shown = measure(code_, zone)  # what the page's cards render
        assert value["value"] == as_published(code_, shown.value) and value["run"] == computed.pk
        assert value["unit"] == shown.unit_label and value["is_estimate"] == shown.is_estimate
        assert f"Calcul n° {computed.pk}" in value["source"]
    assert computed_values["densite_mg"]["is_proxy"]  # SIRENE establishments, not doctors
    assert "proxy" in computed_values["densite_mg"]["unit"]
    assert figures["run"]["id"] == computed.pk


def test_ranking_and_classes_follow_the_ranking_page(client, official, computed):
    creuse = get_zone("departement", "23")
    data = get(client, "/api/v1/indicateurs/classement/departement/23/?niveau=commune&page_size=1000")
    rows, _cols, run, _m = ranking(creuse, "commune", "apl")
    assert data["count"] == len(rows) == Commune.objects.filter(departement_id="23", kind="COM").count()
    assert [r["code"] for r in data["results"]] == [r["code"] for r in rows]
    worst = data["results"][0]
    assert worst["rank"] == 1 and worst["apl"] == round(
        min(r["apl"] for r in rows if r.get("apl") is not None), 2
    )
    # every figure of every row of the page, not only the sort column, as the complete ranking's
    full = {r["code"]: published_row(r) for r in rows}
    assert all(row == {k: full[row["code"]].get(k) for k in row} for row in data["results"])
    assert all(row["population"] for row in data["results"])
    page = client.get("/indicateurs/classement/departement/23/?niveau=commune").content.decode()
    assert worst["name"] in page
    assert any(c["badge"] == "officiel DREES" for c in data["columns"])

    classes = get(client, "/api/v1/indicateurs/classes/commune/23096/")
    gueret = classes["results"][0]
    assert gueret["code"] == "23096" and gueret["classe_officielle"] == "fragile"
    assert "bassin de vie" in gueret["classe_basis"]
    assert gueret["apl_calculee"] == round(
        IndicatorValue.objects.get(
            run=computed, level="commune", zone_code="23096", indicator_id="apl_mg"
        ).value,
        2,
    )


def test_lists_are_bounded_paginated_and_offered_in_csv(client, computed):
    data = get(client, "/api/v1/territoires/?departement=23&page_size=100")
    assert data["count"] == Commune.objects.filter(departement_id="23", is_active=True, kind="COM").count()
    assert len(data["results"]) == 100 and data["pages"] == 3
    assert data["next"].endswith("page=2") and data["previous"] is None
    last = get(client, data["next"].replace("page=2", "page=3"))
    assert last["next"] is None and len(last["results"]) == data["count"] - 200
    assert get(client, "/api/v1/territoires/?within=departement:23")["count"] == data["count"]
    # several zone filters intersect
    both = get(client, "/api/v1/territoires/?region=75&bassin_de_vie=23096&page_size=1000")
    assert {c["departement"] for c in both["results"]} == {"23"}
    assert (
        both["count"] == Commune.objects.filter(bassin_de_vie_id="23096", departement__region_id="75").count()
    )

    response = client.get("/api/v1/territoires/departement/23/communes/?format=csv&page_size=1000")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == data["count"]
    gueret = next(r for r in rows if r["code"] == "23096")
    assert (
        gueret["name"] == "Guéret"
        and int(gueret["population"]) == Commune.objects.get(code="23096").population
    )

    sites = get(client, "/api/v1/offres/?departement=23&type=urgences")
    assert [s["name"] for s in sites["results"]] == ["Urgences du CH de Guéret"]
    site = get(client, f"/api/v1/offres/{sites['results'][0]['id']}/")
    assert site["commune"] == "23096" and site["longitude"] is not None
    assert not {"updated_by", "imported_values", "conflicts", "version"} & set(site)


def test_a_cpts_perimeter_and_nothing_private(client, db):
    commune = Commune.objects.get(code="23096")
    cpts = Offer.objects.create(kind=Offer.Kind.CPTS, name="CPTS du Grand Guéret", commune=commune)
    cpts.perimeter.set(Commune.objects.filter(code__in=["23096", "23001"]))
    data = get(client, f"/api/v1/offres/{cpts.pk}/")
    assert data["perimeter"] == ["23001", "23096"] and data["source"] == "saisie de l’ARS"
    # found from a commune of its perimeter that is not its seat
    assert [o["id"] for o in get(client, "/api/v1/offres/?within=commune:23001")["results"]] == [cpts.pk]


def test_only_public_contributions_never_drafts_refused_or_authors(client, programmes):
    group = make_group()
    group_user = add_member(group, "zx-adherente-41", email="adherente41@example.org")
    consultation = make_consultation(group)
    published = make_contribution(consultation, group_user, title="Publiée")
    retained = make_contribution(
        consultation, group_user, title="Retenue", status=Contribution.Status.RETAINED
    )
    make_contribution(consultation, group_user, title="Brouillon", status=Contribution.Status.DRAFT)
    make_contribution(consultation, group_user, title="Écartée", status=Contribution.Status.DISCARDED)
    data = get(client, "/api/v1/programmes/contributions/")
    assert {c["id"] for c in data["results"]} == {published.pk, retained.pk}
    text = client.get("/api/v1/programmes/contributions/?format=csv").content.decode("utf-8-sig")
    assert "Publiée" in text and "Brouillon" not in text and "Écartée" not in text
    for private in (group_user.username, group_user.email):
        assert private not in text and private not in json.dumps(data, ensure_ascii=False)
    measure_ = published.measure
    by_measure = get(
        client,
        f"/api/v1/programmes/contributions/?programme={measure_.programme.slug}&mesure={measure_.number}",
    )
    assert published.pk in {c["id"] for c in by_measure["results"]}


def test_measures_targets_against_outcomes(client, pacte, computed):
    measure_ = pacte.measures.exclude(indicator_code="").order_by("number").first()
    data = get(
        client, f"/api/v1/programmes/{pacte.slug}/mesures/{measure_.number}/?territoire=departement:23"
    )
    assert data["indicator"] == measure_.indicator_code
    assert data["outcome_territory"]["territory"]["code"] == "23"
    measured = measure(measure_.indicator_code, get_zone("departement", "23"))
    got = data["outcome_territory"]["measured"]
    assert (got["value"] if got else None) == (measured.value if measured else None)
    listed = get(client, f"/api/v1/programmes/{pacte.slug}/")
    assert listed["measures"] == len(listed["measures_list"]) == pacte.measures.count()


@pytest.mark.parametrize(
    "url,status,parameter",
    [
        ("/api/v1/territoires/?page_size=5000", 400, "page_size"),
        ("/api/v1/territoires/?page=0", 400, "page"),
        ("/api/v1/territoires/?within=region", 400, "within"),
        ("/api/v1/territoires/?departement=23&region=99", 404, "region"),
        ("/api/v1/territoires/?departement=999", 404, "departement"),
        ("/api/v1/territoires/?departement=23&page=99", 404, "page"),
        ("/api/v1/territoires/commune/99999/", 404, None),
        ("/api/v1/territoires/canton/23/", 400, "level"),
        ("/api/v1/indicateurs/classement/commune/23096/", 404, "niveau"),
        ("/api/v1/indicateurs/classement/departement/23/?indicateur=ebola", 400, "indicateur"),
        ("/api/v1/indicateurs/valeurs/departement/23/?calcul=999999", 404, "calcul"),
        ("/api/v1/offres/?type=pharmacie", 400, "type"),
        ("/api/v1/programmes/contributions/?territoire=departement:99", 404, "territoire"),
        ("/api/v1/programmes/contributions/?territoire=23", 400, "territoire"),
    ],
)
def test_bad_filters_are_refused_naming_the_parameter(client, db, url, status, parameter):
    response = client.get(url)
    assert response.status_code == status
    body = json.loads(response.content)
    assert body["parameter"] == parameter and body["detail"]
    if parameter:
        assert parameter in body["detail"] or status == 404
    assert "should" not in body["detail"] and "^(" not in body["detail"]  # French, no regex


@override_settings(RATELIMIT_ENABLE=True, API_RATE_LIMIT="3/m")
def test_anonymous_rate_limit_says_so_in_french(client, db):
    for _ in range(3):
        assert client.get("/api/v1/indicateurs/definitions/").status_code == 200
    response = client.get("/api/v1/indicateurs/definitions/")
    assert response.status_code == 429 and response["Retry-After"] == "60"
    assert "3 requêtes par minute" in json.loads(response.content)["detail"]


def test_every_operation_runs_a_bounded_number_of_queries(
    client, official, computed, django_assert_max_num_queries
):
    offer = Offer.objects.first()
    for url in [
        "/api/v1/territoires/recherche/?q=gueret",
        "/api/v1/territoires/region/75/",
        "/api/v1/territoires/region/75/communes/?page_size=1000",
        "/api/v1/territoires/?within=region:75&page_size=1000",
        "/api/v1/indicateurs/definitions/",
        "/api/v1/indicateurs/valeurs/region/75/",
        "/api/v1/indicateurs/classement/region/75/?niveau=commune&page_size=1000",
        "/api/v1/indicateurs/classes/region/75/?page_size=1000",
        "/api/v1/indicateurs/calculs/",
        f"/api/v1/indicateurs/calculs/{computed.pk}/",
        "/api/v1/indicateurs/carte/departement/23/?indicateur=temps_mg",
        "/api/v1/offres/?region=75&page_size=1000",
        f"/api/v1/offres/{offer.pk}/",
        "/api/v1/programmes/",
        "/api/v1/programmes/contributions/",
    ]:
        with django_assert_max_num_queries(30):
            assert client.get(url).status_code == 200, url
        with django_assert_max_num_queries(6):  # cached: the data state, nothing else
            assert client.get(url)["X-Cache"] == "hit"


@pytest.fixture
def redis_cache(settings):
    """The production cache (Redis), under a prefix of this test only."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/3",
            "KEY_PREFIX": f"test-api-{uuid.uuid4().hex}",
        }
    }
    yield caches["default"]
    caches["default"].clear()


def test_cache_is_invalidated_by_a_new_run_and_kept_after_a_failed_one(
    client, computed, redis_cache, monkeypatch
):
    url = "/api/v1/indicateurs/valeurs/departement/23/"
    first = client.get(url)
    assert first["X-Cache"] == "miss" and "RedisCache" in type(redis_cache).__name__
    etag = first["ETag"]
    again = client.get(url)
    assert again["X-Cache"] == "hit" and again["ETag"] == etag and again.content == first.content
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304

    def broken(*args, **kwargs):
        raise RuntimeError("panne simulée")

    with monkeypatch.context() as patch:
        patch.setattr("indicators.runs.pipeline.zone_values", broken)
        with pytest.raises(RuntimeError):
            services.recompute(ComputationRun.Trigger.TEST)
    assert ComputationRun.objects.filter(status=ComputationRun.Status.FAILED).exists()
    kept = client.get(url)
    assert kept["X-Cache"] == "hit" and kept["ETag"] == etag
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304

    second = services.recompute(ComputationRun.Trigger.TEST)
    assert second.is_current
    fresh = client.get(url)
    assert fresh["X-Cache"] == "miss" and fresh["ETag"] != etag
    assert json.loads(fresh.content)["run"]["id"] == second.pk
    assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 200
    # the map layer of the pages follows the same rule
    layer = client.get("/indicateurs/carte/departement/23/classes.geojson")
    assert layer["ETag"] and json.loads(layer.content)["run"] == second.pk


def test_schema_and_documentation_are_served(client, db):
    schema = get(client, "/api/v1/schema/")
    assert schema["openapi"].startswith("3.") and len(schema["paths"]) >= 14
    csv_ops = [
        p
        for p, ops in schema["paths"].items()
        if "text/csv" in ops["get"]["responses"]["200"].get("content", {})
    ]
    assert "/api/v1/territoires/" in csv_ops and "/api/v1/offres/" in csv_ops
    docs = client.get("/api/v1/docs/")
    html = docs.content.decode()
    assert docs.status_code == 200 and "swagger-ui-bundle.js" in html and "<script>" not in html
