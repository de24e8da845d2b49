"""Planning on the official APL scale: where new GPs help most, a greedy plan for N GPs, the need
of a territory (LP lower bound, greedy upper bound, exact minimum by integer programming).

Pure numpy / scipy (HiGHS through ``scipy.optimize.linprog`` and ``milp``), no Django.

APL is linear in supply: adding ``Δs`` consultations a year in commune ``c`` adds
``ΔA_i = W_ic · Δs / D_c`` to every commune ``i`` of its catchment (``D_c = Σ_k W_kc · P̃_k``, the
standardised demand around ``c``), exactly the official what-if. The *effect matrix* ``E`` holds,
for each candidate ``c`` (a row), the effect of one GP (``per_gp`` consultations) on each commune
it reaches; scoring every candidate at once is then one pass over its non-zeros.

Scores of a candidate (``k`` GPs there), for the threshold ``T`` (2.5, « sous-dense »):

* deficit reduction ``Σ_i pop_i · min(k·E_ci, max(0, T − A_i))`` (the default score);
* population lifted above ``T`` and above the fragile threshold (4.0);
* communes whose class changes; population-weighted mean APL gain inside the zone.

Each is given inside the zone and in total (effects spill over its borders). ``pop`` is the total
(not standardised) population, the DREES rule for counting people under a threshold; the mean gain
is weighted by the standardised population, its rule for means. Communes without a published APL
(``NaN``) count in the demand, never in a deficit.
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np
from numba import njit
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

UNDERSERVED, FRAGILE = 2.5, 4.0
MAX_NEED = 500  # the greedy need stops there: « more than 500 GPs »
TOLERANCE = 1e-9


@dataclasses.dataclass
class Problem:
    """The arrays of a planning request. ``weights_t``: ``Wᵀ`` as CSR (row ``j`` = the communes
    reached from ``j`` and their step weights); vectors are indexed by atom; ``candidates``: atom
    indices (sorted, unique); ``zone``: boolean mask of the zone's atoms."""

    weights_t: sparse.csr_matrix
    apl: np.ndarray
    population: np.ndarray
    ptilde: np.ndarray
    demand_around: np.ndarray
    zone: np.ndarray
    candidates: np.ndarray
    per_gp: float = 5400.0
    threshold: float = UNDERSERVED  # the deficit and the need are counted against it
    underserved: float = UNDERSERVED  # « population lifted » thresholds
    fragile: float = FRAGILE

    def __post_init__(self):
        self.candidates = np.asarray(self.candidates, dtype=np.int64)
        n_atoms = self.weights_t.shape[0]
        every = len(self.candidates) == n_atoms and (self.candidates == np.arange(n_atoms)).all()
        self.sub = self.weights_t if every else self.weights_t[self.candidates]  # all of them: no copy
        demand = self.demand_around[self.candidates]
        # effect of one GP: ΔA_i = W_ic · scale_c, scale_c = per_gp / D_c (0 where no demand reaches c)
        self.scale = np.zeros(len(self.candidates))
        np.divide(self.per_gp, demand, out=self.scale, where=demand > 0)
        self.known = ~np.isnan(self.apl)
        self.zone_ptilde = float(self.ptilde[self.zone].sum())
        self._effects = None

    @property
    def effects(self) -> sparse.csr_matrix:
        """``E``: candidates × atoms, the effect of one GP (built when first needed)."""
        if self._effects is None:
            sub = self.sub
            self._effects = sparse.csr_matrix(
                (sub.data * np.repeat(self.scale, np.diff(sub.indptr)), sub.indices, sub.indptr),
                shape=sub.shape,
            )
        return self._effects

    @property
    def n(self) -> int:
        return len(self.candidates)

    def gaps(self, apl=None, threshold=None) -> np.ndarray:
        """``max(0, T − A)`` per atom (0 where no APL is published)."""
        apl = self.apl if apl is None else apl
        threshold = self.threshold if threshold is None else threshold
        return np.where(self.known, np.maximum(0.0, threshold - np.nan_to_num(apl, nan=threshold)), 0.0)


RANK_KEYS = (
    "deficit_total",
    "deficit_zone",
    "lifted_total",
    "lifted_zone",
    "lifted_fragile_total",
    "lifted_fragile_zone",
    "changed_total",
    "changed_zone",
    "population_reached",
    "mean_gain_zone",
)


@njit(cache=True, nogil=True)
def _rank_kernel(indptr, indices, data, scale, gps, gap, under, under_fragile, pop, zone, ptilde_zone):
    """One pass over the non-zeros: every score of every candidate (columns in ``RANK_KEYS``)."""
    n = len(indptr) - 1
    out = np.zeros((n, 10))
    for c in range(n):
        factor = scale[c] * gps
        d_all = d_in = l_all = l_in = f_all = f_in = ch_all = ch_in = reached = gain = 0.0
        for k in range(indptr[c], indptr[c + 1]):
            i = indices[k]
            e = data[k] * factor
            p = pop[i]
            reduction = p * min(e, gap[i])
            is_lifted = under[i] > 0.0 and e >= under[i]
            is_fragile = under_fragile[i] > 0.0 and e >= under_fragile[i]
            changed = 1.0 if (is_lifted or is_fragile) else 0.0
            lifted = p if is_lifted else 0.0
            fragile = p if is_fragile else 0.0
            d_all += reduction
            l_all += lifted
            f_all += fragile
            ch_all += changed
            reached += p
            gain += e * ptilde_zone[i]
            if zone[i]:
                d_in += reduction
                l_in += lifted
                f_in += fragile
                ch_in += changed
        out[c, 0], out[c, 1], out[c, 2], out[c, 3], out[c, 4] = d_all, d_in, l_all, l_in, f_all
        out[c, 5], out[c, 6], out[c, 7], out[c, 8], out[c, 9] = f_in, ch_all, ch_in, reached, gain
    return out


@njit(cache=True, nogil=True)
def _deficit_kernel(indptr, indices, data, scale, weight, gap):
    """``Σ_i weight_i · min(E_ci, gap_i)`` of every candidate (one GP each)."""
    n = len(indptr) - 1
    out = np.zeros(n)
    for c in range(n):
        total = 0.0
        for k in range(indptr[c], indptr[c + 1]):
            i = indices[k]
            total += weight[i] * min(data[k] * scale[c], gap[i])
        out[c] = total
    return out


def rank(problem: Problem, gps: float = 1.0, apl=None) -> dict[str, np.ndarray]:
    """Every score of every candidate for ``gps`` GPs there, in one pass over the non-zeros
    (compiled loop). Returns arrays aligned with ``problem.candidates``."""
    p = problem
    apl = p.apl if apl is None else apl
    sub = p.sub
    table = _rank_kernel(
        sub.indptr,
        sub.indices,
        sub.data,
        p.scale,
        float(gps),
        p.gaps(apl),
        p.gaps(apl, p.underserved),
        p.gaps(apl, p.fragile),
        p.population,
        p.zone,
        p.ptilde * p.zone,
    )
    out = {key: table[:, k] for k, key in enumerate(RANK_KEYS)}
    out["mean_gain_zone"] = (
        out["mean_gain_zone"] / p.zone_ptilde if p.zone_ptilde else out["mean_gain_zone"] * 0
    )
    return out


def deficit_scores(problem: Problem, gap, weight=None) -> np.ndarray:
    sub = problem.sub
    weight = problem.population if weight is None else weight
    return _deficit_kernel(sub.indptr, sub.indices, sub.data, problem.scale, weight, gap)


def order(scores: dict, key: str = "deficit_total") -> np.ndarray:
    """Candidates best first by ``key`` (ties keep the candidates' order: INSEE code)."""
    return np.argsort(-scores[key], kind="stable")


@dataclasses.dataclass
class Plan:
    steps: list[int]  # candidate positions, one GP each
    gains: list[float]  # deficit reduction of each step
    under: list[float]  # population under the threshold (zone) after 0, 1, … steps
    under_total: list[float]
    apl: np.ndarray  # APL of every atom after the plan
    objective: float  # total deficit reduction
    milliseconds: float
    status: str = "ok"  # ok | over (more than the limit) | stalled (nothing more can be gained)

    def counts(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for s in self.steps:
            out[s] = out.get(s, 0) + 1
        return out


def greedy(problem: Problem, n: int, cap: int | None = None, target=None, limit: int = MAX_NEED) -> Plan:
    """One GP at a time at the candidate whose deficit reduction is largest, the APL updated by the
    linear delta after each step; at most ``cap`` GPs per candidate.

    ``target`` (a boolean mask of atoms): the need mode — the reduction counts only on those
    atoms (each weighing at least 1, so that an empty commune is not forgotten) and the plan stops
    when all of them reach the threshold, or at ``limit`` GPs (status ``over``)."""
    start = time.perf_counter()
    apl = problem.apl.copy()
    effects = problem.effects
    cols, data, indptr = effects.indices, effects.data, effects.indptr
    weight = problem.population
    if target is not None:
        weight = np.where(target, np.maximum(weight, 1.0), 0.0)
        n = limit
    gap = problem.gaps(apl)
    placed = np.zeros(problem.n, dtype=np.int64)
    under = problem.known & (np.nan_to_num(apl, nan=np.inf) < problem.threshold - TOLERANCE)
    under_zone = float(problem.population[under & problem.zone].sum())
    under_total = float(problem.population[under].sum())
    plan = Plan([], [], [under_zone], [under_total], apl, 0.0, 0.0)
    status = "ok"
    while len(plan.steps) < n:
        if target is not None and not (gap[target] > TOLERANCE).any():
            break
        scores = deficit_scores(problem, gap, weight)
        if cap is not None:
            scores[placed >= cap] = -1.0
        best = int(np.argmax(scores)) if problem.n else -1
        if best < 0 or scores[best] <= 0:
            status = "stalled"
            break
        rows = cols[indptr[best] : indptr[best + 1]]
        effect = data[indptr[best] : indptr[best + 1]]
        reduction = problem.population[rows] * np.minimum(effect, gap[rows])
        apl[rows] += effect
        gap[rows] = np.maximum(0.0, gap[rows] - effect)
        placed[best] += 1
        plan.steps.append(best)
        plan.gains.append(float(reduction.sum()))
        lifted = rows[under[rows] & (apl[rows] >= problem.threshold - TOLERANCE)]  # updated in place
        under[lifted] = False
        under_zone -= float(problem.population[lifted[problem.zone[lifted]]].sum())
        under_total -= float(problem.population[lifted].sum())
        plan.under.append(under_zone)
        plan.under_total.append(under_total)
    if target is not None and (gap[target] > TOLERANCE).any() and status == "ok":
        status = "over"
    plan.status = status
    plan.apl = apl
    plan.objective = float(sum(plan.gains))
    plan.milliseconds = (time.perf_counter() - start) * 1000
    return plan


def deficit_reduction(problem: Problem, counts: dict[int, int]) -> float:
    """Total deficit reduction of a placement ``{candidate position: GPs}``."""
    return float((problem.population * np.minimum(effect_of(problem, counts), problem.gaps())).sum())


def apply(problem: Problem, counts: dict[int, int]) -> np.ndarray:
    """The APL of every atom after a placement (the official APL for an empty one)."""
    return problem.apl + effect_of(problem, counts)


def effect_of(problem: Problem, counts: dict[int, int]) -> np.ndarray:
    x = np.zeros(problem.n)
    for c, k in counts.items():
        x[c] = k
    return problem.effects.T @ x


# --- The need: how many GPs so that every commune of the zone reaches the threshold -------------


@dataclasses.dataclass
class Need:
    target: np.ndarray  # atoms to lift (zone, under the threshold, reachable)
    unreachable: np.ndarray  # atoms of the zone under the threshold that no candidate reaches
    lower: int | None  # LP relaxation, rounded up
    lp_value: float | None
    lp_milliseconds: float
    greedy: Plan | None
    upper: int | None  # greedy count (None: more than the limit)
    status: str  # met | nothing (already met) | over | infeasible


def need_target(problem: Problem) -> tuple[np.ndarray, np.ndarray]:
    """(target mask, unreachable atom indices): the zone's communes under the threshold, split by
    whether any candidate reaches them."""
    under = problem.zone & (problem.gaps() > TOLERANCE)
    reached = np.zeros(len(problem.apl), dtype=bool)
    reached[problem.effects.indices[problem.effects.data > 0]] = True
    return under & reached, np.flatnonzero(under & ~reached)


def _target_matrix(problem, target):
    rows = np.flatnonzero(target)
    matrix = problem.effects.T.tocsr()[rows]  # target atoms × candidates
    return rows, matrix, problem.gaps()[rows]


def need_lp(problem: Problem, target, cap=None) -> tuple[float | None, float]:
    """LP relaxation of « minimise Σ x_c such that A_i + Σ_c x_c·E_ci ≥ T for every target atom »
    (HiGHS). Returns (optimal value or None when infeasible, milliseconds)."""
    start = time.perf_counter()
    rows, matrix, gap = _target_matrix(problem, target)
    if not len(rows):
        return 0.0, 0.0
    result = linprog(np.ones(problem.n), A_ub=-matrix, b_ub=-gap, bounds=(0, cap), method="highs")
    value = float(result.fun) if result.status == 0 else None
    return value, (time.perf_counter() - start) * 1000


def need(problem: Problem, cap=None, limit: int = MAX_NEED) -> Need:
    """Both bounds of the need at once: LP relaxation (lower) and greedy count (upper)."""
    target, unreachable = need_target(problem)
    if not target.any():
        status = "nothing" if not len(unreachable) else "infeasible"
        return Need(target, unreachable, 0, 0.0, 0.0, None, 0, status)
    lp_value, lp_ms = need_lp(problem, target, cap)
    plan = greedy(problem, limit, cap=cap, target=target, limit=limit)
    upper = len(plan.steps) if plan.status == "ok" else None
    lower = None if lp_value is None else max(1, math.ceil(lp_value - 1e-6))
    if lp_value is None or plan.status == "stalled":  # a cap per commune can make it unreachable
        status = "infeasible"
    elif upper is None:
        status = "over"
    else:
        status = "met"
    return Need(target, unreachable, lower, lp_value, lp_ms, plan, upper, status)


# --- Exact answers (integer programs, HiGHS) -----------------------------------------------------


@dataclasses.dataclass
class Exact:
    status: str  # optimal | time_limit | infeasible | error
    objective: float | None  # best solution found
    bound: float | None  # proven bound (lower for the need, upper for the plan)
    gap: float | None  # relative gap, 0 when proven optimal
    counts: dict[int, int]  # candidate position → GPs
    seconds: float
    message: str = ""


def _exact(result, start, sign=1.0) -> Exact:
    seconds = time.perf_counter() - start
    if result.x is None:
        status = "infeasible" if result.status == 2 else "time_limit" if result.status == 1 else "error"
        return Exact(status, None, None, None, {}, seconds, str(result.message))
    status = "optimal" if result.status == 0 else "time_limit"
    bound = getattr(result, "mip_dual_bound", None)
    gap = getattr(result, "mip_gap", None)
    if status == "optimal":
        gap = 0.0 if gap is None or gap < 1e-6 else gap
    return Exact(
        status,
        sign * float(result.fun),
        None if bound is None else sign * float(bound),
        None if gap is None else float(gap),
        {},
        seconds,
        str(result.message),
    )


def exact_need(problem: Problem, time_limit: float = 60.0, cap=None) -> Exact:
    """Minimum number of GPs such that every reachable commune of the zone reaches the threshold."""
    start = time.perf_counter()
    target, _ = need_target(problem)
    rows, matrix, gap = _target_matrix(problem, target)
    if not len(rows):
        return Exact("optimal", 0.0, 0.0, 0.0, {}, 0.0)
    result = milp(
        np.ones(problem.n),
        constraints=LinearConstraint(matrix, lb=gap, ub=np.inf),
        integrality=np.ones(problem.n),
        bounds=Bounds(0, np.inf if cap is None else cap),
        options={"time_limit": float(time_limit), "mip_rel_gap": 1e-6},
    )
    out = _exact(result, start)
    if out.objective is not None:
        out.counts = _counts(result.x[: problem.n])
        out.objective = float(sum(out.counts.values()))
        if out.bound is not None:
            out.bound = float(math.ceil(out.bound - 1e-6))
    return out


def exact_plan(problem: Problem, n: int, time_limit: float = 60.0, cap=None) -> Exact:
    """The placement of ``n`` GPs maximising the total deficit reduction: maximise Σ pop_i·y_i with
    ``y_i ≤ Σ_c E_ci x_c``, ``0 ≤ y_i ≤ gap_i``, ``Σ x_c ≤ n``, ``x_c`` integer (≤ ``cap``)."""
    start = time.perf_counter()
    gap_all = problem.gaps()
    if n <= 0:
        return Exact("optimal", 0.0, 0.0, 0.0, {}, 0.0)
    reached = np.zeros(len(problem.apl), dtype=bool)
    reached[problem.effects.indices] = True
    rows = np.flatnonzero(reached & (gap_all > TOLERANCE))
    if not len(rows):
        return Exact("optimal", 0.0, 0.0, 0.0, {}, 0.0)
    m, nc = len(rows), problem.n
    matrix = problem.effects.T.tocsr()[rows]  # m × candidates
    link = sparse.hstack([-matrix, sparse.identity(m, format="csr")], format="csr")  # y − E·x ≤ 0
    budget = sparse.hstack([sparse.csr_matrix(np.ones((1, nc))), sparse.csr_matrix((1, m))], format="csr")
    upper_x = float(n if cap is None else min(cap, n))
    result = milp(
        np.concatenate([np.zeros(nc), -problem.population[rows]]),
        constraints=[
            LinearConstraint(link, lb=-np.inf, ub=0.0),
            LinearConstraint(budget, lb=0.0, ub=float(n)),
        ],
        integrality=np.concatenate([np.ones(nc), np.zeros(m)]),
        bounds=Bounds(np.zeros(nc + m), np.concatenate([np.full(nc, upper_x), gap_all[rows]])),
        options={"time_limit": float(time_limit), "mip_rel_gap": 1e-4},
    )
    out = _exact(result, start, sign=-1.0)
    if out.objective is not None:
        out.counts = _counts(result.x[:nc])
        out.objective = deficit_reduction(problem, out.counts)  # recomputed from the placement
    return out


def _counts(x) -> dict[int, int]:
    rounded = np.rint(x).astype(np.int64)
    return {int(c): int(rounded[c]) for c in np.flatnonzero(rounded > 0)}
