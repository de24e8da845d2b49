"""Sections that other apps add to territory pages, without territories importing them.

An app registers, in its ``AppConfig.ready()``, a callable ``section(request, zone) -> dict | None``
returning ``{"title": ..., "template": ..., "context": {...}, "order": int}``. Territory pages
render the registered sections in order. The dependency arrow stays ``offers → territories``.
"""

_sections = []


def register(section):
    if section not in _sections:
        _sections.append(section)
    return section


def render_sections(request, zone):
    results = []
    for section in _sections:
        data = section(request, zone)
        if data:
            results.append(data)
    return sorted(results, key=lambda s: s.get("order", 100))
