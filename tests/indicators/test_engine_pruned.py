"""The pruned catchment (pairs reaching a commune with supply only) on all of France: the same APL
as the full catchment to 1e-12, for the straight-line and an imported-matrix provider; a what-if
adding supply where there was none grows the catchment by that column and equals a rebuild."""

import sys
from pathlib import Path

import numpy as np
import pytest

from indicators.engine import Catchment, MatrixTimes, StraightLineTimes, csr_pair_arrays, to_metric

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def france():
    """Real atoms (COG 2026), points and the SIRENE GP proxy shipped in fixtures/ (no network)."""
    sys.path.insert(0, str(ROOT / "bench"))
    import bench_apl

    bench_apl.SIRENE = ROOT / "fixtures/offers/PS_communes_sirene_2019.csv.gz"
    codes, population, _zone, resolve = bench_apl.load_atoms()
    points = bench_apl.load_points(resolve)
    keep = np.array([c in points for c in codes])
    codes = [c for c, k in zip(codes, keep, strict=True) if k]
    index = {c: k for k, c in enumerate(codes)}
    lonlat = np.array([points[c] for c in codes])
    supply, _ = bench_apl.load_supply(index, resolve)
    return to_metric(lonlat[:, 0], lonlat[:, 1]), supply, population[keep]


def test_pruned_equals_full_on_all_of_france(france):
    xy, supply, population = france
    assert len(xy) > 34_000 and (supply > 0).sum() > 10_000
    times = StraightLineTimes(xy)
    full = Catchment.build(times)
    pruned = Catchment.build(times, columns=np.flatnonzero(supply > 0))
    assert pruned.n_pairs < full.n_pairs / 3
    np.testing.assert_allclose(
        pruned.apl(supply, population), full.apl(supply, population), rtol=0, atol=1e-12
    )
    assert pruned.params["pruned_to_columns"] == (supply > 0).sum()


def test_an_imported_matrix_goes_through_the_same_pruning(france):
    xy, supply, population = france
    head = 4000  # a matrix of the first 4,000 communes' pairs (a distancier's shape)
    rows, cols, minutes = csr_pair_arrays(StraightLineTimes(xy[:head]).pairs_within(25.0))
    matrix = MatrixTimes(head, rows, cols, minutes * 1.07)
    s, d = supply[:head], population[:head]
    full = Catchment.build(matrix)
    pruned = Catchment.build(matrix, columns=np.flatnonzero(s > 0))
    assert pruned.n_pairs < full.n_pairs
    np.testing.assert_allclose(pruned.apl(s, d), full.apl(s, d), rtol=0, atol=1e-12)


def test_whatif_in_a_commune_without_supply_equals_a_rebuild(france):
    xy, supply, population = france
    times = StraightLineTimes(xy)
    pruned = Catchment.build(times, columns=np.flatnonzero(supply > 0))
    pruned.apl(supply, population)
    empty = np.flatnonzero((supply == 0) & (population > 0))
    rng = np.random.default_rng(7)
    for j in rng.choice(empty, size=5, replace=False):
        assert not pruned.built[j]
        after = pruned.whatif(supply, population, {int(j): 4.0})
        assert pruned.built[j]  # the catchment grew by that column
        changed = supply.copy()
        changed[j] += 4.0
        rebuilt = Catchment.build(times, columns=np.flatnonzero(changed > 0)).apl(changed, population)
        np.testing.assert_allclose(after, rebuilt, rtol=0, atol=1e-12)
        assert after[j] > pruned.apl(supply, population)[j]
