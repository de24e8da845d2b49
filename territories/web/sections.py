"""Sections that other apps add to territory pages, without territories importing them.

An app registers, in its ``AppConfig.ready()``, a callable ``section(request, zone) -> dict | None``
returning ``{"title": ..., "template": ..., "context": {...}, "order": int}``. Territory pages
render the registered sections in order. The dependency arrow stays ``offers → territories``.

A section (and a card) is **shared** by default: what it shows depends on the zone, the data and at
most the visitor's registered facets (``register_facet``: whether she may simulate, is a
superuser), so territory pages render it once per data state and facets and serve it to every such
visitor (``territories.web.zone_parts``). A section that reads anything else of the visitor (a
form with its CSRF token) is registered with ``personal=True`` and rendered for each request.
"""

_sections = []
_personal = set()


def register(section, personal=False):
    if section not in _sections:
        _sections.append(section)
    if personal:
        _personal.add(section)
    return section


def render_sections(request, zone, which=None):
    """The sections of a zone page in order; ``which``: "shared" or "personal" ones only."""
    results = []
    for section in _sections:
        if which is not None and (section in _personal) != (which == "personal"):
            continue
        data = section(request, zone)
        if data:
            results.append(data)
    return sorted(results, key=lambda s: s.get("order", 100))


# --- What shared sections and cards may know of the visitor ----------------------------------

_facets = {}


def register_facet(name, facet):
    """``facet(request) -> str``: a fact of the visitor that a shared section or card reads (a
    permission as « oui »/« non »…); the shared parts are kept apart for each combination."""
    _facets[name] = facet
    return facet


def viewer_facets(request) -> str:
    return ";".join(f"{name}={_facets[name](request)}" for name in sorted(_facets))


# --- Key figures: the band of cards at the top of every territory page -----------------------
# A provider ``cards(request, zone) -> list[dict]`` returns cards of the form
# {"order": int, "title": str, "value": str | None, "unit": str, "badges": [(text, kind)],
#  "lines": [str], "comparisons": [(label, value text)], "note": str, "href": str, "source": str,
#  "distribution": {...} | None}. Values arrive formatted (French decimals); templates insert
# every string as text.

_card_providers = []


def register_cards(provider):
    if provider not in _card_providers:
        _card_providers.append(provider)
    return provider


def render_cards(request, zone):
    cards = []
    for provider in _card_providers:
        cards.extend(provider(request, zone) or [])
    return sorted(cards, key=lambda c: c.get("order", 100))


# --- Home page: sections an app adds under the search box (the national map…) ---------------

_home_providers = []


def register_home(provider):
    """``provider(request) -> {"template": ..., "context": {...}, "order": int} | None``."""
    if provider not in _home_providers:
        _home_providers.append(provider)
    return provider


def render_home(request):
    results = [r for r in (provider(request) for provider in _home_providers) if r]
    return sorted(results, key=lambda s: s.get("order", 100))


# --- The printable fiche: short blocks other apps add (measures and their targets…) -----------

_fiche_providers = []


def register_fiche(provider):
    """``provider(request, zone) -> {"title": str, "order": int, "lines": [str]} | None``: plain
    text lines, printed as a list on the one-page fiche."""
    if provider not in _fiche_providers:
        _fiche_providers.append(provider)
    return provider


def render_fiche_blocks(request, zone):
    results = [r for r in (provider(request, zone) for provider in _fiche_providers) if r and r.get("lines")]
    return sorted(results, key=lambda s: s.get("order", 100))


# --- Navigation: links an app adds to the main menu for the users who may use them -----------

_nav_providers = []


def register_nav(provider):
    """``provider(request) -> list[{"label": str, "url": str, "order": int, "count": int | None}]``
    (empty for users who may not use the page: anonymous visitors cost no query)."""
    if provider not in _nav_providers:
        _nav_providers.append(provider)
    return provider


def navigation(request):
    """Context processor: ``nav_links``, the menu entries other apps registered for this user."""
    links = []
    for provider in _nav_providers:
        links.extend(provider(request) or [])
    return {"nav_links": sorted(links, key=lambda link: link.get("order", 100))}
