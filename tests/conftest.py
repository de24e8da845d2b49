"""Shared test set-up: PostGIS test database with a small real slice of territories loaded once.

Slice: Creuse (23), Lozère (48) and Paris (75, with its arrondissements) from the real COG 2026,
BV2022/AAV2020 and IGN outlines (tests/data/territories, cut by make_territory_slices.py).
"""

from pathlib import Path

import pytest

TEST_DATA = Path(__file__).parent / "data"
TERRITORY_SLICE = TEST_DATA / "territories"


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from territories.importers import import_territories

    with django_db_blocker.unblock():
        import_territories(TERRITORY_SLICE)


@pytest.fixture
def territory_slice():
    return TERRITORY_SLICE


@pytest.fixture
def gueret(db):
    from territories.models import Commune

    return Commune.objects.select_related("departement__region", "epci", "bassin_de_vie").get(code="23096")


@pytest.fixture
def reload_territory_slice(transactional_db, territory_slice):
    """A transactional test starts from whatever the previous one left (a flushed database after a
    live-server test): load the slice (idempotent, a no-op when present) and load it again after."""
    from territories.importers import import_territories

    import_territories(territory_slice)
    yield
    import_territories(territory_slice)
