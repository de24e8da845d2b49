"""Fixtures of the API tests: the real slice (territories, SIRENE supply, DREES APL workbook, the
programmes) and a successful run, as the pages' own tests use them."""

import pytest
from django.core.cache import cache

from tests.indicators.conftest import _clear_catchment_cache, computed, emergency_sites, supply  # noqa: F401
from tests.indicators.test_official_apl import fast_workbook, official  # noqa: F401
from tests.proposals.conftest import pacte, programmes  # noqa: F401


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()
    yield
    cache.clear()
