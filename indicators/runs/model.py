"""Stage « aire » of a run: everything the engine needs (times, catchment, supply and demand arrays),
built from the run's inputs; the what-if reuses it through the per-process cache.
"""

import numpy as np
import pandas as pd

from indicators.runs import inputs
from offers.models import RETIREMENT_AGE


def build_model(params, atoms, supply_frame, rule=None):
    """Everything the engine needs for one run: times, catchment, supply and demand arrays."""
    from indicators.engine import Catchment, MatrixTimes, StraightLineTimes, to_metric

    index = atoms.index
    xy = to_metric(atoms.frame["lon"].to_numpy(), atoms.frame["lat"].to_numpy())
    tt = params["travel_time"]
    if tt["provider"] == "matrix":
        origins, destinations, minutes = inputs.matrix_arrays(index)
        times = MatrixTimes(len(atoms), origins, destinations, minutes)
    else:
        times = StraightLineTimes(xy, detour_factor=tt["detour_factor"], speed_kmh=tt["speed_kmh"])
    apl = params["apl"]
    exclude = bool(params["supply"].get("exclude_aged_65_plus"))
    gp, share60 = supply_arrays(supply_frame, atoms, exclude_aged_65_plus=exclude)
    ages_by_atom, excluded = supply_arrays.ages, supply_arrays.excluded
    per_gp = params["supply"]["consultations_per_gp_per_year"]
    # pruned: only the pairs reaching a commune with supply (what-ifs add columns as needed)
    catchment = Catchment.build(
        times,
        max_minutes=apl["max_minutes"],
        steps=tuple(tuple(s) for s in apl["steps"]),
        columns=np.flatnonzero(gp > 0),
    )
    from indicators.runs.demand import demand_for

    population = atoms.frame["population"].to_numpy(dtype=float)
    # The population, or its age-standardised version (indicators/runs/demand.py).
    demand, standardised, not_standardised = demand_for(atoms, apl)
    return {
        "xy": xy,
        "times": times,
        "catchment": catchment,
        "gp": gp,
        "share60": share60,
        "ages": ages_by_atom,
        "aged_65_plus_excluded": excluded,
        "supply": gp * per_gp,
        "demand": demand,
        "population": population,
        "demand_counts": (standardised, not_standardised),
        "index": index,
        "atoms": atoms,
        "params": params,
        "rule": rule,
    }


def supply_arrays(frame, atoms, exclude_aged_65_plus=False):
    """GPs per atom (FTE when known, else headcount) and the share aged 60+ (NaN when unknown).

    Supply on a parent commune (75056…) is spread over its arrondissements pro rata population.
    With ``exclude_aged_65_plus`` (the DREES convention) GPs aged 65 and over are left out where
    ages are known. ``supply_arrays.ages`` maps an atom to its GPs by age (in supply units) for the
    what-if « départs à la retraite d’ici N ans »; ``supply_arrays.excluded`` counts those left out.
    """
    n = len(atoms)
    gp = np.zeros(n)
    weighted60 = np.zeros(n)
    known60 = np.zeros(n)
    arm = atoms.frame[atoms.frame["parent"].notna()]
    children = {
        parent: (group.index.to_numpy(), group["population"].to_numpy())
        for parent, group in arm.groupby("parent")
    }
    has_ages = "ages" in frame.columns
    rows = frame.assign(**({} if has_ages else {"aged_65_plus": np.nan, "ages": None}))

    def numbers(column):
        return pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)

    headcount, fte, share, aged = (
        numbers(c) for c in ("headcount", "fte", "share_aged_60_plus", "aged_65_plus")
    )
    codes = rows["commune_code"].astype(str).to_numpy()
    amount = np.where(np.isnan(fte), headcount, fte)
    position = atoms.positions(codes)  # -1: not an atom
    spread = np.array([code in children for code in codes], dtype=bool) & (position < 0)
    valid = ~np.isnan(amount)
    unmatched = [str(c) for c in codes[valid & (position < 0) & ~spread]]
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(headcount != 0, amount / headcount, 1.0)  # FTE per head when FTE is known
    removed = np.zeros(len(rows))
    if exclude_aged_65_plus:
        with_age = valid & ~np.isnan(aged)
        removed[with_age] = np.minimum(aged[with_age] * unit[with_age], amount[with_age])
    kept = np.where(valid, amount - removed, 0.0)
    excluded = float(removed[valid].sum())
    has_share = ~np.isnan(share)
    direct = valid & (position >= 0)
    gp += np.bincount(position[direct], weights=kept[direct], minlength=n)
    shared = direct & has_share
    weighted60 += np.bincount(position[shared], weights=kept[shared] * share[shared], minlength=n)
    known60 += np.bincount(position[shared], weights=kept[shared], minlength=n)
    targets_of = {}
    for k in np.flatnonzero(valid & spread):  # supply given for Paris, Lyon or Marseille as a whole
        targets, pops = children[codes[k]]
        weights = pops / pops.sum() if pops.sum() else np.full(len(pops), 1 / len(pops))
        targets_of[k] = (targets, weights)
        gp[targets] += kept[k] * weights
        if has_share[k]:
            weighted60[targets] += kept[k] * weights * share[k]
            known60[targets] += kept[k] * weights
    ages_of = {}
    if has_ages:
        for k, by_age in enumerate(rows["ages"].to_numpy()):
            if not (valid[k] and isinstance(by_age, dict) and by_age) or (
                position[k] < 0 and k not in targets_of
            ):
                continue
            targets, weights = targets_of.get(k, (np.array([position[k]]), np.array([1.0])))
            for target, weight in zip(targets, weights, strict=True):
                bucket = ages_of.setdefault(int(target), {})
                for age, count in by_age.items():
                    if exclude_aged_65_plus and int(age) >= RETIREMENT_AGE:
                        continue
                    bucket[int(age)] = bucket.get(int(age), 0.0) + count * unit[k] * weight
    with np.errstate(invalid="ignore", divide="ignore"):
        share60 = np.where(known60 > 0, weighted60 / np.where(known60 > 0, known60, 1), np.nan)
    share60[(gp == 0)] = np.nan
    supply_arrays.unmatched = unmatched
    supply_arrays.ages = ages_of
    supply_arrays.excluded = excluded
    return gp, share60
