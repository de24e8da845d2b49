"""The grid radius search (indicators/engine/grid.py) against a brute-force search of every pair."""

import numpy as np
import pytest

from indicators.engine import Catchment, StraightLineTimes, step_weights
from indicators.engine.times import TERRITORY_OFFSET_M, minutes_per_metre


def points(seed=0, n=600):
    """Communes over 300 km, a second territory 10,000 km away, shared points, and points on the
    grid's cell boundaries (multiples of the 20-minute radius from the lowest point)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 300_000, size=(n, 2)) + [700_000, 6_600_000]
    overseas = rng.uniform(0, 60_000, size=(40, 2)) + [TERRITORY_OFFSET_M * 3, 7_650_000]
    radius = 20.0 / minutes_per_metre(1.3, 60.0)
    low = np.array([xy[:, 0].min(), overseas[:, 1].min()])
    on_edges = low + np.array([[radius, radius], [2 * radius, radius], [radius, 3 * radius]])
    shared = xy[:5].copy()
    return np.vstack([xy, overseas, on_edges, shared])


def brute(xy, max_minutes, columns=None, detour=1.3, speed=60.0):
    diff = xy[:, None, :] - xy[None, :, :]
    minutes = np.sqrt((diff**2).sum(axis=2)) * minutes_per_metre(detour, speed)
    reach = minutes <= max_minutes
    if columns is not None:
        wanted = np.zeros(len(xy), dtype=bool)
        wanted[columns] = True
        reach &= wanted[None, :]
    rows, cols = np.nonzero(reach)
    return {(int(i), int(j)): minutes[i, j] for i, j in zip(rows, cols, strict=True)}


def as_dict(rows, cols, values):
    return {(int(i), int(j)): v for i, j, v in zip(rows, cols, values, strict=True)}


@pytest.mark.parametrize("max_minutes", [20.0, 7.5, 45.0, 0.05])
@pytest.mark.parametrize("pruned", [False, True])
def test_pairs_equal_brute_force(max_minutes, pruned):
    xy = points()
    columns = np.arange(0, len(xy), 3) if pruned else None
    got = as_dict(*StraightLineTimes(xy).pair_arrays(max_minutes, columns))
    expected = brute(xy, max_minutes, columns)
    assert set(got) == set(expected)
    assert len(got) > len(xy) // (3 if pruned else 1)  # self pairs at least
    for key, minutes in expected.items():
        assert got[key] == pytest.approx(minutes, rel=1e-12, abs=1e-9)
    assert all(got[(i, i)] == 0.0 for i, _ in got if (i, i) in got)  # a commune to itself: 0 min


@pytest.mark.parametrize("closed", ["left", "right"])
def test_weights_equal_step_weights_of_brute_force(closed):
    xy = points(seed=1)
    steps = ((10.0, 1.0), (15.0, 0.0), (20.0, 1 / 3))  # a zero step: those pairs are left out
    columns = np.arange(1, len(xy), 2)
    catchment = Catchment.build(StraightLineTimes(xy), steps=steps, closed=closed, columns=columns)
    coo = catchment.weights.tocoo()
    got = as_dict(coo.row, coo.col, coo.data)
    pairs = brute(xy, 20.0, columns)
    minutes = np.array(list(pairs.values()))
    weights = step_weights(minutes, steps, closed)
    inside = minutes < 20.0 if closed == "left" else minutes <= 20.0
    keep = inside & (weights > 0)
    expected = {k: w for k, w, kept in zip(pairs, weights, keep, strict=True) if kept}
    assert got == pytest.approx(expected, abs=0)
    assert any(w == 1 / 3 for w in got.values()) and 0.0 not in got.values()


def test_duplicated_and_unsorted_columns_are_one_set():
    xy = points(seed=2)
    times = StraightLineTimes(xy)
    once = as_dict(*times.pair_arrays(20.0, np.array([5, 9, 40])))
    twice = as_dict(*times.pair_arrays(20.0, np.array([40, 5, 9, 9, 5])))
    assert once == twice
    with pytest.raises(ValueError, match="indices must be in"):
        times.pair_arrays(20.0, np.array([len(xy)]))


def test_rows_come_in_order_with_columns_of_the_row():
    xy = points(seed=3)
    matrix = StraightLineTimes(xy).pairs_within(20.0)
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    expected = brute(xy, 20.0)
    assert {(int(i), int(j)) for i, j in zip(rows, matrix.indices, strict=True)} == set(expected)
    matrix.sort_indices()  # a canonical copy compares equal
    assert matrix.has_canonical_format
