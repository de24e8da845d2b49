"""Planning on the official scale (issues 26 and 29), on a database with all of France loaded.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/st_dev .venv/bin/python bench/bench_planning.py

Prints, from one run (medians of 7 unless said):

* ranking every commune of France for one GP, end to end from the run's cached catchment (the
  effect matrix of 35,000 candidates built, every score, the order) — target ≤ 100 ms — beside the
  peer measured in the same run: the official what-if (``official_after``) run once per candidate
  (timed on a sample, multiplied by the number of candidates) — target ratio ≥ 100×;
* a 50-GP greedy plan for the Creuse and the Lozère — target ≤ 1 s — beside the what-if run for
  every candidate at every step;
* the planning page of the Creuse (one GP; and with a 10-GP plan and the need), Django test
  client, whole request — target ≤ 300 ms;
* for the Creuse and the Lozère: the need (LP bound, greedy count, exact minimum by HiGHS and
  their times) and the greedy/optimum ratio of the 10- and 50-GP plans.
"""

import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
REPEAT = 7
EXACT_LIMIT = float(os.environ.get("EXACT_LIMIT", "120"))


def timed(fn, repeat=REPEAT):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def france_ranking(run):
    """Every atom of France a candidate, the zone France: arrays from the cache, problem, scores."""
    from indicators.engine import planning as engine
    from indicators.official.published import latest_official
    from indicators.runs.cache import model_for
    from indicators.simulate.official_whatif import official_arrays
    from indicators.simulate.planning import _population, ensure_candidates

    latest = latest_official()
    model = model_for(run)
    arrays = official_arrays(model, *latest)
    n = len(model["atoms"])
    start = time.perf_counter()
    ensure_candidates(model, arrays, np.arange(n))  # once: a pruned catchment grows every column
    print(f"   (first call only: every column of the catchment built in {time.perf_counter() - start:.1f} s)")
    population = _population(model, arrays)

    def once():
        arrays_now = official_arrays(model, *latest)
        problem = engine.Problem(
            model["catchment"].weights_t,
            arrays_now["official"],
            population,
            arrays_now["ptilde"],
            arrays_now["demand_around"],
            np.ones(n, dtype=bool),
            np.arange(n),
        )
        scores = engine.rank(problem, 1)
        return problem, engine.order(scores), scores

    return once, model, arrays


def main():
    from indicators.engine import planning as engine
    from indicators.models import ComputationRun
    from indicators.simulate import planning
    from indicators.simulate.official_whatif import change_effect
    from indicators.simulate.params import parse
    from territories.models import Departement

    run = ComputationRun.current()
    print(f"== calcul n° {run.pk}, APL officielle, 5 400 consultations par nouveau médecin ==")
    once, model, arrays = france_ranking(run)
    problem, best, scores = once()
    t_rank = timed(once)
    print(
        f"ranking of every commune of France ({problem.n} candidates, {problem.effects.nnz:,} pairs): "
        f"{t_rank * 1000:.1f} ms end to end"
    )
    top = [model["atoms"].frame.at[problem.candidates[p], "name"] for p in best[:5]]
    print(f"   top 5: {', '.join(top)}")
    catchment = model["catchment"]
    sample = np.random.default_rng(0).choice(problem.n, 500, replace=False)
    gap = problem.gaps()

    def peer_sample():
        out = []
        for c in sample:  # the what-if's own function, then the same score from its answer
            rows, effect = change_effect(catchment, arrays, int(problem.candidates[c]), 5400.0)
            out.append(float((problem.population[rows] * np.minimum(effect, gap[rows])).sum()))
        return out

    peer_values = peer_sample()
    assert np.allclose(peer_values, scores["deficit_total"][sample]), "peer and ranking disagree"
    t_peer = timed(peer_sample, 3) / len(sample) * problem.n
    print(
        f"peer — the what-if's effect function (change_effect, arrays only) once per candidate: "
        f"{t_peer * 1000:.0f} ms (500 candidates timed, × {problem.n}) → ratio {t_peer / t_rank:.0f}×"
    )

    from indicators.simulate.official_whatif import OPEN_GPS, simulate_official

    codes = model["atoms"].frame["code"].to_numpy()
    every = set(codes)
    small = sample[:30]

    def peer_service():
        for c in small:  # the what-if as the page runs it (communes, zones, classes)
            simulate_official(run, every, OPEN_GPS, commune_code=codes[problem.candidates[c]], gps=1)

    t_service = timed(peer_service, 1) / len(small) * problem.n
    print(
        f"peer — the what-if service (simulate_official, the page's function) once per candidate: "
        f"{t_service:.0f} s (30 candidates timed, × {problem.n}) → ratio {t_service / t_rank:,.0f}×"
    )

    client = Client()
    for dep in ("23", "48"):
        zone = Departement.objects.get(pk=dep)
        params, _ = parse({"plan": "50"})
        prepared = planning.prepare(run, zone, params)
        p = prepared.problem
        t_plan = timed(lambda p=p: engine.greedy(p, 50))
        plan = engine.greedy(p, 50)

        def peer_plan(p=p, steps=5):
            apl = p.apl.copy()
            for _ in range(steps):
                g = np.where(p.known, np.maximum(0, p.threshold - np.nan_to_num(apl, nan=9)), 0)
                best_c, best_v = None, -1.0
                for c in range(p.n):
                    rows, effect = change_effect(catchment, arrays, int(p.candidates[c]), 5400.0)
                    v = float((p.population[rows] * np.minimum(effect, g[rows])).sum())
                    if v > best_v:
                        best_c, best_v = (rows, effect), v
                apl[best_c[0]] += best_c[1]

        t_peer_plan = timed(peer_plan, 1) / 5 * 50
        print(
            f"{zone.name}: 50-GP greedy plan {t_plan * 1000:.1f} ms ({p.n} candidates); peer (the what-if "
            f"per candidate per step, 5 steps timed × 10) {t_peer_plan * 1000:.0f} ms → ratio "
            f"{t_peer_plan / t_plan:.0f}×; population under 2.5 {plan.under[0]:,.0f} → {plan.under[-1]:,.0f}"
        )

    url = "/indicateurs/planification/departement/23/"
    for label, query in [
        ("one GP", ""),
        ("MSP of 3", "?medecins=3"),
        ("10-GP plan + need", "?plan=10&besoin=1"),
    ]:
        response = client.get(url + query)
        assert response.status_code == 200, response.status_code
        t_page = timed(lambda q=query: client.get(url + q))
        print(f"page Creuse ({label}): {t_page * 1000:.0f} ms")

    print(f"== need and exact plans (HiGHS, time limit {EXACT_LIMIT:.0f} s) ==")
    for dep in ("23", "48"):
        zone = Departement.objects.get(pk=dep)
        params, _ = parse({"besoin": "1"})
        p = planning.prepare(run, zone, params).problem
        need = engine.need(p)
        exact = engine.exact_need(p, time_limit=EXACT_LIMIT)
        exact_text = (
            f"{exact.objective:.0f} ({exact.status}, {exact.seconds:.1f} s)"
            if exact.status == "optimal"
            else f"at most {exact.objective}, at least {exact.bound} ({exact.status}, {exact.seconds:.1f} s)"
        )
        print(
            f"{zone.name} need under 2.5: LP bound {need.lower} ({need.lp_value:.2f}, "
            f"{need.lp_milliseconds:.0f} ms)"
            f" ≤ exact {exact_text} ≤ greedy {need.upper} ({need.greedy.milliseconds:.0f} ms)"
        )
        for n in (10, 50):
            greedy = engine.greedy(p, n)
            best = engine.exact_plan(p, n, time_limit=EXACT_LIMIT)
            print(
                f"   plan of {n}: greedy {greedy.objective:,.0f} ({greedy.milliseconds:.1f} ms), exact "
                f"{best.objective:,.0f} ({best.status}, {best.seconds:.2f} s) → greedy/optimum "
                f"{greedy.objective / best.objective:.2%}"
            )


if __name__ == "__main__":
    main()
