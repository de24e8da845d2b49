"""Answers cached by data state: every app registers what its answers depend on (the current
computation run, the latest import, the registry, the published contributions); the API responses
and the anonymous pages are cached under that state, so a new successful run invalidates them at
once while a failed one keeps them. ETag and Last-Modified let clients revalidate for free (304);
the anonymous API is rate limited here.
"""

import hashlib
from collections.abc import Callable
from datetime import datetime
from functools import partial, wraps

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from territories.models import Dataset
from territories.web.api_common import problem

CACHE_SECONDS = 60 * 60 * 24


CLIENT_MAX_AGE = 60  # clients and proxies revalidate after a minute (ETag: free when unchanged)


_state_parts: dict[str, Callable[[], tuple[str, datetime | None]]] = {}


def register_state(name: str, part: Callable[[], tuple[str, datetime | None]]) -> None:
    """``part()`` returns (token, last modification) of what an app's answers depend on."""
    _state_parts[name] = part


def imports_state():
    """The latest successful import (any source): a new dataset changes territories and offers."""
    latest = (
        Dataset.objects.filter(status=Dataset.Status.SUCCEEDED)
        .order_by("-pk")
        .values_list("pk", "finished_at")
        .first()
    )
    return (f"d{latest[0]}", latest[1]) if latest else ("d0", None)


register_state("imports", imports_state)


def data_state() -> tuple[str, datetime | None]:
    tokens, times = [], []
    for name in sorted(_state_parts):
        token, modified = _state_parts[name]()
        tokens.append(f"{name}={token}")
        if modified is not None:
            times.append(modified)
    return ";".join(tokens), max(times) if times else None


PERIOD_WORDS = {"s": "seconde", "m": "minute", "h": "heure", "d": "jour"}


def period_seconds(rate: str) -> int:
    """« 300/m » → 60, « 10/5m » → 300: the window of a django-ratelimit rate."""
    from django_ratelimit.core import _split_rate

    return _split_rate(rate)[1]


def throttled(request, group="api-v1", rate=None) -> HttpResponse | None:
    """The anonymous rate limit (per client address, on the shared cache), or None when allowed:
    the public API (``API_RATE_LIMIT``) or the map layers of the pages (``LAYER_RATE_LIMIT``)."""
    from django_ratelimit.core import is_ratelimited

    rate = rate or settings.API_RATE_LIMIT
    if not is_ratelimited(request, group=group, key="ip", rate=rate, increment=True):
        return None
    count, _, period = rate.partition("/")
    seconds = period_seconds(rate)
    response = problem(
        429,
        f"Trop de requêtes : {'l’API publique' if group == 'api-v1' else 'les couches de carte'} "
        f"accepte{'nt' if group != 'api-v1' else ''} {count} requêtes par "
        f"{PERIOD_WORDS.get(period, period)} et par adresse. Attendez {seconds} secondes avant de "
        "reprendre (les réponses inchangées coûtent peu : renvoyez l’ETag reçu dans If-None-Match).",
    )
    response["Retry-After"] = str(seconds)
    return response


def _stored_response(key, view, request, args, kwargs, seconds):
    stored = cache.get(key)
    if stored is not None:
        content, content_type, disposition = stored
        response = HttpResponse(content, content_type=content_type)
        if disposition:
            response["Content-Disposition"] = disposition
        response["X-Cache"] = "hit"
        return response
    response = view(request, *args, **kwargs)
    if response.status_code == 200 and not getattr(response, "streaming", False):
        cache.set(
            key, (response.content, response["Content-Type"], response.get("Content-Disposition")), seconds
        )
        response["X-Cache"] = "miss"
    return response


def canonical_query(request, params=None) -> str:
    """The query string as the view reads it: only ``params`` when given (a layer that reads none
    gets ""), else every parameter, sorted, empty ones dropped — so that a random query string
    added to a URL does not create another cache entry."""
    from urllib.parse import urlencode

    items = sorted(
        (name, value)
        for name, values in request.GET.lists()
        if params is None or name in params
        for value in values
        if value != ""
    )
    return urlencode(items)


def _digest(request, state, params=None) -> str:
    canonical = f"{request.path}?{canonical_query(request, params)}"
    return hashlib.sha256(f"{state}|{request.get_host()}|{canonical}".encode()).hexdigest()


def cached(view=None, *, limit=True, params=None):
    """Rate limit (``limit``: True for the API, "layers" for the map layers of the pages), then
    answer from the cache keyed by the data state and the canonical query (``params``: the
    parameters the view reads; or 304 when the client already has it); only successful responses
    are stored."""
    if view is None:
        return partial(cached, limit=limit, params=params)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if limit:
            if limit == "layers":
                limited = throttled(request, "layers", settings.LAYER_RATE_LIMIT)
            else:
                limited = throttled(request)
            if limited is not None:
                return limited
        state, modified = data_state()
        digest = _digest(request, state, params)
        etag = f'"{digest[:32]}"'
        last_modified = int(modified.timestamp()) if modified else None
        not_modified = get_conditional_response(request, etag=etag, last_modified=last_modified)
        if not_modified is not None:
            return _conditional_headers(not_modified, etag, last_modified)
        response = _stored_response(f"api-v1:{digest}", view, request, args, kwargs, CACHE_SECONDS)
        if response.status_code == 200:
            _conditional_headers(response, etag, last_modified)
        return response

    return wrapped


def cached_page(view):
    """The HTML page of an anonymous visitor without session or messages, cached under the data
    state for ``PAGE_CACHE_SECONDS`` (a page also says what is open today: consultations, votes,
    hence a short lifetime). A signed-in user always gets a fresh page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        seconds = settings.PAGE_CACHE_SECONDS
        if (
            not seconds
            or request.method != "GET"
            or settings.SESSION_COOKIE_NAME in request.COOKIES
            or "messages" in request.COOKIES
            or request.user.is_authenticated
        ):
            return view(request, *args, **kwargs)
        state, _modified = data_state()
        response = _stored_response(f"page:{_digest(request, state)}", view, request, args, kwargs, seconds)
        patch_vary_headers(response, ["Cookie"])  # what a signed-in visitor sees differs
        return response

    return wrapped


def _conditional_headers(response, etag, last_modified):
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = f"public, max-age={CLIENT_MAX_AGE}"
    response["Vary"] = "Accept-Encoding"
    return response
