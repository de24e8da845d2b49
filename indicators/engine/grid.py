"""Every pair of points within a radius, row by row, by a uniform grid (numba-compiled loop).

The catchment of all of France is a radius search: for each commune (row), every destination
point (column) within ``radius`` metres. A grid of square cells of side ``radius / 2`` holds the
destinations sorted by cell (a counting sort). A row's candidates are, in each of the 5 grid
columns around its own, the run of cells that meets its disc (the rows within the half-chord of
the disc at that column's nearest edge): one contiguous slice of the sorted destinations, no
binary search, no tree. Each candidate is then kept or not by its Euclidean distance. The result
comes out as a CSR matrix in row order, so scipy never converts or sorts it; within a row the
columns come in grid order.

The loop is compiled by numba (``cache=True``: the machine code is kept beside this file, or in
``NUMBA_CACHE_DIR``, and a new process loads it in a fraction of a second instead of compiling
for several seconds). The work is linear in the number of candidates (about twice the pairs kept).

``values_kind`` decides what is stored for a kept pair:

* ``VALUE_MINUTES`` — the estimated minutes ``distance × minutes_per_metre``; pairs with minutes
  ``<= max_minutes`` are kept (the contract of :meth:`StraightLineTimes.pair_arrays`);
* ``VALUE_WEIGHT`` — the step weight of those minutes (``bounds``/``weights``, intervals closed on
  the left or on the right, see :mod:`.catchment`); pairs outside the catchment or of weight 0 are
  left out (what :meth:`Catchment.build` keeps).
"""

from __future__ import annotations

import numpy as np
from numba import njit

VALUE_MINUTES = 0
VALUE_WEIGHT = 1
CELLS_PER_RADIUS = 2
MAX_ROWS = 4096


@njit(cache=True, nogil=True)
def radius_csr(
    xy, targets, radius, minutes_per_metre, max_minutes, bounds, weights, closed_left, values_kind
):
    """``(indptr, indices, values)`` of the ``(len(xy) × len(xy))`` CSR matrix of the pairs (row
    ``i`` of ``xy``, column ``targets[k]``) within ``radius`` metres; see the module docstring for
    ``values_kind``. ``targets`` are indices into ``xy``, strictly increasing. Rows come in order;
    within a row, columns come in grid order (not sorted)."""
    n = xy.shape[0]
    m = targets.size
    indptr = np.zeros(n + 1, dtype=np.int64)
    if n == 0 or m == 0:
        return indptr, np.zeros(0, dtype=np.int32), np.zeros(0)
    x0, y0, side, reach, cx, cy, rows_per_column, dense = _grid(xy, targets, radius)
    cell_start, tx, ty, tj = _targets_by_cell(xy, targets, cx, cy, dense, rows_per_column)
    run_start, run_end, total = _candidate_runs(
        xy, cx, dense, cell_start, x0, y0, side, reach, radius, rows_per_column
    )
    indices = np.empty(total, dtype=np.int32)
    values = np.empty(total)
    at = _pairs_within(
        xy,
        tx,
        ty,
        tj,
        run_start,
        run_end,
        radius,
        minutes_per_metre,
        max_minutes,
        bounds,
        weights,
        closed_left,
        values_kind,
        indptr,
        indices,
        values,
    )
    return indptr, indices[:at].copy(), values[:at].copy()


@njit(cache=True, nogil=True)
def _grid(xy, targets, radius):
    """Cells of side radius / CELLS_PER_RADIUS (larger when the radius is tiny against the extent,
    so that a grid column holds at most MAX_ROWS cells). Grid columns span a long range (the
    territories are 10,000 km apart) but a table of one int per column is small: only the
    columns holding destinations get a dense number, a cell is ``dense column × rows_per_column
    + row``, and the cells of one column that a disc reaches are one contiguous run of the
    destinations sorted by cell."""
    n = xy.shape[0]
    m = targets.size
    x0 = xy[:, 0].min()
    y0 = xy[:, 1].min()
    side = max(radius / CELLS_PER_RADIUS, (xy[:, 1].max() - y0) / MAX_ROWS)
    inverse = 1.0 / side
    reach = np.int64(np.ceil(radius * inverse))  # grid columns a disc reaches on either side
    cx = np.empty(n, dtype=np.int64)
    cy = np.empty(n, dtype=np.int64)
    for i in range(n):
        cx[i] = np.int64(np.floor((xy[i, 0] - x0) * inverse))
        cy[i] = np.int64(np.floor((xy[i, 1] - y0) * inverse))
    rows_per_column = cy.max() + 1
    dense = np.full(cx.max() + 1, -1, dtype=np.int64)
    for k in range(m):
        dense[cx[targets[k]]] = 0
    columns = 0
    for c in range(dense.size):
        if dense[c] == 0:
            dense[c] = columns
            columns += 1
    return x0, y0, side, reach, cx, cy, rows_per_column, dense


@njit(cache=True, nogil=True)
def _targets_by_cell(xy, targets, cx, cy, dense, rows_per_column):
    """Destinations sorted by cell (counting sort), with the start of every cell."""
    m = targets.size
    n_cells = (dense.max() + 1) * rows_per_column
    cell_start = np.zeros(n_cells + 1, dtype=np.int64)
    target_cell = np.empty(m, dtype=np.int64)
    for k in range(m):
        t = targets[k]
        cell = dense[cx[t]] * rows_per_column + cy[t]
        target_cell[k] = cell
        cell_start[cell + 1] += 1
    for c in range(n_cells):
        cell_start[c + 1] += cell_start[c]
    fill = cell_start[:-1].copy()
    tx = np.empty(m)
    ty = np.empty(m)
    tj = np.empty(m, dtype=np.int32)
    for k in range(m):
        at = fill[target_cell[k]]
        fill[target_cell[k]] += 1
        t = targets[k]
        tx[at] = xy[t, 0]
        ty[at] = xy[t, 1]
        tj[at] = t
    return cell_start, tx, ty, tj


@njit(cache=True, nogil=True)
def _candidate_runs(xy, cx, dense, cell_start, x0, y0, side, reach, radius, rows_per_column):
    """Candidates of a row: in each grid column within reach, the run of cells that meets the disc
    (rows within the half-chord of the disc at the column's nearest edge; a hair wider, so that
    rounding never loses a pair exactly on the circle: the distance test decides)."""
    n = xy.shape[0]
    inverse = 1.0 / side
    width = 2 * reach + 1
    run_start = np.zeros((n, width), dtype=np.int64)
    run_end = np.zeros((n, width), dtype=np.int64)
    slack = radius * 1e-9
    total = 0
    for i in range(n):
        xi, yi = xy[i, 0], xy[i, 1]
        for d in range(width):
            c = cx[i] + d - reach
            if c < 0 or c >= dense.size or dense[c] < 0:
                continue
            left = x0 + c * side
            gap = max(0.0, left - xi, xi - (left + side))
            if gap > radius + slack:
                continue
            h = np.sqrt(max(radius * radius - gap * gap, 0.0)) + slack
            first = max(np.int64(np.floor((yi - h - y0) * inverse)), 0)
            last = min(np.int64(np.floor((yi + h - y0) * inverse)), rows_per_column - 1)
            if last < first:
                continue
            base = dense[c] * rows_per_column
            run_start[i, d] = cell_start[base + first]
            run_end[i, d] = cell_start[base + last + 1]
            total += run_end[i, d] - run_start[i, d]
    return run_start, run_end, total


@njit(cache=True, nogil=True)
def _pairs_within(
    xy,
    tx,
    ty,
    tj,
    run_start,
    run_end,
    radius,
    minutes_per_metre,
    max_minutes,
    bounds,
    weights,
    closed_left,
    values_kind,
    indptr,
    indices,
    values,
):
    """Fill ``indptr``, ``indices`` and ``values`` row by row; returns the number of pairs kept."""
    n, width, m = xy.shape[0], run_start.shape[1], tx.size
    radius2 = radius * radius
    n_bounds = bounds.size
    weighted = values_kind == VALUE_WEIGHT
    near = np.empty(m + 1, dtype=np.int64)  # a row's candidates within the radius
    near_d2 = np.empty(m + 1)
    at = 0
    for i in range(n):
        xi = xy[i, 0]
        yi = xy[i, 1]
        # 1. Candidates within the radius, without a branch: each is written, and kept when the
        #    count moves on (about one candidate in three is kept: a branch would mispredict).
        found = 0
        for d in range(width):
            for k in range(run_start[i, d], run_end[i, d]):
                dx = tx[k] - xi
                dy = ty[k] - yi
                d2 = dx * dx + dy * dy
                near[found] = k
                near_d2[found] = d2
                found += d2 <= radius2
        # 2. Minutes (and weights) of those only.
        for f in range(found):
            minutes = np.sqrt(near_d2[f]) * minutes_per_metre
            if weighted:
                step = 0  # bounds passed, counted without a branch
                if closed_left:
                    for b in range(n_bounds):
                        step += bounds[b] <= minutes
                    keep = minutes < max_minutes
                else:
                    for b in range(n_bounds):
                        step += bounds[b] < minutes
                    keep = minutes <= max_minutes
                value = weights[step]
                keep &= value != 0.0
            else:
                value = minutes
                keep = minutes <= max_minutes
            if keep:  # almost always: a predicted branch, no dependency on the square root
                indices[at] = tj[near[f]]
                values[at] = value
                at += 1
        indptr[i + 1] = at
    return at


def warm_up() -> None:
    """Load (or, after an install, compile) the kernel for the argument types the engine passes,
    so that the first run of a process does not wait for it."""
    xy = np.array([[0.0, 0.0], [1000.0, 0.0]])
    bounds, weights = np.array([10.0]), np.array([1.0, 0.0])
    for kind in (VALUE_MINUTES, VALUE_WEIGHT):
        radius_csr(xy, np.arange(2, dtype=np.int64), 15000.0, 0.0013, 20.0, bounds, weights, True, kind)
