"""Queries and time of every operation of the public API, uncached then cached, on the database
of DATABASE_URL (all of France loaded: make run / load_all); the peer measured in the same run is
the territory page of the same zone, uncached.

    DATABASE_URL=postgis://postgres@127.0.0.1:5432/st_dev .venv/bin/python bench/bench_api.py
"""

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ["RATELIMIT_ENABLE"] = "False"

import django  # noqa: E402

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from config.api import api  # noqa: E402


def operations(run_id, offer_id):
    return [
        "/api/v1/territoires/recherche/?q=gueret",
        "/api/v1/territoires/region/75/",
        "/api/v1/territoires/region/75/communes/?page_size=1000",
        "/api/v1/territoires/?within=region:75&page_size=1000",
        "/api/v1/indicateurs/definitions/",
        "/api/v1/indicateurs/valeurs/departement/23/",
        "/api/v1/indicateurs/classement/region/75/?niveau=commune&page_size=1000",
        "/api/v1/indicateurs/classes/departement/23/?page_size=1000",
        "/api/v1/indicateurs/calculs/",
        f"/api/v1/indicateurs/calculs/{run_id}/",
        "/api/v1/indicateurs/carte/departement/23/?indicateur=temps_mg",
        "/api/v1/offres/?region=75&page_size=1000",
        f"/api/v1/offres/{offer_id}/",
        "/api/v1/programmes/",
        "/api/v1/programmes/pacte-territoire-sante-2012-2015/",
        "/api/v1/programmes/pacte-territoire-sante-2012-2015/mesures/1/?territoire=departement:23",
        "/api/v1/programmes/contributions/",
    ]


def measure(client, url):
    with CaptureQueriesContext(connection) as queries:
        start = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code, response.content[:200])
    return len(queries), elapsed * 1000


def main():
    from common import header

    header("bench_api")
    from indicators.models import ComputationRun
    from offers.models import Offer

    run = ComputationRun.current()
    offer = Offer.objects.order_by("pk").first()
    client = Client()
    cache.clear()
    paths = {op for path in api.get_openapi_schema()["paths"] for op in [path]}
    urls = operations(run.pk if run else 1, offer.pk if offer else 1)
    print(f"{len(paths)} operations in the schema, {len(urls)} requests below")
    print(f"{'request':<90} {'queries':>7} {'ms':>7}   {'cached q.':>9} {'ms':>6}")
    for url in urls:
        q1, t1 = measure(client, url)
        q2, t2 = measure(client, url)
        print(f"{url:<90} {q1:>7} {t1:>7.1f}   {q2:>9} {t2:>6.1f}")
    from django.test import override_settings

    with override_settings(PAGE_CACHE_SECONDS=0):
        for url in ["/territoires/departement/23/", "/territoires/region/75/"]:
            q, t = measure(client, url)
            print(f"peer: page {url:<84} {q:>7} {t:>7.1f}")


if __name__ == "__main__":
    main()
