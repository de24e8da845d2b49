"""Times the full-France territorial import (COG 2026 + BV2022/AAV2020 + outlines) on PostGIS and SpatiaLite.

Usage: .venv/bin/python bench/bench_territories.py [--skip-spatialite]
Each backend gets a fresh, migrated database; the import runs twice (the second must change nothing).
Target (issue 2): first import under 30 s on PostGIS on a 2-core machine. A benchmark, not a test.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgis://postgres@127.0.0.1:5432/postgres"
PG_BENCH = "postgis://postgres@127.0.0.1:5432/st_bench_territories"
SQLITE_BENCH = ROOT / "var" / "bench-territories.sqlite3"

SCRIPT = """
import json, os, sys, time, resource
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
django.setup()
from django.core.management import call_command
from territories import importers
from territories.models import Commune
call_command("migrate", verbosity=0)
out = {}
for attempt in ("first", "second"):
    steps = {}
    start = time.perf_counter()
    # the outlines as load_all imports them: the one invalid IGN contour (67226) repaired, said so
    for name, step in (("cog", importers.import_cog), ("supracom", importers.import_supracom),
                       ("geo", lambda: importers.import_geometries(repair=True))):
        t = time.perf_counter()
        ds = step()
        steps[name] = (round(time.perf_counter() - t, 2), ds.rows_changed)
    out[attempt] = {"total": round(time.perf_counter() - start, 2), "steps": steps}
out["communes"] = Commune.objects.filter(kind="COM", is_active=True).count()
out["with_geometry"] = Commune.objects.filter(kind="COM", geometry__isnull=False).count()
out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
print("RESULT " + json.dumps(out))
"""


def run(database_url):
    env = {**os.environ, "DATABASE_URL": database_url}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    line = next((line for line in proc.stdout.splitlines() if line.startswith("RESULT ")), None)
    if line is None:
        sys.exit(f"bench failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-4000:]}")
    import json

    return json.loads(line[7:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-spatialite", action="store_true")
    args = parser.parse_args()
    from common import header

    header("bench_territories")
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "DROP DATABASE IF EXISTS st_bench_territories"],
        check=True,
    )
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", "CREATE DATABASE st_bench_territories"],
        check=True,
    )
    results = {"PostGIS": run(PG_BENCH)}
    if not args.skip_spatialite:
        SQLITE_BENCH.unlink(missing_ok=True)
        results["SpatiaLite"] = run(f"spatialite:///{SQLITE_BENCH}")
    print(
        f"{'backend':<11} {'1st import':>10} {'cog':>6} {'supracom':>9} {'geo+zones':>10} "
        f"{'2nd import':>10} {'rows changed 2nd':>17} {'communes':>9} {'geom':>6} {'peak RSS':>9}"
    )
    for backend, r in results.items():
        first, second = r["first"], r["second"]
        changed = sum(v[1] for v in second["steps"].values())
        print(
            f"{backend:<11} {first['total']:>9.1f}s {first['steps']['cog'][0]:>5.1f}s "
            f"{first['steps']['supracom'][0]:>8.1f}s {first['steps']['geo'][0]:>9.1f}s "
            f"{second['total']:>9.1f}s "
            f"{changed:>17} {r['communes']:>9} {r['with_geometry']:>6} {r['peak_rss_mb']:>7} MB"
        )
    pg = results["PostGIS"]["first"]["total"]
    print(f"PostGIS first import: {pg:.1f} s — target < 30 s: {'OK' if pg < 30 else 'MISSED'}")
    if "SpatiaLite" in results:
        print(
            f"ratio SpatiaLite / PostGIS (first import): {results['SpatiaLite']['first']['total'] / pg:.2f}"
        )


if __name__ == "__main__":
    time.sleep(0)
    main()
