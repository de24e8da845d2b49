"""The engine's APL against PySAL ``access`` (E2SFCA with step weights) on small inputs.

PySAL ``weights.step_fn`` closes its steps on the right (``t <= 10 → 1``) and ``max_cost`` keeps
``t <= max_cost``: the engine's ``closed="right"`` must reproduce it exactly. With whole-minute
times, the engine's DREES convention (``closed="left"``) equals PySAL with every bound moved
half a minute down.

PySAL divides by zero where supply sits in a commune no demand reaches (inf); the engine counts
that supply as reaching nobody (0). The inputs below keep every supplied commune reachable by some
demand, so both must agree everywhere.
"""

import numpy as np
import pandas as pd
import pytest
from access import Access, weights

from indicators.engine import Catchment, MatrixTimes, StraightLineTimes, csr_pair_arrays

RTOL = 1e-9


def pysal_e2sfca(times, max_minutes, steps: dict, supply, demand):
    rows, cols, minutes = csr_pair_arrays(times.pairs_within(max_minutes + 1.0))
    n = len(supply)
    cost = pd.DataFrame({"origin": rows, "dest": cols, "cost": minutes})
    demand_df = pd.DataFrame({"geoid": np.arange(n), "pop": demand})
    supply_df = pd.DataFrame({"geoid": np.arange(n), "doc": supply})
    model = Access(
        demand_df=demand_df,
        demand_index="geoid",
        demand_value="pop",
        supply_df=supply_df,
        supply_index="geoid",
        supply_value="doc",
        cost_df=cost,
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    result = model.enhanced_two_stage_fca(
        name="e2sfca", weight_fn=weights.step_fn(steps), max_cost=max_minutes
    )
    return result["e2sfca_doc"].reindex(np.arange(n)).fillna(0.0).to_numpy()


def inputs(seed, n=120):
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 45_000, size=(n, 2))
    xy[1] = xy[0]  # a shared point
    demand = rng.integers(100, 10_000, n).astype(float)
    demand[rng.random(n) < 0.1] = 0.0  # communes without demand (still reached by neighbours)
    supply = np.where(rng.random(n) < 0.5, 0.0, rng.integers(1, 20, n).astype(float))
    return xy, supply, demand


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_apl_agrees_with_pysal_access_on_straight_line_times(seed):
    xy, supply, demand = inputs(seed)
    times = StraightLineTimes(xy)
    catchment = Catchment.build(times, closed="right")
    assert (catchment.denominators(demand)[supply > 0] > 0).all()
    ours = catchment.apl(supply, demand)
    theirs = pysal_e2sfca(times, 20.0, {10: 1, 15: 2 / 3, 20: 1 / 3}, supply, demand)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=0)
    # Real-valued times almost never fall on a bound: both conventions agree here.
    np.testing.assert_allclose(Catchment.build(times).apl(supply, demand), ours, rtol=RTOL)


@pytest.mark.parametrize("seed", [3, 4])
def test_apl_agrees_with_pysal_access_on_whole_minutes_with_both_conventions(seed):
    rng = np.random.default_rng(seed)
    n = 80
    o, d = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    upper = o < d
    o, d = o[upper], d[upper]
    keep = rng.random(len(o)) < 0.3
    o, d = o[keep], d[keep]
    minutes = rng.integers(1, 25, len(o)).astype(float)
    both = (np.concatenate([o, d]), np.concatenate([d, o]), np.concatenate([minutes, minutes]))
    times = MatrixTimes(n, *both)
    supply = np.where(rng.random(n) < 0.5, 0.0, rng.integers(1, 8, n).astype(float))
    demand = rng.integers(1, 5_000, n).astype(float)  # every commune has demand
    assert {10.0, 15.0, 20.0} <= set(minutes)

    right = Catchment.build(times, closed="right").apl(supply, demand)
    theirs = pysal_e2sfca(times, 20.0, {10: 1, 15: 2 / 3, 20: 1 / 3}, supply, demand)
    np.testing.assert_allclose(right, theirs, rtol=RTOL, atol=0)

    left = Catchment.build(times).apl(supply, demand)  # DREES: [0, 10) → 1, [10, 15) → 2/3 …
    theirs_shifted = pysal_e2sfca(times, 19.5, {9.5: 1, 14.5: 2 / 3, 19.5: 1 / 3}, supply, demand)
    np.testing.assert_allclose(left, theirs_shifted, rtol=RTOL, atol=0)
    assert not np.allclose(left, right)  # the convention matters on whole minutes
