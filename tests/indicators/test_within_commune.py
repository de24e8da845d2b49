"""Times that never read « 0 minutes » (issue 27): the time to the nearest GP and to emergency care
adds the mean access inside the commune, 2R/3 for a disc of the commune's area, at the run's detour
and speed; zones weight it by population."""

import math

import numpy as np
import pytest
from django.urls import reverse

from indicators.engine.within import fill_areas, within_commune_minutes
from indicators.models import IndicatorValue
from territories.models import Commune

pytestmark = pytest.mark.django_db


def test_disc_of_pi_square_km_is_two_thirds_of_a_km():
    # R = 1 km; mean distance 2/3 km; × 1.3 at 60 km/h (1 km a minute) = 0.8667 min
    assert within_commune_minutes([math.pi], 1.3, 60.0)[0] == pytest.approx(2 / 3 * 1.3)
    areas, fill = fill_areas([4.0, np.nan, 0.0, 16.0])
    assert fill == 10.0 and list(areas) == [4.0, 10.0, 10.0, 16.0]


def commune_times(run, indicator):
    return dict(
        IndicatorValue.objects.filter(run=run, level="commune", indicator_id=indicator).values_list(
            "zone_code", "value"
        )
    )


def test_no_commune_reads_zero_minutes_and_gueret_reads_its_own_access(computed):
    tt = computed.parameters["travel_time"]
    assert tt["within_commune_factor"] == pytest.approx(2 / 3)
    gp = commune_times(computed, "temps_mg")
    er = commune_times(computed, "temps_urgences")
    known = [v for v in gp.values() if v is not None]
    assert known and min(known) > 0  # before issue 27 every commune with a GP read 0
    gueret = Commune.objects.get(code="23096")
    own = (
        2
        / 3
        * math.sqrt(gueret.area_km2 * 1e6 / math.pi)
        * tt["detour_factor"]
        / (tt["speed_kmh"] * 1000 / 60)
    )
    # Guéret has GPs and an emergency site: both times are the access inside the commune (≈ 2.5 min)
    assert gp["23096"] == pytest.approx(own) and er["23096"] == pytest.approx(own)
    assert 2 < own < 3


def test_zones_weight_the_access_by_population(computed):
    gp = commune_times(computed, "temps_mg")
    communes = list(
        Commune.objects.filter(bassin_de_vie="23096", is_active=True, kind="COM").values_list(
            "code", "population"
        )
    )
    pairs = [(gp[c], p) for c, p in communes if gp.get(c) is not None and p]
    expected = sum(v * p for v, p in pairs) / sum(p for _v, p in pairs)
    stored = IndicatorValue.objects.get(
        run=computed, level="bassin-de-vie", zone_code="23096", indicator_id="temps_mg"
    )
    assert stored.value == pytest.approx(expected, rel=1e-6)


def test_method_and_card_say_the_access_inside_the_commune(client, computed):
    html = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    card = html[html.index('id="chiffre-temps_mg"') :]
    card = card[: card.index("</li>")]
    assert "0 minutes" not in card and "2,5" in card
    page = client.get(reverse("indicators:definition", args=["temps_mg"])).content.decode()
    assert "2R/3" in page
