"""Load benchmark of the portal as deployed: gunicorn with the production settings on PostGIS and
Redis, over loopback, bounded in time; locust for users who read what they open, wrk for the
saturation passes.

    pip install locust; apt-get install wrk     # bench tools, not needed by the portal or tests
    DATABASE_URL=postgis://postgres@127.0.0.1:5432/st_dev .venv/bin/python bench/bench_meeting.py \
        [--users 20] [--seconds 60] [--think-ms 1000]

Passes, each printing requests per second, p50 / p95 / p99 / max latency and errors:

1. **council meeting** (the target; locust): ``--users`` élus, each opening a page, reading it
   for a think time (uniform between 0.5× and 1.5× ``--think-ms``) and opening the next; the mix
   covers commune, EPCI, bassin de vie, département and région pages, the home page, the national
   map layer, a département's commune layer and API calls (values, ranking, classes, offers,
   communes, map GeoJSON); the figures per kind of page are printed too;
2. **saturation** (wrk): the same mix and number of connections with no think time (what the
   server can take);
3. **peer, same run** (wrk): the health endpoint ``/sante/`` (one trivial query) under the same
   saturation, the floor of this stack on this machine; the ratio mix / floor is printed.
(wrk measures latency wrongly with think times on a server that closes connections, as gunicorn's
sync workers do: hence locust for pass 1.) The anonymous API rate limit is lifted for the run
(every simulated user shares 127.0.0.1); the server's caches start cold and are warmed by one
pass over the mix, as they would be by the first visitors.
"""

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_load import ROOT, free_port, start, stop, wait_ready

MIX = [
    "/territoires/commune/23096/",
    "/territoires/commune/48095/",
    "/territoires/commune/75056/",
    "/territoires/commune/13055/",
    "/territoires/commune/33063/",
    "/territoires/epci/200034825/",
    "/territoires/epci/243300316/",
    "/territoires/bassin-de-vie/23096/",
    "/territoires/departement/23/",
    "/territoires/departement/48/",
    "/territoires/departement/33/",
    "/territoires/region/75/",
    "/territoires/region/76/",
    "/",
    "/indicateurs/carte/france.geojson",
    "/indicateurs/carte/departement/23/classes.geojson",
    "/api/v1/territoires/commune/23096/",
    "/api/v1/indicateurs/valeurs/departement/23/",
    "/api/v1/indicateurs/valeurs/commune/48095/",
    "/api/v1/indicateurs/classement/departement/23/?niveau=commune",
    "/api/v1/indicateurs/classes/epci/200034825/",
    "/api/v1/offres/?departement=33",
    "/api/v1/territoires/?region=76&page_size=1000",
    "/api/v1/indicateurs/carte/departement/48/?indicateur=temps_mg",
]


def category(path):
    """The kind of page a path is (locust aggregates the figures per kind)."""
    if path.startswith("/api/v1/"):
        return "API " + path.split("/")[3]
    if path.startswith("/territoires/"):
        return "page " + path.split("/")[2]
    if path.endswith(".geojson"):
        return "map layer"
    return "home page"


LUA = r"""
local paths = {%(paths)s}
local think = %(think)d
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7)
  table.insert(threads, thread)
end

function init(args)
  errors = 0
  i = offset
  math.randomseed(offset)
end

function request()
  i = i + 1
  return wrk.format("GET", paths[(i %% #paths) + 1], {["Accept-Encoding"] = "gzip"})
end

function delay()
  if think == 0 then return 0 end
  return math.random(math.floor(think / 2), math.floor(think * 3 / 2))
end

function response(status, headers, body)
  if status ~= 200 then errors = errors + 1 end
end

function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + t:get("errors") end
  local s = summary.errors
  io.write(string.format(
    "RESULT requests=%%d seconds=%%.3f p50=%%.1f p95=%%.1f p99=%%.1f max=%%.1f bad=%%d socket=%%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    e, s.connect + s.read + s.write + s.timeout))
end
"""


def wrk(base, paths, users, seconds, think_ms):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(LUA % {"paths": ", ".join(f'"{p}"' for p in paths), "think": think_ms})
        script = f.name
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{min(2, users)}",
                f"-c{users}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                script,
                base,
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    finally:
        os.unlink(script)
    line = next(line for line in out.splitlines() if line.startswith("RESULT"))
    r = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}
    r["rps"] = r["requests"] / r["seconds"]
    r["errors"] = int(r["bad"] + r["socket"])
    return r


def locust(base, users, seconds, think_ms):
    """Users who read what they open (locust, headless); returns the aggregate and each kind."""
    import csv

    prefix = Path(tempfile.mkdtemp(prefix="bench-locust-")) / "run"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "locust"),
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(users),
            "--spawn-rate",
            str(users),
            "--run-time",
            f"{seconds}s",
            "--host",
            base,
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT / "bench",
        env={**os.environ, "THINK_MS": str(think_ms), "PYTHONPATH": str(ROOT / "bench")},
        capture_output=True,
        timeout=seconds + 120,
        check=False,  # locust exits 1 when a request failed: the failures are reported below
    )
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as f:
        for row in csv.DictReader(f):
            rows[row["Name"]] = {
                "requests": float(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]),
                "p50": float(row["50%"]),
                "p95": float(row["95%"]),
                "p99": float(row["99%"]),
                "max": float(row["Max Response Time"]),
            }
    return rows.pop("Aggregated"), rows


def show(name, r):
    print(
        f"  {name:<46} {r['rps']:7.1f} req/s  p50 {r['p50']:6.1f}  p95 {r['p95']:6.1f}  "
        f"p99 {r['p99']:6.1f}  max {r['max']:7.1f} ms  {int(r['requests'])} requests, {r['errors']} errors"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--think-ms", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=3)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    if not (Path(sys.executable).parent / "locust").exists():
        sys.exit("locust is missing: .venv/bin/pip install locust")
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a PostGIS database with all of France loaded (make run / load_all)")
    bin_dir = Path(sys.executable).parent
    static = tempfile.mkdtemp(prefix="bench-static-")
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "False",
            "CACHE_URL": "redis://127.0.0.1:6379/13",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
            "STATIC_ROOT": static,
            "API_RATE_LIMIT": "1000000/m",
            "LOG_LEVEL": "WARNING",
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
        }
    )
    subprocess.run(["redis-cli", "-n", "13", "flushdb"], check=True, capture_output=True)
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = start(
        [
            str(bin_dir / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(args.workers),
        ],
        env,
    )
    try:
        wait_ready(base)
        began = time.perf_counter()
        warm = wrk(base, MIX, 1, max(5, len(MIX) // 2), 0)  # every page once or more, caches cold
        warm_s = time.perf_counter() - began
        meeting, kinds = locust(base, args.users, args.seconds, args.think_ms)
        saturation = wrk(base, MIX, args.users, max(10, args.seconds // 3), 0)
        floor = wrk(base, ["/sante/"], args.users, max(10, args.seconds // 3), 0)
    finally:
        stop(web)
    print(
        f"gunicorn, {args.workers} workers, production settings, PostGIS + Redis; locust and wrk over "
        f"loopback; {len(MIX)} URLs in turn; the load generators share the 2 cores"
    )
    show(f"warm-up, 1 user, cold caches ({warm_s:.0f} s)", warm)
    show(f"council meeting: {args.users} users, think {args.think_ms} ms, {args.seconds} s", meeting)
    for name, r in sorted(kinds.items()):
        show(f"    {name}", r)
    show(f"saturation: {args.users} users, no think time", saturation)
    show("peer: /sante/ (floor), same saturation", floor)
    print(
        f"  p95 of the meeting: {meeting['p95']:.1f} ms (target ≤ 150 ms, {meeting['errors']} errors); "
        f"saturation throughput {saturation['rps']:.0f} req/s "
        f"= {saturation['rps'] / floor['rps']:.2f} × the floor's"
    )


if __name__ == "__main__":
    main()
