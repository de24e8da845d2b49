"""The « Où agir » block of territory pages (registered in ``IndicatorsConfig.ready``): the three
communes where one more GP would reduce the APL deficit most, and the link to the planning page.

The page itself never computes: the block names the question and links to the planning page; its
script fills in the three communes from the public API (``/api/v1/planification/…?limite=3``),
inserting text only. Without JavaScript the link remains.
"""

from django.urls import reverse

from territories.zones import level_of

from ..published import latest_official
from .planning import LEVELS


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
