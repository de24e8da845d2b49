"""Valid outlines everywhere (issue 24, item 8): every zone outline drawn by the outline import is
valid for PostGIS itself (ST_IsValid), the import checks it and says so in its report."""

from pathlib import Path

import pytest
from django.db import connection

from territories import importers
from territories.models import EPCI, BassinDeVie, Departement, Region

pytestmark = pytest.mark.django_db

SLICE = Path(__file__).parent.parent / "data" / "territories"
ZONES = (Departement, Region, EPCI, BassinDeVie)


def invalid_by_sql() -> dict[str, int]:
    counts = {}
    with connection.cursor() as cursor:
        for model in ZONES:
            cursor.execute(
                f"SELECT count(*) FROM {model._meta.db_table} "
                "WHERE geometry_simplified IS NOT NULL AND NOT ST_IsValid(geometry_simplified)"
            )
            counts[model._meta.model_name] = cursor.fetchone()[0]
    return counts


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ST_IsValid of PostGIS")
def test_every_zone_outline_is_valid_after_an_import():
    for model in ZONES:
        model.objects.update(outline_hash="")  # every zone drawn again
    dataset = importers.import_geometries(SLICE)
    drawn = sum(model.objects.exclude(geometry_simplified=None).count() for model in ZONES)
    assert dataset.report["contours_de_zones_recalcules"] == drawn > 50
    assert set(dataset.report["contours_de_zones_invalides"].values()) == {0}
    assert set(invalid_by_sql().values()) == {0}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ST_IsValid of PostGIS")
def test_an_invalid_stored_zone_outline_is_drawn_again():
    """An outline left invalid by an earlier import (a bow tie) is redrawn by the next one, even
    though none of its communes changed."""
    bowtie = "SRID=4326;MULTIPOLYGON(((1.85 46.15,1.90 46.20,1.90 46.15,1.85 46.20,1.85 46.15)))"
    Departement.objects.filter(code="23").update(geometry_simplified=bowtie)
    assert invalid_by_sql()["departement"] == 1
    dataset = importers.import_geometries(SLICE)
    assert dataset.report["contours_de_zones_recalcules"] == 1
    assert set(invalid_by_sql().values()) == {0}
