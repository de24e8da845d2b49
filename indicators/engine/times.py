"""Travel-time providers and nearest-site searches (numpy, scipy, pyproj; no Django).

Two providers share one contract, ``pairs_within(max_minutes) -> scipy.sparse.csr_matrix``:

* :class:`StraightLineTimes` — the default "temps estimé": straight-line distance between commune
  points in metres (Lambert-93, EPSG:2154) × a detour factor ÷ a speed.
* :class:`MatrixTimes` — an imported commune-to-commune matrix (origin, destination, minutes).

The returned matrix is ``(n × n)``, row = origin (where people live), column = destination
(where the care is), value = minutes, for every pair whose time is ``<= max_minutes``.

**Zero minutes are stored explicitly.** A commune to itself is 0 minutes (and two communes may
share a point). Those pairs are *stored entries whose value is 0.0*: the matrix is built directly
from ``(data, indices, indptr)`` so scipy never prunes them. Readers must therefore use the
structure (``.indptr``/``.indices``/``.data``, or ``.tocoo()``), never ``.toarray()`` or ``!= 0``
to decide whether a pair is reachable, and must not call ``eliminate_zeros()``. The same pairs
are available as plain arrays through ``pair_arrays(max_minutes) -> (rows, cols, minutes)``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
from scipy import sparse
from scipy.spatial import cKDTree

from indicators.engine import grid

WGS84 = "EPSG:4326"
LAMBERT93 = "EPSG:2154"

DEFAULT_DETOUR_FACTOR = 1.3
DEFAULT_SPEED_KMH = 60.0


@cache
def _transformer(source: str, target: str):
    from pyproj import Transformer

    return Transformer.from_crs(source, target, always_xy=True)


def to_lambert93(lon, lat) -> np.ndarray:
    """Project WGS84 longitudes/latitudes (degrees) to Lambert-93 metres, shape ``(n, 2)``.

    Lambert-93 is the official projection of metropolitan France; distances are in metres with a
    scale error below 0.1 % there. Never use degrees × 111 km.
    """
    lon = np.asarray(lon, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    if lon.shape != lat.shape:
        raise ValueError("lon and lat must have the same length")
    x, y = _transformer(WGS84, LAMBERT93).transform(lon, lat)
    return np.column_stack([np.asarray(x, dtype=float), np.asarray(y, dtype=float)])


# Official projections per territory: (name, lon min, lon max, lat min, lat max, CRS).
TERRITORY_CRS = (
    ("metropole", -5.8, 10.0, 41.0, 51.5, LAMBERT93),
    ("antilles", -63.5, -60.5, 14.0, 18.5, "EPSG:5490"),  # RGAF09 / UTM 20N
    ("guyane", -55.0, -51.0, 1.5, 6.5, "EPSG:2972"),  # RGFG95 / UTM 22N
    ("reunion", 55.0, 56.0, -21.5, -20.5, "EPSG:2975"),  # RGR92 / UTM 40S
    ("mayotte", 44.8, 45.5, -13.2, -12.4, "EPSG:4471"),  # RGM04 / UTM 38S
    ("saint_pierre_et_miquelon", -56.6, -55.9, 46.5, 47.2, "EPSG:4467"),  # RGSPM06 / UTM 21N
)
TERRITORY_OFFSET_M = 10_000_000.0  # 10,000 km between territories: never within any catchment


def to_metric(lon, lat) -> np.ndarray:
    """Project WGS84 points to metres in the official projection of their territory, ``(n, 2)``.

    Lambert-93 distorts distances far from metropolitan France (× 1.26 in Guyane, × 1.87 in La
    Réunion), so each territory uses its own projection (UTM of RGAF09, RGFG95, RGR92, RGM04,
    RGSPM06; WGS84 UTM by longitude elsewhere), shifted by multiples of 10,000 km along x so that
    no pair of points of two territories is ever within reach. Metropolitan points (Corsica
    included) are exactly their Lambert-93 coordinates. Non-finite input stays NaN.
    """
    lon = np.asarray(lon, dtype=float).ravel()
    lat = np.asarray(lat, dtype=float).ravel()
    if lon.shape != lat.shape:
        raise ValueError("lon and lat must have the same length")
    out = np.full((len(lon), 2), np.nan)
    finite = np.isfinite(lon) & np.isfinite(lat)
    group = np.full(len(lon), -1, dtype=np.int64)
    for k, (_, x0, x1, y0, y1, _) in enumerate(TERRITORY_CRS):
        inside = finite & (group < 0) & (lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1)
        group[inside] = k
    crs_of = {k: entry[5] for k, entry in enumerate(TERRITORY_CRS)}
    elsewhere = finite & (group < 0)
    safe_lon = np.where(finite, lon, 0.0)
    utm_zone = np.clip(np.floor((safe_lon + 180.0) / 6.0).astype(np.int64) + 1, 1, 60)
    group[elsewhere] = 100 + 2 * utm_zone[elsewhere] + (lat[elsewhere] < 0)
    for g in np.unique(group[finite]):
        if g not in crs_of:
            zone, south = (g - 100) // 2, (g - 100) % 2
            crs_of[g] = f"EPSG:{32700 + zone if south else 32600 + zone}"
        mask = group == g
        x, y = _transformer(WGS84, crs_of[g]).transform(lon[mask], lat[mask])
        out[mask, 0] = np.asarray(x, dtype=float) + g * TERRITORY_OFFSET_M
        out[mask, 1] = np.asarray(y, dtype=float)
    return out


def minutes_per_metre(detour_factor: float, speed_kmh: float) -> float:
    """Minutes of estimated road travel per metre of straight line."""
    if not detour_factor > 0 or not speed_kmh > 0:
        raise ValueError("detour_factor and speed_kmh must be positive")
    return detour_factor / (speed_kmh * 1000.0 / 60.0)


def csr_keep_zeros(n_rows: int, n_cols: int, rows, cols, data) -> sparse.csr_matrix:
    """A canonical CSR matrix (sorted indices, no duplicates) that keeps explicit zero values.

    Duplicated ``(row, col)`` pairs are refused: callers deduplicate first. Input already in
    row-major order (e.g. filtered from another CSR) is taken as is; otherwise scipy's O(nnz)
    COO → CSR conversion orders it (it sums duplicates but never drops zeros: a shorter result
    means there were duplicates).
    """
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    data = np.asarray(data, dtype=float)
    index_dtype = np.int32 if max(n_rows, n_cols, len(data)) < 2**31 - 1 else np.int64
    key = rows * n_cols + cols
    if len(key) < 2 or bool((key[1:] > key[:-1]).all()):
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        matrix = sparse.csr_matrix(
            (data, cols.astype(index_dtype), indptr.astype(index_dtype)), shape=(n_rows, n_cols)
        )
        matrix.has_sorted_indices = True
        return matrix
    matrix = sparse.coo_matrix((data, (rows, cols)), shape=(n_rows, n_cols)).tocsr()
    if matrix.nnz != len(data):
        order = np.sort(key)
        k = int(np.flatnonzero(order[1:] == order[:-1])[0])
        raise ValueError(f"duplicate pair ({order[k] // n_cols}, {order[k] % n_cols})")
    matrix.sort_indices()
    return matrix


def sorted_indices(indices, n: int) -> np.ndarray:
    """Distinct indices into ``n`` items, in increasing order (a mask, O(n): no sort); refuses an
    index outside ``[0, n)``."""
    indices = np.asarray(indices, dtype=np.int64).ravel()
    if len(indices) and (indices.min() < 0 or indices.max() >= n):
        raise ValueError(f"indices must be in [0, {n})")
    mask = np.zeros(n, dtype=bool)
    mask[indices] = True
    return np.flatnonzero(mask)


def csr_pair_arrays(matrix: sparse.csr_matrix):
    """``(rows, cols, minutes)`` of every stored entry of a CSR matrix (explicit zeros included)."""
    rows = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    return rows, matrix.indices.astype(np.int64), matrix.data.copy()


class StraightLineTimes:
    """Estimated travel time: straight line in Lambert-93 × detour factor ÷ speed ("temps estimé").

    ``xy``: ``(n, 2)`` metres in Lambert-93 (EPSG:2154), one row per commune point. Every point
    must be finite: communes without a point must be left out by the caller (their APL would be
    meaningless).
    """

    provider = "straight_line"

    def __init__(
        self,
        xy: np.ndarray,
        detour_factor: float = DEFAULT_DETOUR_FACTOR,
        speed_kmh: float = DEFAULT_SPEED_KMH,
    ):
        xy = np.asarray(xy, dtype=float)
        if xy.ndim != 2 or xy.shape[1] != 2:
            raise ValueError("xy must be an (n, 2) array of Lambert-93 metres")
        if not np.isfinite(xy).all():
            bad = int((~np.isfinite(xy).all(axis=1)).sum())
            raise ValueError(f"{bad} point(s) have no finite coordinates; leave those communes out")
        self.xy = xy
        self.n = len(xy)
        self.detour_factor = float(detour_factor)
        self.speed_kmh = float(speed_kmh)
        self._minutes_per_metre = minutes_per_metre(self.detour_factor, self.speed_kmh)
        self.params = {
            "provider": self.provider,
            "detour_factor": self.detour_factor,
            "speed_kmh": self.speed_kmh,
        }

    def _radius_csr(self, max_minutes, columns, values_kind, bounds=None, weights=None, closed="left"):
        targets = np.arange(self.n, dtype=np.int64) if columns is None else sorted_indices(columns, self.n)
        max_minutes = float(max_minutes)
        if not max_minutes > 0:
            raise ValueError("max_minutes must be positive")
        indptr, indices, values = grid.radius_csr(
            self.xy,
            targets,
            max_minutes / self._minutes_per_metre,
            self._minutes_per_metre,
            max_minutes,
            np.zeros(0) if bounds is None else np.asarray(bounds, dtype=float),
            np.zeros(1) if weights is None else np.asarray(weights, dtype=float),
            closed == "left",
            values_kind,
        )
        return indptr, indices, values

    def pair_arrays(self, max_minutes: float, columns=None):
        """``(rows, cols, minutes)`` of every ordered pair within ``max_minutes`` (both directions,
        and each commune with itself at 0 minutes), in row-major order. With ``columns``
        (indices), only the pairs whose destination is one of them: the search never looks at the
        pairs of all communes (:mod:`.grid`)."""
        if self.n == 0 or (columns is not None and len(columns) == 0):
            empty = np.zeros(0, dtype=np.int64)
            return empty, empty, np.zeros(0)
        indptr, indices, minutes = self._radius_csr(max_minutes, columns, grid.VALUE_MINUTES)
        rows = np.repeat(np.arange(self.n, dtype=np.int64), np.diff(indptr))
        return rows, indices.astype(np.int64), minutes

    def pairs_within(self, max_minutes: float, columns=None) -> sparse.csr_matrix:
        """``(n × n)`` CSR of minutes for pairs within ``max_minutes`` (inclusive); zero-minute
        pairs (self, shared points) are stored entries of value 0.0 — see the module docstring."""
        if self.n == 0 or (columns is not None and len(columns) == 0):
            return csr_keep_zeros(self.n, self.n, [], [], [])
        return _csr(self.n, *self._radius_csr(max_minutes, columns, grid.VALUE_MINUTES))

    def weights_csr(self, max_minutes: float, bounds, weights, closed: str, columns=None):
        """``(n × n)`` CSR of the step weights of the pairs inside the catchment (weight > 0),
        computed in the same pass as the search (used by :meth:`Catchment.build`)."""
        if self.n == 0 or (columns is not None and len(columns) == 0):
            return csr_keep_zeros(self.n, self.n, [], [], [])
        return _csr(
            self.n,
            *self._radius_csr(max_minutes, columns, grid.VALUE_WEIGHT, bounds, weights, closed),
        )


def _csr(n, indptr, indices, values) -> sparse.csr_matrix:
    """A CSR matrix from the grid search's arrays: rows in order, no duplicates, columns of a row
    in grid order (scipy's products do not need them sorted; ``sort_indices()`` orders them)."""
    index_dtype = np.int32 if max(n, len(values)) < 2**31 - 1 else np.int64
    return sparse.csr_matrix(
        (values, indices.astype(index_dtype, copy=False), indptr.astype(index_dtype)), shape=(n, n)
    )


class MatrixTimes:
    """An imported commune-to-commune travel-time matrix (a "distancier").

    ``origins``/``destinations`` are integer indices into the same ``n`` communes as the supply and
    demand vectors; ``minutes`` are finite and ``>= 0``. A pair absent from the matrix is
    unreachable. The diagonal (a commune to itself) is 0 minutes unless the matrix gives its own
    value for it. Duplicated pairs are refused (``ValueError``): the importer decides which to keep.
    Times need not be symmetric: row = origin (residents), column = destination (care).
    """

    provider = "matrix"

    def __init__(self, n: int, origins, destinations, minutes, source: str = ""):
        origins = np.asarray(origins)
        destinations = np.asarray(destinations)
        minutes = np.asarray(minutes, dtype=float)
        if not (origins.shape == destinations.shape == minutes.shape) or origins.ndim != 1:
            raise ValueError("origins, destinations and minutes must be 1-D arrays of the same length")
        for name, values in (("origins", origins), ("destinations", destinations)):
            if values.size and not np.issubdtype(values.dtype, np.integer):
                raise ValueError(f"{name} must be integer indices")
            if values.size and (values.min() < 0 or values.max() >= n):
                raise ValueError(f"{name} must be indices in [0, {n})")
        if not np.isfinite(minutes).all() or (minutes < 0).any():
            raise ValueError("minutes must be finite and >= 0")
        origins = origins.astype(np.int64)
        destinations = destinations.astype(np.int64)
        has_self = np.zeros(n, dtype=bool)
        has_self[origins[origins == destinations]] = True
        missing = np.flatnonzero(~has_self)
        self.n = int(n)
        # Validates (refuses duplicates) once; the row-major arrays then serve every threshold.
        self._all = csr_keep_zeros(
            self.n,
            self.n,
            np.concatenate([origins, missing]),
            np.concatenate([destinations, missing]),
            np.concatenate([minutes, np.zeros(len(missing))]),
        )
        self.origins, self.destinations, self.minutes = csr_pair_arrays(self._all)
        self.params = {
            "provider": self.provider,
            "pairs": int(len(minutes)),
            "source": source,
        }

    @classmethod
    def from_codes(cls, codes, origin_codes, destination_codes, minutes, source: str = ""):
        """Build from commune codes; rows whose codes are not in ``codes`` are dropped and counted
        in ``params["dropped_pairs"]``."""
        index = {code: k for k, code in enumerate(codes)}
        o = np.array([index.get(c, -1) for c in origin_codes], dtype=np.int64)
        d = np.array([index.get(c, -1) for c in destination_codes], dtype=np.int64)
        keep = (o >= 0) & (d >= 0)
        times = cls(len(index), o[keep], d[keep], np.asarray(minutes, dtype=float)[keep], source=source)
        times.params["dropped_pairs"] = int((~keep).sum())
        return times

    def pair_arrays(self, max_minutes: float, columns=None):
        keep = self.minutes <= max_minutes
        if columns is not None:  # the same pruning as the straight-line provider
            wanted = np.zeros(self.n, dtype=bool)
            wanted[np.asarray(columns, dtype=np.int64)] = True
            keep &= wanted[self.destinations]
        return self.origins[keep], self.destinations[keep], self.minutes[keep]

    def pairs_within(self, max_minutes: float, columns=None) -> sparse.csr_matrix:
        """Same contract as :meth:`StraightLineTimes.pairs_within`."""
        rows, cols, data = self.pair_arrays(max_minutes, columns)
        return csr_keep_zeros(self.n, self.n, rows, cols, data)


def nearest_minutes(
    origin_xy,
    target_xy,
    detour_factor: float = DEFAULT_DETOUR_FACTOR,
    speed_kmh: float = DEFAULT_SPEED_KMH,
):
    """Estimated minutes from each origin point to its nearest target point, and that target's index.

    Both arrays are Lambert-93 metres. With no target, minutes are ``inf`` and indices ``-1``.
    """
    origin_xy = np.asarray(origin_xy, dtype=float).reshape(-1, 2)
    target_xy = np.asarray(target_xy, dtype=float).reshape(-1, 2)
    if len(target_xy) == 0:
        return np.full(len(origin_xy), np.inf), np.full(len(origin_xy), -1, dtype=np.int64)
    if not np.isfinite(target_xy).all():
        raise ValueError("target points must be finite")
    tree = cKDTree(target_xy)
    distance, index = tree.query(origin_xy, k=1)
    return distance * minutes_per_metre(detour_factor, speed_kmh), np.asarray(index, dtype=np.int64)


def nearest_minutes_matrix(times: MatrixTimes, target_mask) -> np.ndarray:
    """Minutes from each commune to the nearest commune in ``target_mask`` through an imported
    matrix (a target reaches itself in 0 minutes unless the matrix says otherwise); ``inf`` when no
    target is reachable."""
    target_mask = np.asarray(target_mask, dtype=bool)
    if target_mask.shape != (times.n,):
        raise ValueError(f"target_mask must have shape ({times.n},)")
    out = np.full(times.n, np.inf)
    keep = target_mask[times.destinations]
    np.minimum.at(out, times.origins[keep], times.minutes[keep])
    return out
