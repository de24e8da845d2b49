"""Stages « calcul » and « agrégation » of a run: the indicators per commune, then per zone of every
level (population-weighted).
"""

import numpy as np
import pandas as pd

from indicators.engine.within import within_minutes
from indicators.runs.parameters import INDICATORS, ZONE_LEVELS


def commune_values(model, sites: pd.DataFrame) -> dict[str, np.ndarray]:
    from indicators.engine import nearest_minutes, nearest_minutes_matrix, to_metric

    params = model["params"]
    population = model.get("population", model["demand"])
    demand = model["demand"]
    gp = model["gp"]
    with np.errstate(invalid="ignore", divide="ignore"):
        density = np.where(population > 0, gp / population * 1e5, np.nan)
    apl = model["catchment"].apl(model["supply"], demand)
    apl = np.where(demand > 0, apl, np.nan)
    has_gp = gp > 0
    tt = params["travel_time"]
    if tt["provider"] == "matrix":
        time_gp = nearest_minutes_matrix(model["times"], has_gp)
        site_mask = np.zeros(len(gp), dtype=bool)
        index = model["index"]
        site_mask[[index[c] for c in sites["commune_code"] if c in index]] = True
        time_er = nearest_minutes_matrix(model["times"], site_mask)
    else:
        # Nearest targets are searched within the same land mass: metropolitan France, or each
        # overseas département (a straight line across an ocean is not a travel time).
        xy = model["xy"]
        groups = land_groups(model["atoms"].frame["code"])
        located = sites.dropna(subset=["lon", "lat"])
        site_xy = to_metric(located["lon"].to_numpy(float), located["lat"].to_numpy(float))
        site_groups = land_groups(located["commune_code"])
        time_gp = np.full(len(gp), np.inf)
        time_er = np.full(len(gp), np.inf)
        for group in np.unique(groups):
            mask = groups == group
            targets = mask & has_gp
            if targets.any():
                time_gp[mask], _ = nearest_minutes(
                    xy[mask], xy[targets], tt["detour_factor"], tt["speed_kmh"]
                )
            in_group = site_groups == group
            if in_group.any():
                time_er[mask], _ = nearest_minutes(
                    xy[mask], site_xy[in_group], tt["detour_factor"], tt["speed_kmh"]
                )
    within = within_minutes(model["atoms"].frame.get("area_km2"), tt)  # 2R/3 inside the commune
    time_gp = np.where(np.isfinite(time_gp), time_gp + within, np.nan)
    time_er = np.where(np.isfinite(time_er), time_er + within, np.nan)
    far = np.where(np.isnan(time_er), np.nan, (time_er > params["emergency_minutes"]) * 100.0)
    return {
        "densite_mg": density,
        "apl_mg": apl,
        "temps_mg": time_gp,
        "temps_urgences": time_er,
        "part_pop_urgences_30min": far,
    }


def land_groups(codes) -> np.ndarray:
    """ "metro" for metropolitan France (Corsica included), the département code overseas (971…)."""
    codes = np.asarray(pd.Series(codes, dtype=str).to_numpy(), dtype=str)
    prefixes = np.array([code[:3] for code in codes], dtype=str)
    return np.where(np.char.startswith(codes, "97"), prefixes, "metro")


def aggregate(frame: pd.DataFrame, key: str, indicators: list[str]) -> pd.DataFrame:
    """Population-weighted mean of each indicator per value of ``key`` (NaN values left out).

    One code path for every zone level: zones are sets of communes. The membership (commune →
    zone) is factorised once per level; each indicator is then two weighted counts per zone
    (``np.bincount``: the sparse product of the values by the membership matrix). Returns one
    row per zone, sorted by code, with ``<indicator>`` and ``<indicator>__pop`` (population of the
    communes that have a value).
    """
    zone_of, zones = pd.factorize(frame[key], sort=True)  # -1: no zone
    member = zone_of >= 0
    zone_of = zone_of[member]
    population = np.nan_to_num(frame["population"].to_numpy(dtype=float)[member])
    out = {}
    for name in indicators:
        values = frame[name].to_numpy(dtype=float)[member]
        has = ~np.isnan(values)
        weight = np.where(has, population, 0.0)
        total = np.bincount(zone_of, weights=weight, minlength=len(zones))
        weighted = np.bincount(zone_of, weights=np.where(has, values, 0.0) * weight, minlength=len(zones))
        mean = np.full(len(zones), np.nan)
        np.divide(weighted, total, out=mean, where=total > 0)
        out[name] = mean
        out[f"{name}__pop"] = total
    return pd.DataFrame(out, index=pd.Index(zones, name=key))


def zone_values(atoms, values: dict[str, np.ndarray]) -> dict[str, pd.DataFrame]:
    """Values for every level: communes (atoms + parents of arrondissements), zones and France."""
    frame = atoms.frame.copy()
    for name, array in values.items():
        frame[name] = array
    frame["france"] = "FR"
    levels = {}
    atom_rows = frame.set_index("code")[INDICATORS].copy()
    for name in INDICATORS:
        atom_rows[f"{name}__pop"] = np.where(atom_rows[name].notna(), frame["population"].to_numpy(), 0.0)
    parents = aggregate(frame, "parent", INDICATORS)
    levels["commune"] = pd.concat([atom_rows, parents])
    for level, column in ZONE_LEVELS.items():
        levels[level] = aggregate(frame, column, INDICATORS)
    levels["france"] = aggregate(frame, "france", INDICATORS)
    return levels
