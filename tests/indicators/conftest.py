"""Fixtures of the indicators tests: a real GP-supply slice (SIRENE proxy, 23/48/75) and two
emergency sites, on top of the session's real territory slice."""

from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
SIRENE_SLICE = DATA / "sirene_gp_23_48_75.csv"


@pytest.fixture(autouse=True)
def _clear_catchment_cache():
    from indicators.runs import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def supply(db):
    """The real SIRENE 2019 GP proxy for the slice, imported through the offers importer."""
    from offers.importers import import_gp_supply

    return import_gp_supply(SIRENE_SLICE)


@pytest.fixture
def emergency_sites(db):
    """Two emergency sites (Guéret, Mende), placed at their commune point."""
    from offers.models import Offer
    from territories.models import Commune

    sites = []
    for code, name in [("23096", "Urgences du CH de Guéret"), ("48095", "Urgences du CH de Mende")]:
        commune = Commune.objects.get(code=code)
        sites.append(
            Offer.objects.create(
                kind=Offer.Kind.EMERGENCY,
                subkind=Offer.SubKind.URGENCES,
                name=name,
                commune=commune,
                location=commune.point,
                location_precision=Offer.LocationPrecision.COMMUNE,
                status=Offer.Status.OPEN,
            )
        )
    return sites


@pytest.fixture
def computed(supply, emergency_sites):
    """A first successful run on the slice."""
    from indicators.models import ComputationRun
    from indicators.runs import services

    return services.recompute(ComputationRun.Trigger.TEST)
