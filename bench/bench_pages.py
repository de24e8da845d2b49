"""Pages an élu waits for, on a database with all of France loaded (``make run``, or
``DATABASE_URL=postgis://…`` after ``manage.py load_all``).

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/st_dev .venv/bin/python bench/bench_pages.py

Prints, from one run:

* the size of the national map layer, of a département's communes layer and of a région's,
  raw and gzipped (targets: ≤ 300 kB, ≤ 100 kB and ≤ 300 kB gzipped);
* the median server time (Django test client, whole request: URL routing, queries, template) of
  the pages of every level (home, commune Guéret, its EPCI and bassin de vie, the Creuse,
  Île-de-France, Nouvelle-Aquitaine, the rankings of the Creuse's and of Nouvelle-Aquitaine's
  communes, a comparison, the registry), four ways: an
  anonymous hit of the page cache, an anonymous render with the cache emptied before each request,
  a signed-in élu's render with the cache emptied (signed-in users never get the page cache), and
  her render once the zone's shared parts are cached (the figures and sections every visitor
  sees: her later views until the data change) — with the signed-in query counts, cold and warm;
* the what-if on the official scale for one new MSP in Guéret: the effect alone and the whole
  page (POST, render), beside the peer measured in the same run — a full E2SFCA recomputation of
  every commune's APL with the changed supply (``Catchment.apl``), which is what a simulation
  would cost without the linear update (targets: effect < 50 ms, page < 200 ms).
"""

import gzip
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

from django.conf import settings  # noqa: E402
from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

settings.ALLOWED_HOSTS = ["*"]
REPEAT = 7


def timed(fn, repeat=REPEAT):
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), min(runs)


def page_list():
    from territories.models import Commune

    gueret = Commune.objects.get(pk="23096")
    return [
        ("home (national map)", "/"),
        ("commune Guéret", "/territoires/commune/23096/"),
        ("EPCI of Guéret", f"/territoires/epci/{gueret.epci_id}/"),
        ("bassin de vie of Guéret", f"/territoires/bassin-de-vie/{gueret.bassin_de_vie_id}/"),
        ("département Creuse", "/territoires/departement/23/"),
        ("région Île-de-France", "/territoires/region/11/"),
        ("région Nouvelle-Aquitaine", "/territoires/region/75/"),
        ("ranking of the Creuse's communes", "/indicateurs/classement/departement/23/"),
        ("ranking of N.-Aquitaine's communes", "/indicateurs/classement/region/75/?niveau=commune"),
        (
            "comparison of 3 communes",
            "/indicateurs/comparer/?t=commune:23096&t=commune:48095&t=commune:75056",
        ),
        ("registry /offre/", "/offre/"),
    ]


def count_queries(client, url, clear=True):
    queries = []

    def count(execute, sql, *args):
        queries.append(sql)
        return execute(sql, *args)

    if clear:
        cache.clear()
    with connection.execute_wrapper(count):
        response = client.get(url)  # (request_started resets Django's own query log)
    return response.status_code, len(queries)


def uncached(client, url):
    """Median server time of a render with the cache emptied before every request."""
    runs = []
    for _ in range(REPEAT):
        cache.clear()
        start = time.perf_counter()
        client.get(url)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def pages(anonymous):
    """Every level, four ways: anonymous from the page cache (hit); anonymous and signed-in with the
    cache emptied before each request (what the first visitor after a run or an edit waits for);
    signed-in once the zone's shared parts are cached (``territories.web.zone_parts``: every later
    signed-in view of the zone until the data change). Targets: uncached ≤ 150 ms on PostGIS,
    ≤ 300 ms on SpatiaLite."""
    from django.contrib.auth.models import Group, User

    elu, _ = User.objects.get_or_create(username="bench-elu")
    elu.groups.add(Group.objects.get_or_create(name="élus")[0])
    signed_in = Client()
    signed_in.force_login(elu)
    print(
        f"== pages (server time, median of {REPEAT}; page cache {settings.PAGE_CACHE_SECONDS} s; "
        f"{connection.vendor}) =="
    )
    print(
        f"  {'page':<34} {'anon hit':>9} {'anon cold':>10} {'signed cold':>12} {'signed warm':>12}"
        "  queries (signed cold / warm)"
    )
    for label, url in page_list():
        anonymous.get(url)
        hit, _ = timed(lambda url=url: anonymous.get(url))
        cold = uncached(anonymous, url)
        status, queries = count_queries(signed_in, url)
        if status != 200:
            print(f"  {label:<34} HTTP {status} (skipped)")
            continue
        signed = uncached(signed_in, url)
        signed_in.get(url)  # the shared parts are stored
        warm, _ = timed(lambda url=url: signed_in.get(url))
        _status, warm_queries = count_queries(signed_in, url, clear=False)
        print(
            f"  {label:<34} {hit * 1000:7.1f} ms {cold * 1000:8.1f} ms {signed * 1000:10.1f} ms "
            f"{warm * 1000:10.1f} ms  {queries:4d} / {warm_queries}"
        )


def main():
    from common import header

    header("bench_pages")
    from indicators.api.values import atoms_of_zone
    from indicators.models import ComputationRun
    from indicators.runs.cache import model_for
    from indicators.simulate.official_whatif import NEW_GP_CONSULTATIONS, OPEN_GPS, simulate_official
    from territories.models import Departement

    client = Client()
    print("== map layers ==")
    for label, url in [
        ("national layer (départements)", "/indicateurs/carte/france.geojson"),
        ("Creuse communes (classes)", "/indicateurs/carte/departement/23/classes.geojson"),
        ("Creuse communes (outlines)", "/territoires/departement/23/geojson/"),
        ("Nouvelle-Aquitaine communes (classes)", "/indicateurs/carte/region/75/classes.geojson"),
    ]:
        client.get(url)  # warm the cache
        body = client.get(url).content
        zipped = len(gzip.compress(body)) / 1024
        print(f"  {label:<38} {len(body) / 1024:8.1f} kB raw {zipped:7.1f} kB gzipped")

    pages(client)

    print("== what-if on the official scale: one MSP of 4 GPs in Guéret ==")
    run = ComputationRun.current()
    start = time.perf_counter()
    model = model_for(run)
    build = time.perf_counter() - start
    creuse = set(atoms_of_zone(Departement.objects.get(pk="23")))
    start = time.perf_counter()
    simulate_official(run, creuse, OPEN_GPS, commune_code="23096", gps=4)
    first = time.perf_counter() - start
    effect, _ = timed(lambda: simulate_official(run, creuse, OPEN_GPS, commune_code="23096", gps=4))
    # the peer: a full recomputation of every commune's APL with the changed supply
    supply = model["supply"].copy()
    supply[model["index"]["23096"]] += 4 * NEW_GP_CONSULTATIONS
    demand = model["demand"]
    full, _ = timed(lambda: model["catchment"].apl(supply, demand))
    model["catchment"].apl(model["supply"], demand)  # restore the cached base
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="bench-whatif", defaults={"is_superuser": True})
    user.is_superuser = True
    user.save()
    client.force_login(user)
    url = "/indicateurs/simulation/departement/23/"
    data = {"action": OPEN_GPS, "commune": "23096", "gps": "4", "activity": "5400"}
    assert client.post(url, data).status_code == 200
    page, _ = timed(lambda: client.post(url, data))
    print(f"  catchment of the run (once per process)  {build * 1000:8.1f} ms")
    print(f"  first simulation (reads the official APL) {first * 1000:8.1f} ms")
    print(f"  simulation, effect + zones (median)      {effect * 1000:8.1f} ms")
    print(f"  simulation page, POST + render (median)  {page * 1000:8.1f} ms")
    print(
        f"  peer: full APL recomputation (median)    {full * 1000:8.1f} ms "
        f"(ratio peer / effect {full / effect:.2f})"
    )
    print(f"  communes in the catchment model: {len(model['atoms'])}, pairs: {model['catchment'].n_pairs}")


if __name__ == "__main__":
    main()
