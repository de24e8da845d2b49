"""The computation engine against its plain-Python reference (no database, no timing)."""

import json
import math
import subprocess
import sys

import numpy as np
import pytest
from pyproj import Geod

from indicators.engine import (
    DEFAULT_STEPS,
    Catchment,
    MatrixTimes,
    StraightLineTimes,
    csr_pair_arrays,
    nearest_minutes,
    nearest_minutes_matrix,
    step_weights,
    to_lambert93,
    to_metric,
)
from indicators.engine import catchment as catchment_module
from indicators.engine import reference as ref

RTOL = 1e-9


def pairs_dict(matrix):
    rows, cols, minutes = csr_pair_arrays(matrix)
    return {(int(i), int(j)): float(m) for i, j, m in zip(rows, cols, minutes, strict=True)}


def random_communes(seed, n=150):
    """Points in a 50 km square (every step band populated) with awkward cases added:
    two communes sharing a point, an isolated commune with supply but no neighbour, communes with
    no demand, communes with no supply, and a zero-demand isolated commune holding supply."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 50_000, size=(n, 2))
    xy[1] = xy[0]  # shared point: 0 minutes between two different communes
    xy[2] = (900_000.0, 900_000.0)  # isolated, has demand and supply
    xy[3] = (-900_000.0, 900_000.0)  # isolated, supply but no demand → its supply reaches nobody
    supply = np.where(rng.random(n) < 0.5, 0.0, rng.integers(1, 30, n).astype(float))
    demand = rng.integers(50, 20_000, n).astype(float)
    demand[rng.random(n) < 0.1] = 0.0
    supply[2], demand[2] = 3.0, 800.0
    supply[3], demand[3] = 5.0, 0.0
    supply[4] = 0.0
    demand[5] = 0.0
    return xy, supply, demand


# --- Projections ---------------------------------------------------------------------------------


def test_lambert93_maps_its_origin_to_its_false_easting_and_northing():
    xy = to_lambert93(np.array([3.0]), np.array([46.5]))
    np.testing.assert_allclose(xy, [[700_000.0, 6_600_000.0]], atol=1e-6)


def test_lambert93_distances_agree_with_the_geodesic():
    # Guéret, Mende, Paris Notre-Dame, Brest, Strasbourg, Perpignan (lon, lat)
    lon = np.array([1.8718, 3.4993, 2.3499, -4.4861, 7.7521, 2.8948])
    lat = np.array([46.1713, 44.5181, 48.8530, 48.3904, 48.5734, 42.6887])
    xy = to_lambert93(lon, lat)
    geod = Geod(ellps="GRS80")
    for i in range(len(lon)):
        for j in range(i + 1, len(lon)):
            _, _, metres = geod.inv(lon[i], lat[i], lon[j], lat[j])
            planar = math.dist(xy[i], xy[j])
            assert abs(planar - metres) / metres < 2e-3, (i, j, planar, metres)


def test_lambert93_refuses_mismatched_lengths():
    with pytest.raises(ValueError):
        to_lambert93([1.0, 2.0], [46.0])


# --- Travel-time providers -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1])
def test_straight_line_pairs_match_brute_force(seed):
    xy, _, _ = random_communes(seed)
    times = StraightLineTimes(xy, detour_factor=1.4, speed_kmh=50.0)
    got = pairs_dict(times.pairs_within(20.0))
    expected = ref.straight_line_pairs(xy.tolist(), 20.0, detour_factor=1.4, speed_kmh=50.0)
    assert got.keys() == expected.keys()
    for key, minutes in expected.items():
        assert got[key] == pytest.approx(minutes, rel=1e-12, abs=1e-12)
    assert times.params == {"provider": "straight_line", "detour_factor": 1.4, "speed_kmh": 50.0}


def test_zero_minute_pairs_are_stored_entries_not_dropped():
    xy = np.array([[0.0, 0.0], [0.0, 0.0], [5_000.0, 0.0], [500_000.0, 0.0]])
    matrix = StraightLineTimes(xy).pairs_within(20.0)
    pairs = pairs_dict(matrix)
    for i in range(4):
        assert pairs[(i, i)] == 0.0
    assert pairs[(0, 1)] == 0.0 and pairs[(1, 0)] == 0.0
    assert pairs[(0, 2)] == pytest.approx(5.0 * 1.3)
    assert (0, 3) not in pairs and (3, 0) not in pairs
    assert matrix.nnz == 4 + 2 + 4  # diagonal, shared point both ways, 0–2 and 1–2 both ways


def test_straight_line_refuses_missing_points():
    with pytest.raises(ValueError, match="finite"):
        StraightLineTimes(np.array([[0.0, 0.0], [np.nan, 1.0]]))


def test_matrix_times_keep_the_diagonal_and_the_given_times():
    times = MatrixTimes(4, np.array([0, 1, 2, 2]), np.array([1, 0, 3, 2]), np.array([12.0, 14.0, 30.0, 4.0]))
    pairs = pairs_dict(times.pairs_within(20.0))
    assert pairs == {(0, 0): 0.0, (1, 1): 0.0, (3, 3): 0.0, (2, 2): 4.0, (0, 1): 12.0, (1, 0): 14.0}
    assert times.params["provider"] == "matrix"


@pytest.mark.parametrize(
    "origins, destinations, minutes, message",
    [
        ([0, 0], [1, 1], [3.0, 4.0], "duplicate"),
        ([0], [5], [3.0], "indices"),
        ([0], [1], [-1.0], ">= 0"),
        ([0], [1], [np.inf], "finite"),
        ([0.0], [1.0], [3.0], "integer"),
    ],
)
def test_matrix_times_refuse_bad_input(origins, destinations, minutes, message):
    with pytest.raises(ValueError, match=message):
        MatrixTimes(3, np.array(origins), np.array(destinations), np.array(minutes))


def test_matrix_times_from_codes_drop_unknown_communes():
    times = MatrixTimes.from_codes(
        ["23096", "48095"], ["23096", "99999", "48095"], ["48095", "23096", "23096"], [150.0, 1.0, 151.0]
    )
    assert pairs_dict(times.pairs_within(200.0)) == {(0, 0): 0.0, (1, 1): 0.0, (0, 1): 150.0, (1, 0): 151.0}
    assert times.params["dropped_pairs"] == 1


# --- Step weights: the DREES boundary convention -------------------------------------------------


def test_step_weights_are_closed_on_the_left_by_default_as_drees_counts_whole_minutes():
    minutes = [0.0, 9.999, 10.0, 14.999, 15.0, 19.999, 20.0, 25.0]
    np.testing.assert_allclose(step_weights(minutes), [1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 0, 0])
    np.testing.assert_allclose(
        step_weights(minutes, closed="right"), [1, 1, 1, 2 / 3, 2 / 3, 1 / 3, 1 / 3, 0]
    )
    for t in minutes:
        assert step_weights([t])[0] == ref.step_weight(t, DEFAULT_STEPS)
        assert step_weights([t], closed="right")[0] == ref.step_weight(t, DEFAULT_STEPS, "right")


def test_catchment_weights_on_exact_boundaries():
    origins = np.array([0, 0, 0, 0, 1])
    destinations = np.array([1, 2, 3, 4, 0])
    minutes = np.array([10.0, 15.0, 20.0, 9.0, 20.0])
    times = MatrixTimes(5, origins, destinations, minutes)
    left = Catchment.build(times).weights
    assert left[0, 1] == pytest.approx(2 / 3)
    assert left[0, 2] == pytest.approx(1 / 3)
    assert left[0, 4] == 1.0
    assert (0, 3) not in pairs_dict(left) and (1, 0) not in pairs_dict(left)  # 20 min: outside
    right = Catchment.build(times, closed="right").weights
    assert right[0, 1] == 1.0 and right[0, 2] == pytest.approx(2 / 3)
    assert right[0, 3] == pytest.approx(1 / 3) and right[1, 0] == pytest.approx(1 / 3)


def test_steps_are_run_parameters():
    times = MatrixTimes(3, np.array([0, 1]), np.array([1, 2]), np.array([25.0, 40.0]))
    catchment = Catchment.build(times, max_minutes=30.0, steps={30: 0.5, 20: 1.0})
    assert catchment.weights[0, 1] == 0.5
    assert (1, 2) not in pairs_dict(catchment.weights)
    assert catchment.params["steps"] == [[20.0, 1.0], [30.0, 0.5]]
    assert catchment.params["max_minutes"] == 30.0
    json.dumps(catchment.params)  # stored as-is in a run record
    with pytest.raises(ValueError):
        Catchment.build(times, steps={10: -1})


# --- APL -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("closed", ["left", "right"])
@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_apl_matches_reference_on_straight_line_times(seed, closed):
    xy, supply, demand = random_communes(seed)
    times = StraightLineTimes(xy)
    catchment = Catchment.build(times, closed=closed)
    got = catchment.apl(supply, demand)
    pairs = ref.straight_line_pairs(xy.tolist(), 20.0)
    expected = ref.apl(pairs, supply.tolist(), demand.tolist(), closed=closed)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)
    assert np.isfinite(got).all()
    assert got[2] == pytest.approx(3.0 / 800.0)  # isolated: its own supply over its own demand
    assert got[3] == 0.0  # isolated, no demand: its supply reaches nobody


@pytest.mark.parametrize("closed", ["left", "right"])
@pytest.mark.parametrize("seed", [10, 11, 12])
def test_apl_matches_reference_on_matrix_times_with_boundaries(seed, closed):
    rng = np.random.default_rng(seed)
    n = 60
    o, d = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    o, d = o.ravel(), d.ravel()
    keep = rng.random(len(o)) < 0.4
    o, d = o[keep], d[keep]
    minutes = rng.integers(0, 26, len(o)).astype(float)  # whole minutes: many on 10, 15 and 20
    minutes[o == d] = 0.0
    assert {10.0, 15.0, 20.0} <= set(minutes)
    supply = np.where(rng.random(n) < 0.4, 0.0, rng.integers(1, 10, n).astype(float))
    demand = np.where(rng.random(n) < 0.15, 0.0, rng.integers(1, 5000, n).astype(float))
    times = MatrixTimes(n, o, d, minutes)
    got = Catchment.build(times, closed=closed).apl(supply, demand)
    pairs = ref.matrix_pairs(n, zip(o.tolist(), d.tolist(), minutes.tolist(), strict=True))
    expected = ref.apl(pairs, supply.tolist(), demand.tolist(), closed=closed)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=0)


def test_apl_of_a_toy_case_by_hand():
    # A (pop 1000, 2 GP) – 12 min – B (pop 3000, 0 GP); C 30 min away (pop 500, 1 GP).
    times = MatrixTimes(3, np.array([0, 1, 0, 2]), np.array([1, 0, 2, 0]), np.array([12.0, 12.0, 30.0, 30.0]))
    got = Catchment.build(times).apl(np.array([2.0, 0.0, 1.0]), np.array([1000.0, 3000.0, 500.0]))
    r_a = 2.0 / (1000 + 2 / 3 * 3000)
    np.testing.assert_allclose(got, [r_a, 2 / 3 * r_a, 1 / 500], rtol=1e-12)


def test_apl_refuses_bad_vectors():
    catchment = Catchment.build(MatrixTimes(2, np.array([0]), np.array([1]), np.array([5.0])))
    with pytest.raises(ValueError):
        catchment.apl(np.array([1.0, -1.0]), np.array([1.0, 1.0]))
    with pytest.raises(ValueError):
        catchment.apl(np.array([1.0]), np.array([1.0, 1.0]))
    with pytest.raises(ValueError):
        catchment.apl(np.array([1.0, 1.0]), np.array([np.nan, 1.0]))


# --- What-if -------------------------------------------------------------------------------------


def expected_whatif(catchment, supply, demand, changes):
    changed = supply.copy()
    for j, delta in changes.items():
        changed[j] = max(changed[j] + delta, 0.0)
    return catchment.apl(changed, demand)


@pytest.mark.parametrize("seed", [0, 1])
def test_whatif_equals_a_full_recompute(seed):
    xy, supply, demand = random_communes(seed)
    catchment = Catchment.build(StraightLineTimes(xy))
    base = catchment.apl(supply, demand)
    supplied = int(np.flatnonzero(supply > 0)[-1])
    changes = {
        10: 4.0,  # a new MSP with 4 GPs
        supplied: -1000.0,  # every GP leaves (supply does not go negative)
        3: 2.0,  # where no demand reaches: nothing changes
        5: 1.5,
    }
    got = catchment.whatif(supply, demand, changes)
    supply_before, demand_before = supply.copy(), demand.copy()
    expected = expected_whatif(catchment, supply, demand, changes)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-15)
    assert not np.allclose(got, base)
    np.testing.assert_array_equal(supply, supply_before)
    np.testing.assert_array_equal(demand, demand_before)
    # The stored base is untouched: a second what-if starts from the same base.
    again = catchment.whatif(supply, demand, {10: 4.0})
    np.testing.assert_allclose(again, expected_whatif(catchment, supply, demand, {10: 4.0}), rtol=RTOL)


def test_whatif_with_many_changes_uses_the_full_product(monkeypatch):
    monkeypatch.setattr(catchment_module, "WHATIF_COLUMN_LIMIT", 5)
    xy, supply, demand = random_communes(4)
    catchment = Catchment.build(StraightLineTimes(xy))
    changes = {int(j): -supply[j] for j in np.flatnonzero(supply > 0)[:40]}  # 40 retirements
    got = catchment.whatif(supply, demand, changes)
    np.testing.assert_allclose(
        got, expected_whatif(catchment, supply, demand, changes), rtol=RTOL, atol=1e-15
    )


def test_whatif_recomputes_its_base_when_inputs_differ():
    xy, supply, demand = random_communes(5)
    catchment = Catchment.build(StraightLineTimes(xy))
    catchment.apl(supply, demand)
    other_demand = demand * 2 + 1
    got = catchment.whatif(supply, other_demand, {7: 3.0})
    np.testing.assert_allclose(got, expected_whatif(catchment, supply, other_demand, {7: 3.0}), rtol=RTOL)
    np.testing.assert_allclose(
        catchment.whatif(supply, other_demand, {}), catchment.apl(supply, other_demand)
    )
    with pytest.raises(ValueError):
        catchment.whatif(supply, demand, {len(supply): 1.0})


# --- Nearest sites -------------------------------------------------------------------------------


def test_nearest_minutes_match_brute_force():
    rng = np.random.default_rng(7)
    origins = rng.uniform(0, 300_000, size=(400, 2))
    targets = rng.uniform(0, 300_000, size=(25, 2))
    minutes, index = nearest_minutes(origins, targets, detour_factor=1.2, speed_kmh=70.0)
    ref_minutes, ref_index = ref.nearest(
        origins.tolist(), targets.tolist(), detour_factor=1.2, speed_kmh=70.0
    )
    np.testing.assert_allclose(minutes, ref_minutes, rtol=RTOL)
    np.testing.assert_array_equal(index, ref_index)
    empty_minutes, empty_index = nearest_minutes(origins, np.zeros((0, 2)))
    assert np.isinf(empty_minutes).all() and (empty_index == -1).all()


def test_nearest_minutes_through_a_matrix():
    rng = np.random.default_rng(8)
    n = 50
    o = rng.integers(0, n, 400)
    d = rng.integers(0, n, 400)
    pairs = {}
    for a, b in zip(o.tolist(), d.tolist(), strict=True):
        pairs[(a, b)] = float(rng.uniform(1, 90))
    keys = list(pairs)
    times = MatrixTimes(
        n,
        np.array([k[0] for k in keys]),
        np.array([k[1] for k in keys]),
        np.array([pairs[k] for k in keys]),
    )
    mask = np.zeros(n, dtype=bool)
    mask[[3, 17, 40]] = True
    got = nearest_minutes_matrix(times, mask)
    expected = ref.nearest_in_matrix(
        ref.matrix_pairs(n, [(a, b, m) for (a, b), m in pairs.items()]), n, {3, 17, 40}
    )
    np.testing.assert_allclose(got, expected, rtol=RTOL)
    assert np.isinf(got).any()  # some communes reach no target
    for j in (3, 17, 40):
        assert got[j] <= pairs.get((j, j), 0.0)  # a target reaches itself
    assert np.isinf(nearest_minutes_matrix(times, np.zeros(n, dtype=bool))).all()


# --- Independence from Django ---------------------------------------------------------------------


def test_engine_imports_without_django():
    code = (
        "import sys, indicators.engine, indicators.engine.reference; "
        "bad = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.')); "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={"PATH": "/usr/bin:/bin"})


def test_to_metric_keeps_lambert93_in_metropole_and_true_distances_overseas():
    # Paris, Ajaccio; Saint-Denis (La Réunion), Pointe-à-Pitre, Cayenne, Mamoudzou, Papeete
    lon = np.array([2.3499, 8.7369, 55.4504, -61.5331, -52.3260, 45.2279, -149.5585])
    lat = np.array([48.8530, 41.9192, -20.8823, 16.2411, 4.9224, -12.7806, -17.5350])
    xy = to_metric(lon, lat)
    np.testing.assert_allclose(xy[:2], to_lambert93(lon[:2], lat[:2]), atol=1e-6)
    geod = Geod(ellps="GRS80")
    for k in range(2, len(lon)):
        # 10 km east of each overseas point: Lambert-93 would stretch it up to × 1.9 (La Réunion)
        east_lon, east_lat, _ = geod.fwd(lon[k], lat[k], 90.0, 10_000.0)
        pair = to_metric(np.array([lon[k], east_lon]), np.array([lat[k], east_lat]))
        assert math.dist(pair[0], pair[1]) == pytest.approx(10_000.0, rel=2e-3)
    # Different territories are never within reach of each other.
    far = StraightLineTimes(xy).pairs_within(24 * 60.0)
    assert far.nnz == len(lon) + 2  # the diagonal, and Paris–Ajaccio both ways
    assert np.isnan(to_metric([np.nan], [45.0])).all()
