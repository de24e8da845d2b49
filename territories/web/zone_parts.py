"""The body of a territory page that is the same for every visitor — its key figures and its
shared sections (``territories.web.sections``) — rendered once per data state and zone, then served
from the cache to everyone, signed in or not.

Anonymous visitors get the whole page from the page cache (``caching.cached_page``); a signed-in
élu cannot (the header, the what-if form and its CSRF token are hers), so every one of her page
views used to compute the zone's figures again: some fifty queries. Now a signed-in page reads the
shared parts in one cache lookup and computes only what is hers (the personal sections). The key
is the data state (``caching.data_state``: the current run, the latest import, the registry, the
contributions, the exact plans), the zone and the facts of the visitor that shared parts may read
(``sections.register_facet``: may she simulate, is she a superuser). The lifetime is the page
cache's (``PAGE_CACHE_SECONDS``; 0 turns both off). A new run, an import or a registry edit
changes the state: the next view computes afresh, as the anonymous page cache does.
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.template.loader import render_to_string

from territories.web.caching import data_state
from territories.web.sections import render_cards, render_sections, viewer_facets
from territories.zones import level_of


def zone_parts(request, zone) -> tuple[list[dict], list[dict]]:
    """(cards, sections) of a zone page: sections as ``{"title", "order", "html"}``, in order."""
    shared = _shared_parts(request, zone)
    personal = [_rendered(section, zone, request) for section in render_sections(request, zone, "personal")]
    return shared["cards"], sorted(shared["sections"] + personal, key=lambda s: s["order"])


def _shared_parts(request, zone) -> dict:
    seconds = settings.PAGE_CACHE_SECONDS
    key = None
    if seconds:
        state, _modified = data_state()
        facets = viewer_facets(request)
        digest = hashlib.sha256(f"{state}|{level_of(zone)}|{zone.pk}|{facets}".encode()).hexdigest()
        key = f"zone-parts:{digest}"
        stored = cache.get(key)
        if stored is not None:
            return stored
    parts = {
        "cards": render_cards(request, zone),
        # rendered without the request: no CSRF token, no user, nothing of the visitor in the HTML
        "sections": [_rendered(section, zone, None) for section in render_sections(request, zone, "shared")],
    }
    if key is not None:
        cache.set(key, parts, seconds)
    return parts


def _rendered(section, zone, request) -> dict:
    # render_to_string returns the template's output as safe HTML: every value in it was escaped
    html = render_to_string(section["template"], {"ctx": section["context"], "zone": zone}, request=request)
    return {"title": section["title"], "order": section.get("order", 100), "html": html}
