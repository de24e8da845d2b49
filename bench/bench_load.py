"""Load benchmark of the portal as deployed: the Procfile's web process (gunicorn, production
settings, Redis cache) on a database with all of France, under a council meeting's élus — one
table, every pass measured in the same run, on 127.0.0.1 only, every loop bounded in count and time.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/st_dev .venv/bin/python bench/bench_load.py \
        [--users 20] [--seconds 60] [--think-ms 1000] [--no-new-run]

Passes (each prints requests, req/s, p50 / p95 / p99 / max latency, errors):

1. **cold, right after a new run**: a computation run is made first (``compute_indicators``:
   the data state changes, so every cached page is stale), then one anonymous and one signed-in
   user open each page of the mix once, in turn — what the first visitors after a run wait for;
2. **council meeting** (the target: p95 ≤ 300 ms, 0 errors): ``--users`` users, **half signed in**
   (élus: never served from the page cache; their territory pages compute what is theirs and read
   the zone's shared parts from the cache, ``territories.web.zone_parts``), each opening a page of
   the mix, reading it for a think time (uniform 0.5–1.5 × ``--think-ms``), then the next, for
   ``--seconds``;
3. **peer, same run and same users**: the health endpoint ``/sante/`` (one trivial query), the
   floor of this stack on this machine; the ratio of the p95s is printed.

The load generator (Python threads) shares the cores with the server: the machine's load average
is printed in the header. The anonymous API rate limit is lifted for the run (every simulated user
shares 127.0.0.1).
"""

import argparse
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIX = [
    "/territoires/commune/23096/",
    "/territoires/commune/48095/",
    "/territoires/commune/75056/",
    "/territoires/commune/33063/",
    "/territoires/epci/200034825/",
    "/territoires/bassin-de-vie/23096/",
    "/territoires/departement/23/",
    "/territoires/departement/33/",
    "/territoires/region/75/",
    "/territoires/region/11/",
    "/",
    "/indicateurs/carte/france.geojson",
    "/indicateurs/carte/departement/23/classes.geojson",
    "/indicateurs/comparer/?t=commune:23096&t=commune:23176&t=commune:23008",
    "/api/v1/territoires/commune/23096/",
    "/api/v1/indicateurs/valeurs/departement/23/",
    "/api/v1/indicateurs/classement/departement/23/?niveau=commune",
    "/api/v1/offres/?departement=33",
]
MAX_REQUESTS = 20_000
TIMEOUT = 30


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base, timeout=240):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/sante/", timeout=15) as r:  # noqa: S310 (loopback)
                if r.status in (200, 503):
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{base} did not start")


def fetch(base, path, cookie=None):
    """(seconds, ok) of one GET (gzip accepted, body read)."""
    headers = {"Accept-Encoding": "gzip"}
    if cookie:
        headers["Cookie"] = cookie
    start = time.perf_counter()
    try:
        request = urllib.request.Request(base + path, headers=headers)
        with urllib.request.urlopen(request, timeout=TIMEOUT) as r:  # noqa: S310 (loopback)
            r.read()
            ok = r.status == 200
    except Exception:
        ok = False
    return time.perf_counter() - start, ok


def summary(latencies, errors, wall):
    latencies = sorted(latencies)

    def pct(p):
        return (
            latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")
        )

    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall if wall else 0.0,
        "p50": pct(0.50),
        "p95": pct(0.95),
        "p99": pct(0.99),
        "max": latencies[-1] * 1000 if latencies else float("nan"),
        "errors": errors,
    }


def cold_pass(base, cookie):
    """One anonymous and one signed-in visitor open each page once, in turn."""
    latencies, errors = [], 0
    began = time.monotonic()
    for path in MIX:
        for who in (None, cookie):
            elapsed, ok = fetch(base, path, who)
            latencies.append(elapsed)
            errors += not ok
    return summary(latencies, errors, time.monotonic() - began)


def users_pass(base, paths, cookies, seconds, think_ms):
    """len(cookies) users (None: anonymous) with think time, for ``seconds``."""
    latencies, errors, count = [], [0], [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def user(n, cookie):
        rng = random.Random(n)
        i = rng.randrange(len(paths))
        time.sleep(rng.uniform(0, think_ms / 1000))  # users do not all arrive at once
        while time.monotonic() < stop_at:
            with lock:
                if count[0] >= MAX_REQUESTS:
                    return
                count[0] += 1
            elapsed, ok = fetch(base, paths[i % len(paths)], cookie)
            i += 1
            with lock:
                latencies.append(elapsed)
                errors[0] += not ok
            time.sleep(rng.uniform(0.5, 1.5) * think_ms / 1000)

    threads = [threading.Thread(target=user, args=(n, c)) for n, c in enumerate(cookies)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + TIMEOUT + 5)
    return summary(latencies, errors[0], time.monotonic() - began)


def start(cmd, env):
    return subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def signed_in_cookies(env, count):
    """Session cookies of ``count`` signed-in élus (a bench user), made by the portal's own session
    store with the production settings (no sign-in form: its rate limit is per IP)."""
    code = (
        "import django; django.setup()\n"
        "from django.conf import settings\n"
        "from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model\n"
        "from importlib import import_module\n"
        "user, _ = get_user_model().objects.get_or_create(username='bench-elu')\n"
        "store = import_module(settings.SESSION_ENGINE).SessionStore\n"
        f"for _ in range({count}):\n"
        "    s = store(); s[SESSION_KEY] = str(user.pk)\n"
        "    s[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]\n"
        "    s[HASH_SESSION_KEY] = user.get_session_auth_hash(); s.save()\n"
        "    print(settings.SESSION_COOKIE_NAME + '=' + s.session_key)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"signed-in sessions could not be made:\n{out.stderr}")
    return out.stdout.split()


def prod_env(bin_dir):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY") or secrets.token_urlsafe(50),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "False",
            "CACHE_URL": os.environ.get("BENCH_CACHE_URL", "redis://127.0.0.1:6379/13"),
            "CELERY_BROKER_URL": os.environ.get("BENCH_BROKER_URL", "redis://127.0.0.1:6379/12"),
            "STATIC_ROOT": str(ROOT / "var" / "bench-static"),
            "API_RATE_LIMIT": "1000000/m",
            "LOG_LEVEL": "WARNING",
            "PYTHONPATH": str(ROOT),
            "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
        }
    )
    env.setdefault("MEDIA_ROOT", str(Path(tempfile.mkdtemp(prefix="bench-media-")) / "media"))
    return env


def row(name, r):
    print(
        f"| {name} | {r['requests']} | {r['rps']:.1f} | {r['p50']:.0f} ms | {r['p95']:.0f} ms | "
        f"{r['p99']:.0f} ms | {r['max']:.0f} ms | {r['errors']} |"
    )


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--think-ms", type=int, default=1000)
    parser.add_argument("--no-new-run", action="store_true", help="skip the computation run before pass 1")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("set DATABASE_URL to a database with all of France loaded (make run / load_all)")
    bin_dir = Path(sys.executable).parent
    env = prod_env(bin_dir)
    from common import header, load_average

    header("bench_load")
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    signed = signed_in_cookies(env, args.users // 2)
    cookies = signed + [None] * (args.users - len(signed))
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    web = start(
        [
            str(bin_dir / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--timeout",
            "60",
            "--log-level",
            "warning",
        ],
        env,
    )
    try:
        wait_ready(base)
        fetch(base, "/sante/")
        if not args.no_new_run:
            began = time.perf_counter()
            subprocess.run(
                [sys.executable, "manage.py", "compute_indicators", "--trigger", "command"],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
            )
            print(f"new computation run: {time.perf_counter() - began:.1f} s (cached pages now stale)")
        cold = cold_pass(base, signed[0] if signed else None)
        meeting = users_pass(base, MIX, cookies, args.seconds, args.think_ms)
        peer = users_pass(base, ["/sante/"], cookies, min(args.seconds, 20), args.think_ms)
    finally:
        stop(web)
    print(
        f"gunicorn (Procfile's web, 3 workers, prod settings, Redis cache); {len(MIX)} URLs; "
        f"{args.users} users ({len(signed)} signed in), think {args.think_ms / 2000:.1f}–"
        f"{args.think_ms * 1.5 / 1000:.1f} s"
    )
    print("| pass | requests | req/s | p50 | p95 | p99 | max | errors |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    row("cold, right after a new run: each URL once, anonymous then signed in", cold)
    row(f"**council meeting: {args.users} users, half signed in, {args.seconds} s**", meeting)
    row("peer, same users: `/sante/` (one query)", peer)
    ratio = meeting["p95"] / peer["p95"] if peer["p95"] else float("nan")
    verdict = "met" if meeting["p95"] <= 300 and meeting["errors"] == 0 else "NOT met"
    print(f"p95 meeting / p95 floor: {ratio:.1f}×; target p95 ≤ 300 ms with 0 errors: {verdict}")
    print(f"load average after: {load_average()}")


if __name__ == "__main__":
    main()
