"""How figures are labelled: source lines (French decimals, travel times only where used, no
repeated « proxy ») and the unit of the GP density when the supply is the SIRENE proxy."""

import pytest

from indicators.api import measure
from territories.models import Departement

pytestmark = pytest.mark.django_db

TIME_INDICATORS = ["apl_mg", "temps_mg", "temps_urgences", "part_pop_urgences_30min"]


def test_source_line_uses_french_decimals_and_mentions_times_only_where_used(computed):
    creuse = Departement.objects.get(code="23")
    for code in TIME_INDICATORS:
        source = measure(code, creuse).source
        assert "× 1,3 à 60 km/h" in source, source
        assert "1.3" not in source and "60.0" not in source
    density = measure("densite_mg", creuse).source
    assert "temps" not in density.lower() and "km/h" not in density, density
    assert f"Calcul n° {computed.pk}" in density and "SIRENE" in density


def test_source_line_does_not_repeat_proxy(computed):
    for code in ["densite_mg", "apl_mg"]:
        source = measure(code).source
        assert "proxy" in source
        for part in source.split(" ; "):
            assert part.count("proxy") <= 1, part
