"""Smoke tests of the embedded default (SpatiaLite), run by `make test` with a spatialite:// DATABASE_URL.

The same migrations, importers, search and pages must work there (search falls back to rapidfuzz)."""

import os

import pytest
from django.db import connection

from territories import importers
from territories.models import Commune, Dataset
from territories.search import search

pytestmark = [pytest.mark.django_db, pytest.mark.spatialite]


def test_import_search_and_page_on_this_backend(client, territory_slice):
    expected = "sqlite" if os.environ.get("DATABASE_URL", "").startswith("spatialite") else "postgresql"
    assert connection.vendor == expected
    gueret = Commune.objects.select_related("epci", "bassin_de_vie", "departement__region").get(code="23096")
    assert (gueret.population, gueret.epci.name, gueret.bassin_de_vie.name) == (
        12955,
        "CA du Grand Guéret",
        "Guéret",
    )
    assert gueret.geometry.contains(gueret.point)
    assert search("guerret")[0].zone == gueret
    assert search("23000")[0].zone == gueret
    assert search("grand gueret")[0].zone.pk == "200034825"  # the words of the query within a longer name
    assert client.get("/territoires/departement/23/geojson/").status_code == 200
    # the public API on the embedded default (cache in local memory)
    api = client.get("/api/v1/territoires/commune/23096/")
    assert api.status_code == 200 and api.json()["population"] == 12955 and api["ETag"]
    assert client.get("/api/v1/territoires/?epci=200034825&format=csv").status_code == 200
    again = importers.import_territories(territory_slice)
    assert [d.rows_changed for d in again] == [0, 0, 0]
    assert all(d.status == Dataset.Status.SUCCEEDED for d in again)


def test_a_full_run_on_this_backend():
    """Values and classes written (COPY on PostGIS, bulk insert on SpatiaLite), points read as
    numbers by the database, classes on the bassin de vie mesh stored beside each commune's."""
    from indicators.models import Classification, ComputationRun, IndicatorValue
    from indicators.runs import services
    from offers.importers import import_gp_supply
    from tests.indicators.conftest import SIRENE_SLICE

    import_gp_supply(SIRENE_SLICE)
    run = services.recompute(ComputationRun.Trigger.TEST)
    assert run.status == ComputationRun.Status.SUCCEEDED, run.step
    gueret = IndicatorValue.objects.get(run=run, level="commune", zone_code="23096", indicator_id="apl_mg")
    assert gueret.value > 0 and gueret.population == 12955
    row = Classification.objects.get(run=run, level="commune", zone_code="23096")
    assert row.mesh_zone == "23096" and row.mesh_class and row.mesh_apl > 0
    assert set(run.summary["stage_seconds"]) == {
        "lecture",
        "aire",
        "calcul",
        "agregation",
        "classement",
        "ecriture",
    }
    assert IndicatorValue.objects.filter(run=run).count() == 5 * (
        Classification.objects.filter(run=run).count()
    )


def test_territory_pages_of_every_level_on_this_backend(client, settings):
    """Every level's page, anonymous and signed in, cold and from the zone's shared parts: the
    queries of every section (UNION ALL subqueries, covering reads…) run on this backend too."""
    from django.contrib.auth.models import Group, User

    from indicators.models import ComputationRun
    from indicators.runs import services
    from offers.importers import import_gp_supply
    from tests.indicators.conftest import SIRENE_SLICE

    import_gp_supply(SIRENE_SLICE)
    services.recompute(ComputationRun.Trigger.TEST)
    settings.PAGE_CACHE_SECONDS = 300
    gueret = Commune.objects.get(code="23096")
    urls = [
        "/territoires/commune/23096/",
        f"/territoires/epci/{gueret.epci_id}/",
        f"/territoires/bassin-de-vie/{gueret.bassin_de_vie_id}/",
        "/territoires/departement/23/",
        f"/territoires/region/{gueret.departement.region_id}/",
        "/offre/",
    ]
    paris = Commune.objects.filter(code="75056").exists()  # a commune with arrondissements
    urls += ["/territoires/commune/75056/"] if paris else []
    for url in urls:
        assert client.get(url).status_code == 200, url
    elu = User.objects.create_user("elu-spatialite", password="motdepasse-solide-42")
    elu.groups.add(Group.objects.get_or_create(name="élus")[0])
    client.force_login(elu)
    for url in urls + urls:  # cold, then from the shared parts
        page = client.get(url)
        assert page.status_code == 200, url
    assert "Simuler une évolution de l’offre" in client.get("/territoires/commune/23096/").content.decode()


def test_upsert_of_new_and_stored_keys_on_this_backend():
    """``bulk_upsert`` (the writes of ``sync_rows``): new keys are inserted (PostgreSQL: COPY
    straight into the table); a key already stored makes it update that row instead, and insert
    the others, once each (PostgreSQL: the direct COPY rolled back, then COPY into a temporary
    table and INSERT … ON CONFLICT)."""
    from territories.importing.writes import bulk_upsert
    from territories.models import CommuneCodeAlias

    CommuneCodeAlias.objects.filter(old_code__in=["99901", "99902", "99903"]).delete()
    bulk_upsert(
        CommuneCodeAlias,
        [{"old_code": "99901", "commune_id": "23096"}],
        key="old_code",
        update_fields=["commune"],
    )
    rows = [{"old_code": "99901", "commune_id": "48095"}, {"old_code": "99902", "commune_id": "23096"}]
    bulk_upsert(CommuneCodeAlias, rows, key="old_code", update_fields=["commune"])
    bulk_upsert(
        CommuneCodeAlias,
        [{"old_code": "99903", "commune_id": "48095"}],
        key="old_code",
        update_fields=["commune"],
    )
    stored = dict(
        CommuneCodeAlias.objects.filter(old_code__in=["99901", "99902", "99903"]).values_list(
            "old_code", "commune_id"
        )
    )
    assert stored == {"99901": "48095", "99902": "23096", "99903": "48095"}
