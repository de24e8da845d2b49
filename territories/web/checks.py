"""Deployment checks (``manage.py check --deploy``) of the three Redis stores of production.

Cached pages and map layers live in a Redis that evicts (memory cap, LRU): sessions and rate-limit
counters kept there would be evicted too — a client filling the cache with map layers would
reset the sign-in throttle — and a Celery broker there would lose queued jobs. The stores must be
apart: not the same Redis database (README « Production », ``.env.example``).
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Tags, Warning, register


def _redis_store(location) -> tuple | None:
    """(host, port, database) of a redis:// URL (the first of a list), None for anything else."""
    if isinstance(location, list | tuple):
        location = location[0] if location else ""
    parts = urlsplit(str(location or ""))
    if parts.scheme not in ("redis", "rediss"):
        return None
    database = parts.path.strip("/") or "0"
    return (parts.hostname or "localhost", parts.port or 6379, database)


@register(Tags.caches, deploy=True)
def redis_stores_apart(app_configs=None, **kwargs):
    cache = _redis_store(settings.CACHES.get("default", {}).get("LOCATION"))
    if cache is None:
        return []
    sessions = _redis_store(settings.CACHES.get("sessions", {}).get("LOCATION"))
    broker = _redis_store(getattr(settings, "CELERY_BROKER_URL", ""))
    problems = []
    if sessions == cache:
        problems.append(
            Warning(
                "Les sessions et les compteurs de limitation partagent le Redis du cache, qui évince "
                "ses clés : un client qui remplit le cache effacerait les compteurs de connexion.",
                hint="SESSION_CACHE_URL=redis://…:6379/2 (un Redis sans éviction, base à part).",
                id="territories.W001",
            )
        )
    if broker is not None and broker in (cache, sessions):
        problems.append(
            Warning(
                "Le courtier Celery partage une base Redis avec le cache ou les sessions.",
                hint="CELERY_BROKER_URL=redis://…:6379/0, à part de CACHE_URL et de SESSION_CACHE_URL.",
                id="territories.W002",
            )
        )
    return problems
