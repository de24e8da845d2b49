"""Plain-Python reference of the engine (loops and dicts, no numpy): the tests' yardstick.

Slow on purpose (O(n²) pairs); only for small inputs.
"""

import math


def step_weight(minutes, steps, closed="left"):
    """Weight of one travel time; ``steps`` = ``[(upper bound, weight), ...]``."""
    for bound, weight in sorted(steps):
        if (minutes < bound) if closed == "left" else (minutes <= bound):
            return weight
    return 0.0


def straight_line_minutes(a, b, detour_factor=1.3, speed_kmh=60.0):
    metres = math.hypot(a[0] - b[0], a[1] - b[1])
    return metres * detour_factor / (speed_kmh * 1000.0 / 60.0)


def straight_line_pairs(points, max_minutes, detour_factor=1.3, speed_kmh=60.0):
    """``{(origin, destination): minutes}`` for every ordered pair within ``max_minutes``."""
    pairs = {}
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            minutes = 0.0 if i == j else straight_line_minutes(a, b, detour_factor, speed_kmh)
            if minutes <= max_minutes:
                pairs[(i, j)] = minutes
    return pairs


def matrix_pairs(n, triples):
    """``{(origin, destination): minutes}`` of an imported matrix, diagonal 0 unless given."""
    pairs = {(i, i): 0.0 for i in range(n)}
    for origin, destination, minutes in triples:
        pairs[(origin, destination)] = float(minutes)
    return pairs


def apl(pairs, supply, demand, max_minutes=20.0, steps=((10, 1), (15, 2 / 3), (20, 1 / 3)), closed="left"):
    """E2SFCA: ``R_j = S_j / Σ_i w_ij D_i`` (0 if the sum is 0), ``A_i = Σ_j w_ij R_j``."""
    weights = {}
    for (i, j), minutes in pairs.items():
        inside = minutes < max_minutes if closed == "left" else minutes <= max_minutes
        w = step_weight(minutes, steps, closed) if inside else 0.0
        if w > 0:
            weights[(i, j)] = w
    reached = {}
    for (i, j), w in weights.items():
        reached[j] = reached.get(j, 0.0) + w * demand[i]
    ratio = {}
    for j, s in enumerate(supply):
        total = reached.get(j, 0.0)
        ratio[j] = s / total if total > 0 else 0.0
    result = [0.0] * len(demand)
    for (i, j), w in weights.items():
        result[i] += w * ratio[j]
    return result


def nearest(origins, targets, detour_factor=1.3, speed_kmh=60.0):
    """``(minutes, index)`` of the nearest target of each origin (first one on ties)."""
    minutes, index = [], []
    for a in origins:
        best, best_k = math.inf, -1
        for k, b in enumerate(targets):
            m = straight_line_minutes(a, b, detour_factor, speed_kmh)
            if m < best:
                best, best_k = m, k
        minutes.append(best)
        index.append(best_k)
    return minutes, index


def nearest_in_matrix(pairs, n, targets):
    """Minutes from each commune to the nearest target through ``pairs``; inf if none."""
    out = [math.inf] * n
    for (i, j), minutes in pairs.items():
        if j in targets and minutes < out[i]:
            out[i] = minutes
    return out
