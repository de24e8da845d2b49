"""Figures rounded as they are published: the APL to 2 decimals (as the DREES), shares to 0.1 %,
times to 0.1 minute, densities to 0.1 per 100,000. Used by the API and the exports so that a figure
reads the same on the page, in a spreadsheet and in JSON (``2.95``, never ``2.9500000000000006``)."""

from territories.web.exports import rounded

DECIMALS = {
    "apl": 2,
    "apl_mg": 2,
    "apl_previous": 2,
    "apl_change": 2,
    "apl_officielle": 2,
    "apl_calculee": 2,
    "apl_tvs_calculee": 2,
    "previous": 2,
    "change": 2,
    "value": 2,  # the official APL of a territory
    "share_underserved": 1,
    "share_fragile": 1,
    "part_pop_urgences_30min": 1,
    "temps_mg": 1,
    "temps_urgences": 1,
    "densite_mg": 1,
    "densite_officielle_mg": 1,
}


def as_published(code, value):
    return rounded(value, DECIMALS.get(code))


def published_row(row: dict) -> dict:
    """A copy of ``row`` with every known figure rounded as published."""
    return {k: as_published(k, v) if k in DECIMALS else v for k, v in row.items()}
