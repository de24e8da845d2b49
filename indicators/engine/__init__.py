"""The computation engine of the indicators app: travel times, APL (E2SFCA), nearest sites.

Pure numpy / scipy / pyproj, no Django import: the Celery tasks and the what-if views feed it
arrays indexed by commune and store what it returns. See ``times`` (providers, nearest sites) and
``catchment`` (APL); ``reference`` is a plain-Python twin used by the tests.
"""

from indicators.engine.catchment import (
    CLOSED_CHOICES,
    DEFAULT_MAX_MINUTES,
    DEFAULT_STEPS,
    Catchment,
    normalise_steps,
    step_weights,
)
from indicators.engine.times import (
    DEFAULT_DETOUR_FACTOR,
    DEFAULT_SPEED_KMH,
    LAMBERT93,
    WGS84,
    MatrixTimes,
    StraightLineTimes,
    csr_pair_arrays,
    nearest_minutes,
    nearest_minutes_matrix,
    to_lambert93,
    to_metric,
)

__all__ = [
    "CLOSED_CHOICES",
    "DEFAULT_DETOUR_FACTOR",
    "DEFAULT_MAX_MINUTES",
    "DEFAULT_SPEED_KMH",
    "DEFAULT_STEPS",
    "LAMBERT93",
    "WGS84",
    "Catchment",
    "MatrixTimes",
    "StraightLineTimes",
    "csr_pair_arrays",
    "nearest_minutes",
    "nearest_minutes_matrix",
    "normalise_steps",
    "step_weights",
    "to_lambert93",
    "to_metric",
]
