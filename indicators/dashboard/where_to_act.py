"""The « Où agir » block of territory pages (registered in ``IndicatorsConfig.ready``): the three
communes where one more GP would reduce the APL deficit most, and the link to the planning page.

The page itself never computes: the block names the question and links to the planning page; its
script fills in the three communes from the public API (``/api/v1/planification/…?limite=3``),
inserting text only. Without JavaScript the link remains.
"""

from django.urls import reverse

from indicators.api.values import fixed_fr
from indicators.models import ComputationRun
from indicators.official.published import latest_official
from indicators.simulate.params import Params
from indicators.simulate.planning import LEVELS, PlanningError, prepare, ranking
from territories.zones import level_of


def where_to_act_section(request, zone):
    try:
        level = level_of(zone)
    except KeyError:
        return None
    if level not in LEVELS or latest_official() is None:
        return None
    return {
        "title": "Où agir",
        "template": "indicators/_where_to_act.html",
        "context": {
            "zone": zone,
            "planning_url": reverse("indicators:planning", args=[level, zone.pk]),
            "api_url": f"/api/v1/planification/{level}/{zone.pk}/?limite=3",
            "surroundings": level == "commune",
        },
        "order": 31,
    }


def where_to_act_fiche(request, zone):
    """The same three communes on the printed fiche (plain text lines)."""
    try:
        level = level_of(zone)
    except KeyError:
        return None
    run = ComputationRun.current()
    if level not in LEVELS or run is None or latest_official() is None:
        return None
    try:
        rows = ranking(prepare(run, zone, Params()), limit=3)["rows"]
    except PlanningError:
        return None
    names = ", ".join(f"{r['name']} (APL {_fr(r['apl_before'])})" for r in rows)
    lines = [f"{names} — estimation pour un médecin de plus, sur les temps de trajet du portail"]
    return {"title": "Où agir : un médecin de plus aiderait le plus à", "order": 40, "lines": lines}


def _fr(value, decimals=2):
    return "—" if value is None else fixed_fr(value, decimals)
