"""Agreement of the computed classes with the ARS zonage (compare_zonage, the run page): the
cross-tables and Cohen's kappa are recomputed independently here from the stored rows, at the
commune and at the bassin-de-vie mesh (population-weighted APL of the bassin de vie)."""

from collections import Counter
from io import StringIO

import numpy as np
import pytest
from django.conf import settings
from django.core.management import call_command

from indicators.models import ComputationRun, IndicatorValue
from indicators.official.zonage import CLASSES, ZONES, agreement, cohen_kappa
from indicators.runs import services
from offers.importers import import_zonage
from territories.models import Commune

pytestmark = pytest.mark.django_db


@pytest.fixture
def zoned_run(supply, emergency_sites):
    import_zonage(settings.FIXTURES_DIR / "offers" / "zonage_medecins_23_48_75.csv")
    return services.recompute(ComputationRun.Trigger.TEST)


def classify(value, rule):
    if value < rule.underserved_below:
        return "sous_dense"
    return "fragile" if value < rule.fragile_below else "non_deficitaire"


def kappa_of(pairs, weights):
    """Cohen's kappa written from its definition, on (class index, zone index) pairs."""
    matrix = np.zeros((3, 3))
    for (i, j), w in zip(pairs, weights, strict=True):
        matrix[i, j] += w
    n = matrix.sum()
    po = np.trace(matrix) / n
    pe = (matrix.sum(axis=1) * matrix.sum(axis=0)).sum() / n**2
    return (po - pe) / (1 - pe)


def test_kappa_of_a_textbook_table():
    # 2 raters, 50 items: 20+15 agree; kappa = (0.7 - 0.5) / 0.5 = 0.4 (3rd category empty)
    counts = {c: dict.fromkeys(ZONES, 0) for c in CLASSES}
    counts["sous_dense"].update(ZIP=20, ZAC=5)
    counts["fragile"].update(ZIP=10, ZAC=15)
    assert cohen_kappa(counts) == pytest.approx(0.4)


@pytest.mark.parametrize("mesh", ["commune", "bv"])
def test_tables_and_kappa_match_an_independent_computation(zoned_run, mesh):
    run = zoned_run
    zones = dict(
        run.classifications.filter(level="commune").exclude(ars_zone="").values_list("zone_code", "ars_zone")
    )
    assert len(zones) > 400  # Creuse, Lozère, the arrondissements of Paris
    apl = dict(
        IndicatorValue.objects.filter(run=run, level="commune", indicator_id="apl_mg").values_list(
            "zone_code", "value"
        )
    )
    communes = {c.code: c for c in Commune.objects.filter(code__in=list(zones)).select_related("parent")}
    if mesh == "bv":  # population-weighted APL of each bassin de vie, from the commune rows
        bv_of = {
            c.code: c.bassin_de_vie_id or c.parent.bassin_de_vie_id
            for c in Commune.objects.filter(code__in=list(apl)).select_related("parent")
        }
        pop = dict(Commune.objects.filter(code__in=list(apl)).values_list("code", "population"))
        sums, weights = Counter(), Counter()
        for code, value in apl.items():
            if value is not None and bv_of.get(code):
                sums[bv_of[code]] += value * (pop[code] or 0)
                weights[bv_of[code]] += pop[code] or 0
        value_of = {code: sums[bv_of[code]] / weights[bv_of[code]] for code in zones}
    else:
        value_of = {code: apl[code] for code in zones}
    pairs, populations = [], []
    for code, zone in zones.items():
        zone = "ZAC" if zone == "ZAR" else zone
        pairs.append((CLASSES.index(classify(value_of[code], run.rule)), ZONES.index(zone)))
        populations.append(communes[code].population or 0)

    result = agreement(run, mesh, "run")
    expected = Counter(pairs)
    for i, c in enumerate(CLASSES):
        for j, z in enumerate(ZONES):
            assert result.by_communes.counts[c][z] == expected[(i, j)]
    assert result.by_communes.kappa == pytest.approx(kappa_of(pairs, [1] * len(pairs)))
    assert result.by_population.kappa == pytest.approx(kappa_of(pairs, populations))
    assert result.by_population.total == sum(populations)


def test_command_and_run_page_show_the_agreement(client, zoned_run):
    out = StringIO()
    call_command("compare_zonage", stdout=out)
    text = out.getvalue()
    assert (
        text.count("kappa de Cohen") == 6
    )  # 3 meshes (commune, BV, TVS) × (communes, population) of the run
    assert "APL officielle de la DREES : non chargée" in text  # no workbook in this test
    assert "maille : bassin de vie 2022" in text and f"calcul n° {zoned_run.pk}" in text
    kappa = agreement(zoned_run, "commune", "run").by_communes.kappa
    page = client.get(zoned_run.get_absolute_url()).content.decode()
    assert "Accord avec le zonage ARS médecins" in page
    assert f"kappa de Cohen {kappa:.3f}".replace(".", ",") in page


def test_run_page_shows_the_stage_times(client, zoned_run):
    stages = zoned_run.summary["stage_seconds"]
    assert set(stages) == {"lecture", "aire", "calcul", "agregation", "classement", "ecriture"}
    page = client.get(zoned_run.get_absolute_url()).content.decode()
    assert f"agrégation par zone {stages['agregation']:.2f} s".replace(".", ",") in page
    assert f"écriture {stages['ecriture']:.2f} s".replace(".", ",") in page
