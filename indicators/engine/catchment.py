"""The APL catchment: E2SFCA with step weights, as two sparse products (numpy, scipy; no Django).

APL (accessibilité potentielle localisée, DREES/IRDES) is an enhanced two-step floating catchment
area (E2SFCA) indicator. With ``w_ij`` the step weight of the travel time from commune ``i``
(demand, residents) to commune ``j`` (supply, care):

* step 1, for each supply commune: ``R_j = S_j / Σ_i w_ij D_i`` (0 when the denominator is 0);
* step 2, for each demand commune: ``A_i = Σ_j w_ij R_j``.

The weight matrix ``W`` is built once per run (:meth:`Catchment.build`); then ``apl`` is
``W @ (S / (Wᵀ @ D))``. The result is in supply units per demand unit (e.g. GP FTE per
inhabitant, or consultations per inhabitant): scale it (× 100,000) in the caller.

Boundary convention (``closed``): the DREES/IRDES method states the steps as "offre à moins de
10 minutes → 1, de 10 à 15 minutes → 2/3, de 15 à 20 minutes → 1/3, au-delà → 0" on road times
counted in whole minutes (Metric/Odomatrix distancier), i.e. 0–9 min, 10–14 min, 15–19 min. We
read that as intervals closed on the left: ``[0, 10) → 1, [10, 15) → 2/3, [15, 20) → 1/3,
[20, ∞) → 0`` — a pair at exactly 10 minutes weighs 2/3 and a pair at exactly 20 minutes is
outside the catchment. This is the default ``closed="left"`` (a run parameter, stored in
``Catchment.params``). PySAL ``access.weights.step_fn`` closes steps on the right (``t <= 10 → 1``)
and its ``max_cost`` keeps ``t <= max_cost``; ``closed="right"`` reproduces it exactly (the tests
and the benchmark compare with PySAL that way). With straight-line estimates times are real
numbers and almost never fall on a bound, so the choice only matters for imported matrices.
"""

from __future__ import annotations

import threading

import numpy as np
from scipy import sparse

from indicators.engine.times import csr_keep_zeros, sorted_indices

DEFAULT_STEPS = ((10.0, 1.0), (15.0, 2 / 3), (20.0, 1 / 3))  # (upper bound in minutes, weight)
DEFAULT_MAX_MINUTES = 20.0
CLOSED_CHOICES = ("left", "right")

# What-if: beyond this many changed supply communes, one full sparse product beats column updates.
WHATIF_COLUMN_LIMIT = 512


def normalise_steps(steps) -> tuple[tuple[float, float], ...]:
    """Steps as a sorted tuple of ``(upper bound, weight)`` floats; refuses bad input."""
    items = steps.items() if isinstance(steps, dict) else steps
    out = tuple(sorted((float(b), float(w)) for b, w in items))
    if not out:
        raise ValueError("steps must not be empty")
    bounds = [b for b, _ in out]
    if len(set(bounds)) != len(bounds):
        raise ValueError("step bounds must be distinct")
    if any(b <= 0 or not np.isfinite(b) for b in bounds):
        raise ValueError("step bounds must be positive minutes")
    if any(w < 0 or not np.isfinite(w) for _, w in out):
        raise ValueError("step weights must be >= 0")
    return out


def step_weights(minutes, steps=DEFAULT_STEPS, closed: str = "left") -> np.ndarray:
    """Vectorised step weight of each travel time (0 beyond the last bound)."""
    if closed not in CLOSED_CHOICES:
        raise ValueError(f"closed must be one of {CLOSED_CHOICES}")
    steps = normalise_steps(steps)
    bounds = np.array([b for b, _ in steps])
    weights = np.array([w for _, w in steps] + [0.0])
    # left-closed: first bound strictly greater than t; right-closed: first bound >= t.
    side = "right" if closed == "left" else "left"
    return weights[np.searchsorted(bounds, np.asarray(minutes, dtype=float), side=side)]


def _check_vector(name: str, values, n: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    if values.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), not {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{name} must be finite")
    if (values < 0).any():
        raise ValueError(f"{name} must be >= 0")
    return values


class Catchment:
    """Step-weighted catchment of every demand commune, built once per computation run."""

    def __init__(self, weights: sparse.csr_matrix, params: dict | None = None, grow=None, built=None):
        self.weights = weights.tocsr()
        self._weights_t = None  # rows = supply communes, built when a what-if first needs it
        self.n_demand, self.n_supply = self.weights.shape
        self.params = dict(params or {})
        self._base = None  # (supply, demand, denominators, ratios, apl) of the last apl() call
        # A pruned catchment holds only the columns of communes with supply; ``grow(columns)``
        # returns the (rows, cols, weights) of other columns when a what-if needs them.
        self._grow = grow
        self.built = built  # boolean mask of the built columns (None: all of them)
        self._lock = threading.Lock()

    @classmethod
    def build(
        cls,
        times,
        max_minutes: float = DEFAULT_MAX_MINUTES,
        steps=DEFAULT_STEPS,
        closed: str = "left",
        columns=None,
    ) -> Catchment:
        """Weights of every pair within the catchment from a times provider (``pair_arrays``).

        Pairs at or beyond ``max_minutes`` (``closed="left"``), or beyond it (``"right"``), and
        pairs of weight 0 are left out. With ``columns`` (the communes with supply), only the
        pairs reaching them are built: the APL is the same (a column without supply adds 0), and
        :meth:`ensure_columns` adds another column when a what-if puts supply there.
        """
        steps = normalise_steps(steps)
        if closed not in CLOSED_CHOICES:
            raise ValueError(f"closed must be one of {CLOSED_CHOICES}")
        n = times.n

        def weighted(cols_wanted):
            rows, cols, minutes = times.pair_arrays(max_minutes, cols_wanted)
            w = step_weights(minutes, steps, closed)
            inside = minutes < max_minutes if closed == "left" else minutes <= max_minutes
            keep = inside & (w > 0)
            return rows[keep], cols[keep], w[keep]

        built = None
        if columns is not None:
            columns = sorted_indices(columns, n)
            built = np.zeros(n, dtype=bool)
            built[columns] = True
        if hasattr(times, "weights_csr"):  # search and weights in one compiled pass
            bounds = np.array([b for b, _ in steps])
            values = np.array([w for _, w in steps] + [0.0])
            weights = times.weights_csr(max_minutes, bounds, values, closed, columns)
        else:
            rows, cols, w = weighted(columns)
            weights = csr_keep_zeros(n, n, rows, cols, w)
        params = {
            **getattr(times, "params", {}),
            "max_minutes": float(max_minutes),
            "steps": [list(s) for s in steps],
            "closed": closed,
            "pairs": int(weights.nnz),
        }
        if columns is not None:
            params["pruned_to_columns"] = int(len(columns))
        return cls(weights, params, grow=weighted, built=built)

    def ensure_columns(self, columns) -> np.ndarray:
        """Build the columns of a pruned catchment that are missing (a what-if adding supply in a
        commune that had none): the catchment grows by those columns, it is not rebuilt. Returns
        the indices that were added."""
        if self.built is None or self._grow is None:
            return np.zeros(0, dtype=np.int64)
        columns = sorted_indices(columns, self.n_supply)
        with self._lock:
            missing = columns[~self.built[columns]]
            if not len(missing):
                return missing
            rows, cols, w = self._grow(missing)
            extra = csr_keep_zeros(self.n_demand, self.n_supply, rows, cols, w)
            self.weights = (self.weights + extra).tocsr()
            self._weights_t = None
            self.built[missing] = True
            self.params["pairs"] = int(self.weights.nnz)
            if self._base is not None:  # the new columns' denominators, for whatif()
                supply, demand, denominators, ratios, apl = self._base
                denominators = denominators.copy()
                denominators[missing] = self.weights_t[missing] @ demand
                self._base = (supply, demand, denominators, ratios, apl)
            return missing

    def _transpose_product(self, demand) -> np.ndarray:
        return self.weights.T @ demand  # a CSC view of W: no transposed copy

    @property
    def weights_t(self) -> sparse.csr_matrix:
        """``Wᵀ`` as CSR (a column of ``W`` per row), for the column updates of :meth:`whatif`."""
        if self._weights_t is None:
            self._weights_t = self.weights.T.tocsr()
        return self._weights_t

    @property
    def n_pairs(self) -> int:
        return int(self.weights.nnz)

    def denominators(self, demand) -> np.ndarray:
        """Weighted demand reaching each supply commune: ``Σ_i w_ij D_i``."""
        demand = _check_vector("demand", demand, self.n_demand)
        return self._transpose_product(demand)

    def apl(self, supply, demand) -> np.ndarray:
        """E2SFCA accessibility of every demand commune (raw ratio, supply units per demand unit)."""
        supply = _check_vector("supply", supply, self.n_supply)
        demand = _check_vector("demand", demand, self.n_demand)
        denominators = self._transpose_product(demand)
        ratios = np.zeros(self.n_supply)
        np.divide(supply, denominators, out=ratios, where=denominators > 0)
        result = self.weights @ ratios
        self._base = (supply.copy(), demand.copy(), denominators, ratios, result)
        return result.copy()

    def _base_for(self, supply, demand):
        base = self._base
        if base is not None:
            s, d = np.asarray(supply), np.asarray(demand)
            if (
                s.shape == base[0].shape
                and d.shape == base[1].shape
                and np.array_equal(s, base[0])
                and np.array_equal(d, base[1])
            ):
                return base
        self.apl(supply, demand)
        return self._base

    def whatif(self, supply, demand, changes: dict[int, float]) -> np.ndarray:
        """APL after adding ``delta`` supply at some communes (``{index: delta}``; negative removes).

        Supply never goes below 0 (removing more than there is removes what there is). Demand is
        unchanged, so the denominators of the base run stay valid and only the columns of the
        changed communes are touched: ``A' = A + Σ_j W[:, j] · ΔS_j / denom_j``. The base
        (denominators, APL) is cached from the last :meth:`apl` call with the same inputs and
        recomputed once otherwise. Supply added where no demand reaches (denominator 0) is lost,
        as in :meth:`apl`.
        """
        self._base_for(supply, demand)
        if changes:
            self.ensure_columns([int(k) for k in changes.keys() if 0 <= int(k) < self.n_supply])
        supply_base, _, denominators, _, apl_base = self._base
        result = apl_base.copy()
        if not changes:
            return result
        index = np.fromiter((int(k) for k in changes.keys()), dtype=np.int64, count=len(changes))
        delta = np.fromiter((float(v) for v in changes.values()), dtype=float, count=len(changes))
        if (index < 0).any() or (index >= self.n_supply).any():
            raise ValueError(f"change indices must be in [0, {self.n_supply})")
        if not np.isfinite(delta).all():
            raise ValueError("changes must be finite")
        effective = np.maximum(supply_base[index] + delta, 0.0) - supply_base[index]
        denom = denominators[index]
        d_ratio = np.zeros(len(index))
        np.divide(effective, denom, out=d_ratio, where=denom > 0)
        if len(index) > WHATIF_COLUMN_LIMIT:
            full = np.zeros(self.n_supply)
            full[index] = d_ratio
            result += self.weights @ full
            return result
        transposed = self.weights_t  # one matrix, even if a concurrent what-if grows the catchment
        indptr, indices, data = transposed.indptr, transposed.indices, transposed.data
        for j, dr in zip(index, d_ratio, strict=True):
            if dr != 0.0:
                start, end = indptr[j], indptr[j + 1]
                result[indices[start:end]] += data[start:end] * dr
        return result
