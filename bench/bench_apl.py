"""Benchmark of the indicators engine on all of France (real communes, real SIRENE GP proxy).

Run from the repository root:

    .venv/bin/python bench/bench_apl.py [--pysal-sample N] [--repeat 7]

Reads the real files directly (no Django, no database):

* communes (COG 2026, population légale) ``fixtures/territories/communes.json.xz``; atoms are the
  communes and, for Paris, Lyon and Marseille, their arrondissements municipaux;
* their points ``fixtures/territories/communes_centroides.csv.gz`` (town hall, else interior point);
* GP supply: ``/work/shared/data/sirene-ps-communes-2019/PS_communes_sirene_2019.csv.gz``, column
  ``generaliste`` = SIRENE establishments of NAF 86.21Z per commune (COG 2019 codes, mapped to
  COG 2026 through ``anciensCodes`` and communes déléguées / associées). A PROXY, not RPPS FTE;
* emergency sites: the 1,473 public hospital sites of FINESS
  ``/work/shared/data/finess-hopitaux-publics/finess_centres_hospitaliers_2023.csv``, placed at
  their commune's point (``code_insee``).

Prints, from one run: communes and pairs within 20 min, catchment build time, APL time (median),
PySAL ``access`` E2SFCA time on the same pairs and the ratio, peak memory, what-if time, nearest
emergency-site time, and the largest relative difference between the engine and PySAL.
"""

import argparse
import csv
import gzip
import json
import lzma
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd
from access import Access, weights  # imported here, outside every timer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from indicators.engine import (  # noqa: E402
    Catchment,
    MatrixTimes,
    StraightLineTimes,
    csr_pair_arrays,
    nearest_minutes,
    to_metric,
)

COMMUNES = ROOT / "fixtures/territories/communes.json.xz"
POINTS = ROOT / "fixtures/territories/communes_centroides.csv.gz"
SIRENE = Path("/work/shared/data/sirene-ps-communes-2019/PS_communes_sirene_2019.csv.gz")
FINESS = Path("/work/shared/data/finess-hopitaux-publics/finess_centres_hospitaliers_2023.csv")
PLM = {"75056", "13055", "69123"}  # communes split into arrondissements municipaux


def load_atoms():
    """Codes, populations and an old-code → atom resolver from the COG 2026 file."""
    with lzma.open(COMMUNES, "rt", encoding="utf-8") as fh:
        entries = json.load(fh)
    codes, population, zone = [], [], []
    for e in entries:
        if (e["type"] == "commune-actuelle" and e["code"] not in PLM) or e[
            "type"
        ] == "arrondissement-municipal":
            codes.append(e["code"])
            population.append(float(e.get("population") or 0))
            zone.append(e.get("zone", ""))
    current = set(codes)
    aliases = {}
    for e in entries:
        if e["type"] == "commune-actuelle":
            for old in e.get("anciensCodes") or []:
                if old not in current:
                    aliases[old] = e["code"]
        elif e["type"] in ("commune-deleguee", "commune-associee"):
            if e["code"] not in current and e.get("chefLieu") in current:
                aliases.setdefault(e["code"], e["chefLieu"])

    def resolve(code):
        code = code.strip().zfill(5)
        return code if code in current else aliases.get(code)

    return codes, np.array(population), np.array(zone), resolve


def load_points(resolve):
    """WGS84 point of each atom: its own town hall, else its own interior point."""
    points = {}
    with gzip.open(POINTS, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            if row["type"] not in ("COM", "ARM"):
                continue
            code = resolve(row["code_insee"])
            if code is None or code != row["code_insee"]:
                continue
            for lat, lon in (("mairie_lat", "mairie_lon"), ("point_interieur_lat", "point_interieur_lon")):
                if row[lat] and row[lon]:
                    points[code] = (float(row[lon]), float(row[lat]))
                    break
    return points


def load_supply(index, resolve):
    supply = np.zeros(len(index))
    unmatched = 0
    with gzip.open(SIRENE, "rt", encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            code = resolve(row["codecommuneetablissement"])
            if code is None or code not in index:
                unmatched += float(row["generaliste"])
                continue
            supply[index[code]] += float(row["generaliste"])
    return supply, unmatched


def load_sites(index, resolve):
    sites, unmatched = [], 0
    with FINESS.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            code = resolve(row["code_insee"])
            if code is None or code not in index:
                unmatched += 1
            else:
                sites.append(index[code])
    return np.array(sites, dtype=np.int64), unmatched


def timed(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), result


def pysal_e2sfca(rows, cols, minutes, supply, demand, max_minutes=20.0):
    n = len(supply)
    model = Access(
        demand_df=pd.DataFrame({"geoid": np.arange(n), "pop": demand}),
        demand_index="geoid",
        demand_value="pop",
        supply_df=pd.DataFrame({"geoid": np.arange(n), "doc": supply}),
        supply_index="geoid",
        supply_value="doc",
        cost_df=pd.DataFrame({"origin": rows, "dest": cols, "cost": minutes}),
        cost_origin="origin",
        cost_dest="dest",
        cost_name="cost",
    )
    out = model.enhanced_two_stage_fca(
        name="e2sfca", weight_fn=weights.step_fn({10: 1, 15: 2 / 3, 20: 1 / 3}), max_cost=max_minutes
    )
    return out["e2sfca_doc"].reindex(np.arange(n)).to_numpy()


def mib(n_bytes):
    return n_bytes / 2**20


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per timed step (median)")
    parser.add_argument(
        "--pysal-sample",
        type=int,
        default=0,
        help="run PySAL on the first N communes (by code) only; 0 = all of France (default)",
    )
    args = parser.parse_args()
    from common import header

    header("bench_apl")

    codes, population, zone, resolve = load_atoms()
    points = load_points(resolve)
    keep = np.array([c in points for c in codes])
    missing = [c for c, k in zip(codes, keep, strict=True) if not k]
    codes = [c for c, k in zip(codes, keep, strict=True) if k]
    population, zone = population[keep], zone[keep]
    index = {c: k for k, c in enumerate(codes)}
    lonlat = np.array([points[c] for c in codes])
    xy = to_metric(lonlat[:, 0], lonlat[:, 1])  # Lambert-93 in metropole, local UTM overseas
    supply, supply_unmatched = load_supply(index, resolve)
    sites, sites_unmatched = load_sites(index, resolve)

    print("Santé & Territoires — engine benchmark (APL médecins généralistes, temps estimé)")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}")
    print(
        f"communes (atoms, with arrondissements of Paris/Lyon/Marseille): {len(codes):,} "
        f"({(zone == 'metro').sum():,} metro, {(zone != 'metro').sum():,} outre-mer); "
        f"{len(missing)} without a point left out"
    )
    print(f"demand: population légale (COG 2026), total {population.sum():,.0f}")
    print(
        "supply: SIRENE establishments NAF 86.21Z (médecins généralistes) 2019 — a PROXY, not RPPS FTE: "
        f"{supply.sum():,.0f} in {(supply > 0).sum():,} communes; {supply_unmatched:,.0f} unmatched"
    )
    print(
        f"emergency sites: {len(sites):,} FINESS public hospital sites at their commune point "
        f"({sites_unmatched} unmatched)"
    )
    print(
        "times (temps estimé): straight line in Lambert-93 (local UTM overseas) × 1.3 ÷ 60 km/h; "
        "steps [0,10) 1, [10,15) 2/3, [15,20) 1/3"
    )
    print()

    # --- Catchment: full (every pair) and pruned (pairs reaching a commune with supply) --------
    columns = np.flatnonzero(supply > 0)
    # The radius search is compiled by numba and kept in its cache: the first call of a process
    # loads it (a worker pays it once); with an empty cache it is compiled (once per install).
    t0 = time.perf_counter()
    Catchment.build(StraightLineTimes(xy[:50]), columns=columns[columns < 50])
    first_call = time.perf_counter() - t0
    full_build, _, catchment = timed(lambda: Catchment.build(StraightLineTimes(xy)), 3)
    times = StraightLineTimes(xy)
    pairs = times.pairs_within(20.0)

    def end_to_end():  # what a run waits for: grid search, pairs, weights, then the APL
        pruned = Catchment.build(StraightLineTimes(xy), columns=columns)
        return pruned, pruned.apl(supply, population)

    pruned_build, _, pruned = timed(
        lambda: Catchment.build(StraightLineTimes(xy), columns=columns), args.repeat
    )
    e2e, e2e_min, (pruned, pruned_apl) = timed(end_to_end, args.repeat)
    full_e2e = full_build + statistics.median(
        [timed(lambda: catchment.apl(supply, population), 1)[0] for _ in range(3)]
    )
    print(
        f"pairs within 20 min (ordered, self included): {pairs.nnz:,}; in the full catchment: "
        f"{catchment.n_pairs:,}; pruned to the {len(columns):,} communes with supply: {pruned.n_pairs:,}"
    )
    print(f"catchment build, full (grid search, all pairs; median of 3): {full_build * 1000:5.1f} ms")
    print(f"catchment build, pruned (median of {args.repeat}):              {pruned_build * 1000:8.1f} ms")
    print(
        f"END TO END build + APL, pruned (median of {args.repeat}):    {e2e * 1000:8.1f} ms  "
        f"(min {e2e_min * 1000:.1f}; full catchment: {full_e2e * 1000:.1f} ms)"
    )
    print(
        f"  first call of the process (numba kernel "
        f"{'loaded from its cache' if first_call < 2 else 'COMPILED'}, once per process): "
        f"{first_call * 1000:.0f} ms, not in the medians"
    )
    print(
        "  pruned vs full APL, max abs difference: "
        f"{np.max(np.abs(pruned_apl - catchment.apl(supply, population))):.1e}"
    )

    apl_median, apl_min, apl = timed(lambda: catchment.apl(supply, population), args.repeat)
    print(
        f"APL, full France (median of {args.repeat}):           {apl_median * 1000:8.1f} ms  "
        f"(min {apl_min * 1000:.1f})"
    )
    per_100k = apl * 1e5
    print(
        f"  APL per 100,000 inhabitants (establishments): median {np.median(per_100k[population > 0]):.1f}, "
        f"communes with 0: {(apl == 0).sum():,}"
    )

    rng = np.random.default_rng(0)
    targets = rng.choice(len(codes), size=50, replace=False)
    whatifs = []
    for j in targets:
        t0 = time.perf_counter()
        catchment.whatif(supply, population, {int(j): 4.0})
        whatifs.append(time.perf_counter() - t0)
    retire = {int(j): -1.0 for j in rng.choice(np.flatnonzero(supply > 0), size=200, replace=False)}
    t0 = time.perf_counter()
    catchment.whatif(supply, population, retire)
    retire_time = time.perf_counter() - t0
    print(
        f"what-if, new MSP with 4 GPs (median of 50):  {statistics.median(whatifs) * 1000:8.3f} ms  "
        f"(max {max(whatifs) * 1000:.3f})"
    )
    print(f"what-if, 200 communes lose 1 GP each:        {retire_time * 1000:8.3f} ms")

    site_xy = xy[sites]
    near_median, near_min, (near, _) = timed(lambda: nearest_minutes(xy, site_xy), args.repeat)
    print(
        f"nearest emergency site, all communes (median): {near_median * 1000:6.2f} ms  "
        f"(min {near_min * 1000:.2f}); "
        f"population > 30 min (estimate, public CH sites only): "
        f"{population[near > 30].sum() / population.sum():.1%}"
    )

    # --- Peak memory of build + APL -------------------------------------------------------------
    maxrss_engine = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tracemalloc.start()
    fresh = Catchment.build(StraightLineTimes(xy))
    fresh.apl(supply, population)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del fresh
    print(f"peak memory, build + APL (tracemalloc):      {mib(peak):8.1f} MiB")
    print(f"process max RSS before PySAL (ru_maxrss):    {maxrss_engine:8.1f} MiB")
    print()

    # --- PySAL access on the same pairs ------------------------------------------------------------
    rows, cols, minutes = csr_pair_arrays(pairs)
    if args.pysal_sample:
        subset = np.zeros(len(codes), dtype=bool)
        subset[: args.pysal_sample] = True
        keep_pairs = subset[rows] & subset[cols]
        rows, cols, minutes = rows[keep_pairs], cols[keep_pairs], minutes[keep_pairs]
        sub_index = np.full(len(codes), -1)
        sub_index[subset] = np.arange(subset.sum())
        rows, cols = sub_index[rows], sub_index[cols]
        s, d, label = (
            supply[subset],
            population[subset],
            f"sub-sample: first {args.pysal_sample:,} communes by code",
        )
    else:
        s, d, label = supply, population, "all of France"
    same_pairs = MatrixTimes(len(s), rows, cols, minutes)
    right = Catchment.build(same_pairs, closed="right")  # PySAL's step_fn closes steps on the right
    ours_median, _, ours = timed(lambda: right.apl(s, d), args.repeat)
    # the peer is timed as the engine is: imports outside, one warm-up call, median of the repeats
    pysal_e2sfca(rows, cols, minutes, s, d)
    pysal_time, _, theirs = timed(lambda: pysal_e2sfca(rows, cols, minutes, s, d), args.repeat)
    finite = np.isfinite(theirs)
    theirs_filled = np.where(finite, theirs, 0.0)
    both = finite & (np.abs(theirs_filled) > 0)
    rel = np.abs(ours[both] - theirs[both]) / np.abs(theirs[both])
    zero_agree = np.all(ours[finite & (theirs_filled == 0)] == 0)
    print(f"PySAL access E2SFCA ({label}, {len(rows):,} pairs, same steps, max_cost 20):")
    print(f"  PySAL time:   {pysal_time:10.3f} s (median of {args.repeat} after a warm-up, imports outside)")
    print(f"  engine time:  {ours_median:10.4f} s (median of {args.repeat}, same pairs, products only)")
    print(f"  ratio, products only:               {pysal_time / ours_median:10.0f}× faster")
    if not args.pysal_sample:
        # PySAL fed the same pruned pairs (its computation only: it is not charged for the pairs)
        p_rows, p_cols, p_minutes = times.pair_arrays(20.0, columns)
        pysal_e2sfca(p_rows, p_cols, p_minutes, s, d)
        pysal_pruned, _, _ = timed(lambda: pysal_e2sfca(p_rows, p_cols, p_minutes, s, d), args.repeat)
        print(
            f"  PySAL on the pruned pairs ({len(p_rows):,}): {pysal_pruned:10.3f} s "
            f"(median of {args.repeat} after a warm-up)"
        )
        print(
            f"  ratio, END TO END (engine build + APL vs PySAL on pruned pairs): "
            f"{pysal_pruned / e2e:10.0f}× faster; vs PySAL on all pairs: {pysal_time / e2e:.0f}×"
        )
    print(
        f"  max relative difference engine vs PySAL: {rel.max():.2e} over {both.sum():,} communes "
        f"(zeros agree: {zero_agree}; PySAL non-finite (supply with no demand in reach): {(~finite).sum()})"
    )
    print(
        "process max RSS after PySAL (ru_maxrss):     "
        f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:8.1f} MiB"
    )


if __name__ == "__main__":
    main()
