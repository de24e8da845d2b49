"""The computation service on the real slice: values, aggregation, classes, diff, atomic switch."""

import numpy as np
import pandas as pd
import pytest

from indicators.api.measures import measure
from indicators.models import Classification, ClassificationRule, ComputationRun, IndicatorValue
from indicators.runs import services
from offers.models import GPSupply
from territories.models import Commune, Dataset, Departement

pytestmark = pytest.mark.django_db


def commune_values(run, indicator):
    return dict(
        IndicatorValue.objects.filter(run=run, level="commune", indicator_id=indicator).values_list(
            "zone_code", "value"
        )
    )


def test_run_is_current_with_parameters_and_inputs(computed):
    run = computed
    assert run.status == ComputationRun.Status.SUCCEEDED and run.is_current
    assert run.progress == 100 and run.duration > 0
    assert run.parameters["travel_time"]["provider"] == "straight_line"
    assert run.parameters["apl"]["steps"] == [[10.0, 1.0], [15.0, 2 / 3], [20.0, 1 / 3]]
    # The slice's supply is the SIRENE proxy: establishments are converted with the proxy value.
    assert run.parameters["supply"]["is_proxy"]
    assert run.parameters["supply"]["consultations_per_gp_per_year"] == 2400.0
    assert "estimation" in run.parameters["supply"]["calibration"]
    assert run.parameters["supply"]["is_proxy"] is True
    assert run.is_estimate
    sources = set(run.datasets.values_list("source", flat=True))
    assert {"sirene-86-21z", "insee-cog", "ign-admin-express"} <= sources
    # Atoms: arrondissements replace Paris; Paris gets an aggregate at the commune level.
    codes = set(
        IndicatorValue.objects.filter(run=run, level="commune", indicator_id="apl_mg").values_list(
            "zone_code", flat=True
        )
    )
    assert "75101" in codes and "75056" in codes and "23096" in codes


def test_density_per_100000_matches_supply_and_population(computed):
    gueret = Commune.objects.get(code="23096")
    gps = GPSupply.objects.get(commune=gueret).headcount
    density = commune_values(computed, "densite_mg")["23096"]
    assert density == pytest.approx(gps / gueret.population * 100_000)


def test_emergency_times_zero_at_site_and_share_is_binary(computed):
    times = commune_values(computed, "temps_urgences")
    share = commune_values(computed, "part_pop_urgences_30min")
    # at the site: only the mean access inside the commune (2R/3 of its disc), never 0 (issue 27)
    from indicators.engine.within import within_commune_minutes

    tt = computed.parameters["travel_time"]
    for code in ("23096", "48095"):
        area = Commune.objects.get(code=code).area_km2
        inside = within_commune_minutes([area], tt["detour_factor"], tt["speed_kmh"])[0]
        assert times[code] == pytest.approx(inside) and times[code] > 0
    for code, minutes in times.items():
        if code in ("75056",):
            continue
        assert share[code] == (100.0 if minutes > 30 else 0.0)
    # Paris: its arrondissements with ≥ 10 hospital-activity establishments (SIRENE 86.10Z) are
    # pôles hospitaliers (proxy emergency sites), so none of its population is beyond 30 minutes.
    assert share["75056"] == pytest.approx(0.0)


def test_department_aggregate_equals_hand_population_weighted_mean(computed):
    """Aggregation is the population-weighted mean of the communes (hand computation on Creuse)."""
    creuse = Departement.objects.get(code="23")
    populations = dict(creuse.communes().values_list("code", "population"))
    for indicator in services.INDICATORS:
        values = commune_values(computed, indicator)
        num = sum(values[c] * populations[c] for c in populations if values.get(c) is not None)
        den = sum(populations[c] for c in populations if values.get(c) is not None)
        stored = IndicatorValue.objects.get(
            run=computed, level="departement", zone_code="23", indicator_id=indicator
        )
        assert stored.value == pytest.approx(num / den, rel=1e-9)
        assert stored.population == pytest.approx(den)
    # The national density is total GPs / total population × 100 000.
    gps = sum(
        GPSupply.objects.filter(dataset=computed.parameters["supply"]["dataset_id"])
        .exclude(commune_id="75056")
        .values_list("headcount", flat=True)
    )
    population = sum(
        Commune.objects.filter(is_active=True)
        .exclude(code__in=["75056"])
        .exclude(point=None)
        .values_list("population", flat=True)
    )
    france = IndicatorValue.objects.get(run=computed, level="france", indicator_id="densite_mg")
    assert france.value == pytest.approx(gps / population * 100_000, rel=1e-9)


def test_paris_value_aggregates_its_arrondissements(computed):
    apl = commune_values(computed, "apl_mg")
    arrondissements = dict(Commune.objects.filter(parent_id="75056").values_list("code", "population"))
    expected = sum(apl[c] * p for c, p in arrondissements.items()) / sum(arrondissements.values())
    assert apl["75056"] == pytest.approx(expected, rel=1e-9)


def test_aggregate_leaves_missing_values_out():
    frame = pd.DataFrame(
        {
            "zone": ["a", "a", "a", "b"],
            "population": [100.0, 300.0, 50.0, 10.0],
            "x": [1.0, 3.0, np.nan, 7.0],
        }
    )
    out = services.aggregate(frame, "zone", ["x"])
    assert out.loc["a", "x"] == pytest.approx((100 * 1 + 300 * 3) / 400)
    assert out.loc["a", "x__pop"] == 400
    assert out.loc["b", "x"] == 7.0


@pytest.mark.parametrize(
    "apl, expected",
    [
        (0.0, "sous_dense"),
        (2.4999, "sous_dense"),
        (2.5, "fragile"),
        (3.99, "fragile"),
        (4.0, "non_deficitaire"),
        (12.0, "non_deficitaire"),
        (None, "inconnu"),
    ],
)
def test_classification_thresholds(db, apl, expected):
    rule = ClassificationRule(version=99, underserved_below=2.5, fragile_below=4.0)
    assert rule.classify_apl(apl) == expected


def test_stored_classes_follow_the_rule(computed):
    rule = computed.rule
    apl = commune_values(computed, "apl_mg")
    times = commune_values(computed, "temps_urgences")
    classes = Classification.objects.filter(run=computed, level="commune")
    assert classes.count() == len(apl)
    for c in classes:
        assert c.apl_class == rule.classify_apl(apl[c.zone_code])
        assert c.emergency_far == (times[c.zone_code] > rule.emergency_minutes)
    # ARS zonage beside the computed class is empty until a zonage is imported.
    dep = Classification.objects.get(run=computed, level="departement", zone_code="23")
    share = IndicatorValue.objects.get(
        run=computed, level="departement", zone_code="23", indicator_id="part_pop_urgences_30min"
    ).value
    assert dep.emergency_far == (share >= rule.emergency_share)


def test_edited_thresholds_change_classes_in_next_run(computed):
    ClassificationRule.objects.update(is_active=False)
    strict = ClassificationRule.objects.create(version=2, underserved_below=1000.0, fragile_below=2000.0)
    second = services.recompute(ComputationRun.Trigger.TEST)
    assert second.rule == strict
    assert set(
        Classification.objects.filter(run=second, level="commune").values_list("apl_class", flat=True)
    ) <= {"sous_dense", "inconnu"}


def test_diff_lists_communes_that_changed_class(computed, settings):
    settings.PUBLISH_GATE_SHARE = 1.0  # published at once (the gate has its own tests)
    settings.PUBLISH_GATE_DEPARTEMENT_SHARE = 1.0
    dataset = Dataset.objects.create(
        source="sirene-86-21z",
        title="Offre modifiée (test)",
        licence="test",
        millesime="test",
        file_name="t.csv",
        checksum="0" * 64,
        status=Dataset.Status.SUCCEEDED,
        is_proxy=True,
    )
    rows = list(GPSupply.objects.filter(dataset=computed.parameters["supply"]["dataset_id"]))
    GPSupply.objects.bulk_create(
        [
            GPSupply(
                dataset=dataset,
                commune=r.commune,
                headcount=r.headcount * (10 if r.commune.departement_id == "48" else 1),
            )
            for r in rows
        ]
    )
    second = services.recompute(ComputationRun.Trigger.TEST)
    before = dict(
        Classification.objects.filter(run=computed, level="commune").values_list("zone_code", "apl_class")
    )
    after = dict(
        Classification.objects.filter(run=second, level="commune").values_list("zone_code", "apl_class")
    )
    changed = {c for c in after if before.get(c) != after[c]}
    assert changed, "ten times more GPs in Lozère must change some classes"
    assert all(c.startswith("48") for c in changed)
    assert second.diff["previous_run"] == computed.pk
    assert {row["code"] for row in second.diff["changed"]} == changed
    assert second.diff["count"] == len(changed)
    computed.refresh_from_db()
    assert not computed.is_current and second.is_current and second.previous == computed


def test_failed_run_keeps_previous_current_run(computed, monkeypatch):
    before = measure("apl_mg", Departement.objects.get(code="23"))

    def broken(*args, **kwargs):
        raise RuntimeError("panne simulée")

    monkeypatch.setattr("indicators.runs.pipeline.zone_values", broken)
    with pytest.raises(RuntimeError):
        services.recompute(ComputationRun.Trigger.TEST)
    failed = ComputationRun.objects.exclude(pk=computed.pk).get()
    assert failed.status == ComputationRun.Status.FAILED
    assert "panne simulée" in failed.error
    assert not failed.is_current
    assert not IndicatorValue.objects.filter(run=failed).exists()
    assert ComputationRun.current() == computed
    assert measure("apl_mg", Departement.objects.get(code="23")) == before
    # A retry of the failed run is safe: a fresh run does the work and becomes current.
    monkeypatch.undo()
    retry = services.execute(failed.pk)
    assert retry.pk != failed.pk and retry.parameters["retry_of"] == failed.pk
    assert retry.status == ComputationRun.Status.SUCCEEDED and retry.is_current
    # Executing a succeeded run again does nothing (idempotent).
    count = IndicatorValue.objects.count()
    assert services.execute(retry.pk).pk == retry.pk
    assert IndicatorValue.objects.count() == count


def test_stale_running_run_is_marked_failed(computed):
    from datetime import timedelta

    from django.utils import timezone

    run = services.create_run(ComputationRun.Trigger.TEST)
    ComputationRun.objects.filter(pk=run.pk).update(
        status=ComputationRun.Status.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )
    assert services.mark_stale_runs() == 1
    run.refresh_from_db()
    assert run.status == ComputationRun.Status.FAILED and "signe de vie" in run.error
    assert ComputationRun.current() == computed


def test_measure_api_reads_the_current_run(computed):
    creuse = Departement.objects.get(code="23")
    m = measure("apl_mg", creuse)
    stored = IndicatorValue.objects.get(
        run=computed, level="departement", zone_code="23", indicator_id="apl_mg"
    )
    assert m.value == stored.value
    assert m.unit == "consultations accessibles par habitant et par an"
    assert m.is_estimate
    assert f"Calcul n° {computed.pk}" in m.source and "SIRENE" in m.source and "2019" in m.source
    assert m.url.startswith("/indicateurs/definitions/apl_mg/")
    assert measure("part_pop_urgences_30min").value is not None  # France
    assert measure("inconnu") is None


def test_no_run_means_no_measure(db):
    assert measure("apl_mg") is None


def test_land_groups_keep_overseas_apart():
    groups = services.land_groups(["23096", "97411", "97105", "75101", "2A004"])
    assert list(groups) == ["metro", "974", "971", "metro", "metro"]
