"""Load benchmark of the production command: the Procfile's web process (gunicorn, production
settings, Redis cache) under twenty concurrent élus opening the pages of a council meeting, beside
the peer measured in the same run: Django's development server (threaded) on the same database.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/st_dev .venv/bin/python bench/bench_load.py \
        [--clients 20] [--seconds 20]

Traffic goes to 127.0.0.1 only; every loop is bounded in count and time. Prints, for each server:
requests per second, median and 95th percentile latency, errors; and the throughput ratio.
The load generator shares the 2 cores with the server (as the issue's probe did).
"""

import argparse
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = [
    "/",
    "/territoires/commune/23096/",
    "/territoires/departement/23/",
    "/indicateurs/carte/france.geojson",
    "/indicateurs/carte/departement/23/classes.geojson",
    "/indicateurs/comparer/?t=commune:23096&t=commune:23176&t=commune:23008",
    "/territoires/commune/48095/",
    "/sante/",
]
MAX_REQUESTS = 20_000


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(base + "/sante/", timeout=2) as r:  # noqa: S310 (loopback)
                if r.status in (200, 503):
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{base} did not start")


def load(base, clients, seconds):
    latencies, errors, count = [], [0], [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(n):
        i = n
        while time.monotonic() < stop:
            with lock:
                if count[0] >= MAX_REQUESTS:
                    return
                count[0] += 1
            url = base + PAGES[i % len(PAGES)]
            i += 1
            start = time.perf_counter()
            try:
                request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
                with urllib.request.urlopen(request, timeout=30) as r:  # noqa: S310 (loopback)
                    r.read()
                    ok = r.status == 200
            except Exception:
                ok = False
            elapsed = time.perf_counter() - start
            with lock:
                latencies.append(elapsed)
                if not ok:
                    errors[0] += 1

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds + 60)
    wall = time.monotonic() - began
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": len(latencies) / wall,
        "p50": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p95": latencies[int(0.95 * (len(latencies) - 1))] * 1000 if latencies else float("nan"),
        "errors": errors[0],
    }


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


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=20)
    args = parser.parse_args()
    database = os.environ.get("DATABASE_URL")
    if not database:
        sys.exit("set DATABASE_URL to a database with all of France loaded (make run / load_all)")
    bin_dir = Path(sys.executable).parent
    static = tempfile.mkdtemp(prefix="bench-static-")
    base_env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    prod = {
        **base_env,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "False",
        "CACHE_URL": "redis://127.0.0.1:6379/13",
        "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
        "STATIC_ROOT": static,
        "LOG_LEVEL": "WARNING",
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '')}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=prod, check=True
    )
    results = {}
    port = free_port()
    web = start(
        [
            str(bin_dir / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "3",
            "--log-level",
            "warning",
        ],
        prod,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        load(f"http://127.0.0.1:{port}", 4, 3)  # warm caches
        results["gunicorn (make serve's web, 3 workers, prod settings)"] = load(
            f"http://127.0.0.1:{port}", args.clients, args.seconds
        )
    finally:
        stop(web)
    port = free_port()
    dev = {**base_env, "DJANGO_SETTINGS_MODULE": "config.settings.base", "LOG_LEVEL": "WARNING"}
    runserver = start([sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"], dev)
    try:
        wait_ready(f"http://127.0.0.1:{port}")
        load(f"http://127.0.0.1:{port}", 4, 3)
        results["peer: Django runserver (threaded, development)"] = load(
            f"http://127.0.0.1:{port}", args.clients, args.seconds
        )
    finally:
        stop(runserver)
    print(f"{args.clients} concurrent clients, {args.seconds} s, {len(PAGES)} pages in turn")
    for name, r in results.items():
        print(
            f"  {name:<55} {r['rps']:7.1f} req/s  p50 {r['p50']:7.1f} ms  p95 {r['p95']:7.1f} ms  "
            f"{r['requests']} requests, {r['errors']} errors"
        )
    names = list(results)
    if len(names) == 2 and results[names[1]]["rps"]:
        ratio = results[names[0]]["rps"] / results[names[1]]["rps"]
        print(f"  throughput ratio gunicorn / runserver: {ratio:.2f}")


if __name__ == "__main__":
    main()
