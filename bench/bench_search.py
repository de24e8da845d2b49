"""Times the territory search at its longest allowed text against an ordinary one, on all of France.

Usage: DATABASE_URL=postgis://…/<a copy of the loaded database> .venv/bin/python bench/bench_search.py
Target (issue 24): a search of the maximum length (territories.search.MAX_QUERY) answers in under
200 ms; the home page given 4,000 characters answers at once with a French message. The peer is
the search of « gueret » measured in the same run. A benchmark, not a test.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
os.environ["PAGE_CACHE_SECONDS"] = "0"  # the page itself, not its cached copy

import django  # noqa: E402

django.setup()

from django.test import Client  # noqa: E402

from territories.models import Commune  # noqa: E402
from territories.search import MAX_QUERY, search  # noqa: E402

REPEAT = 15


def timed(fn):
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main():
    communes = Commune.objects.filter(is_active=True).count()
    texts = {
        "gueret (peer)": "gueret",
        "saint pres mont (peer, typed)": "saint pres mont",
        f"{MAX_QUERY} × « saint »": ("saint " * MAX_QUERY)[:MAX_QUERY],
        f"{MAX_QUERY} letters, no match": ("azertyuiopqsdfghjklm" * 20)[:MAX_QUERY],
        f"{MAX_QUERY} real words": ("communaute de communes du pays de saint gilles croix de vie " * 4)[
            :MAX_QUERY
        ],
        f"{MAX_QUERY} common words": ("saint sur les la le de en et du des aux sous pres lez mont " * 4)[
            :MAX_QUERY
        ],
        "4,000 characters (cut)": "saint " * 667,
    }
    print(f"{communes} active communes; median and worst of {REPEAT} runs")
    peer = None
    for name, text in texts.items():
        median, worst = timed(lambda t=text: search(t))
        peer = peer or median
        print(
            f"search {name:<32} {median * 1000:7.1f} ms (worst {worst * 1000:7.1f} ms)  ×{median / peer:5.1f}"
        )
    client = Client()
    for params in ({"q": "saint " * 667}, {"q": ("saint " * MAX_QUERY)[:MAX_QUERY]}):
        median, worst = timed(lambda p=params: client.get("/", p))
        print(f"GET /?q=<{len(params['q'])} chars> {median * 1000:7.1f} ms (worst {worst * 1000:7.1f} ms)")
    median, worst = timed(lambda: client.get("/indicateurs/comparer/", {"ajouter": "saint " * 667}))
    print(f"GET /indicateurs/comparer/?ajouter=<4002> {median * 1000:7.1f} ms (worst {worst * 1000:7.1f} ms)")


if __name__ == "__main__":
    main()
