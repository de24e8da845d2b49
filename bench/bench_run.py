"""A full computation run on all of France, end to end, with its stage times.

    DATABASE_URL=postgis://…/st_dev .venv/bin/python bench/bench_run.py [--repeat 3]
    DATABASE_URL=spatialite:///…/var/dev.sqlite3 .venv/bin/python bench/bench_run.py

Needs the base loaded (``manage.py load_all``). Each repetition is what an admin waits for after an
import: read the inputs, build the catchment, compute every indicator of every commune, aggregate
every zone, classify, write the values, compare with the current run and switch. The catchment
cache is cleared before each run (a cold engine); the compiled kernel is loaded first, as a Celery
worker process does when it starts, and that load is printed apart. Runs created here are
published like any other (same inputs: the values do not change).

Prints the total (median) and, beside it, the stage times stored by the run (``stage_seconds``);
« bascule » is the rest: diff with the previous run and the atomic switch.
"""

import argparse
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

from django.db import connection  # noqa: E402

from indicators.models import ComputationRun, IndicatorValue  # noqa: E402
from indicators.runs import cache, services  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    from common import header

    header("bench_run")
    # A Celery worker process loads the compiled catchment kernel when it starts
    # (indicators.tasks.load_engine); so does this process, timed apart.
    from indicators.engine import grid

    start = time.perf_counter()
    grid.warm_up()
    print(f"kernel loaded as a worker does at start: {time.perf_counter() - start:.2f} s (not in the runs)")
    totals, stages = [], []
    for _ in range(args.repeat):
        cache.clear()
        start = time.perf_counter()
        run = services.recompute(ComputationRun.Trigger.COMMAND)
        total = time.perf_counter() - start
        run.refresh_from_db()
        if run.status != ComputationRun.Status.SUCCEEDED:
            sys.exit(f"run {run.pk} {run.status}: {run.error if hasattr(run, 'error') else run.step}")
        parts = dict(run.summary.get("stage_seconds", {}))
        parts["bascule"] = round(total - sum(parts.values()), 3)
        totals.append(total)
        stages.append(parts)
        values = IndicatorValue.objects.filter(run=run).count()
        print(
            f"run {run.pk}: {total:.2f} s — {run.summary['communes']} communes, {values} values — "
            + ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
        )
    median = statistics.median(totals)
    keys = list(stages[0])
    print(
        f"\n{connection.vendor}: full run median {median:.2f} s over {len(totals)} "
        f"(min {min(totals):.2f}, max {max(totals):.2f}); stages (median): "
        + ", ".join(f"{k} {statistics.median(s[k] for s in stages):.2f} s" for k in keys)
    )


if __name__ == "__main__":
    main()
