"""`compare_zonage --maille tvs --source drees` averages the DREES commune APL over each TVS (or
bassin de vie) with the DREES weights — the standardised population it publishes — as every other
aggregate of the portal does (issue 24, item 8), never with the municipal population."""

from collections import Counter

import pytest
from django.conf import settings

from indicators.models import ComputationRun, PublishedZoneValue
from indicators.official.published import APL, MAIN_VARIANT, latest_official
from indicators.official.zonage import agreement
from indicators.runs import services
from offers.importers import import_zonage
from territories.models import Commune
from tests.indicators.test_official_apl import fast_workbook, official  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db


def test_tvs_mesh_with_the_drees_weights(official, supply, emergency_sites):  # noqa: F811
    import_zonage(settings.FIXTURES_DIR / "offers" / "zonage_medecins_23_48_75.csv")
    run = services.recompute(ComputationRun.Trigger.TEST)
    millesime = latest_official()[0]
    rows = PublishedZoneValue.objects.filter(
        indicator_code=APL, millesime=millesime, variant=MAIN_VARIANT, level="commune"
    ).values_list("zone_code", "value", "population_standardised")
    published = {code: (value, weight) for code, value, weight in rows}
    bv_of = dict(
        Commune.objects.filter(is_active=True, kind=Commune.Kind.COMMUNE).values_list(
            "code", "bassin_de_vie_id"
        )
    )
    sums, weights, municipal = Counter(), Counter(), Counter()
    population = dict(Commune.objects.values_list("code", "population"))
    for code, (value, weight) in published.items():
        if value is not None and bv_of.get(code):
            sums[bv_of[code]] += value * weight
            weights[bv_of[code]] += weight
            municipal[bv_of[code]] += value * (population.get(code) or 0)
    zones = dict(
        run.classifications.filter(level="commune").exclude(ars_zone="").values_list("zone_code", "mesh_zone")
    )
    expected = Counter()
    for zone in zones.values():
        if weights[zone]:
            expected[run.rule.classify_apl(sums[zone] / weights[zone]).value] += 1
    result = agreement(run, "tvs", "drees")
    assert {cls: sum(by_zone.values()) for cls, by_zone in result.by_communes.counts.items()} == {
        cls: n for cls, n in expected.items()
    } | {cls: 0 for cls in result.by_communes.counts if cls not in expected}
    # the weights differ from the municipal population: the test could tell them apart
    assert any(
        abs(
            sums[z] / weights[z]
            - municipal[z] / sum((population.get(c) or 0) for c in bv_of if bv_of[c] == z)
        )
        > 1e-6
        for z in set(zones.values())
        if weights[z]
    )
