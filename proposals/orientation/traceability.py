"""Traceability: from a measure or a territory to the contributions about it, the sections of
proclaimed texts that take them up, and the vote results.
"""

from django.db.models import Q

from proposals.models import (
    Contribution,
    TextSection,
)
from proposals.orientation.amendments import SECTIONS_WITH_TEXT, contribution_fates
from proposals.orientation.common import PROCLAIMED
from proposals.orientation.results import proclaim_due


def traced(*, measure=None, zone=None):
    """Public contributions about a measure or a territory, and the sections of proclaimed texts that
    take them up or concern it, each with its text's vote result."""
    from territories.zones import level_of

    proclaim_due()
    if measure is not None:
        contributions = Contribution.objects.filter(measure=measure)
        concerned = Q(measures=measure)
    else:
        level = level_of(zone)
        contributions = Contribution.objects.filter(zone_level=level, zone_code=zone.pk)
        concerned = Q(territories__level=level, territories__code=zone.pk)
    contributions = list(
        contributions.filter(status__in=Contribution.PUBLIC_STATUSES)
        .select_related("consultation", "measure__programme", "author")
        .prefetch_related(SECTIONS_WITH_TEXT)
        .order_by("-created_at")[:200]
    )
    sections = list(
        TextSection.objects.filter(concerned | Q(contributions__in=[c.pk for c in contributions]))
        .filter(text__state__in=PROCLAIMED)
        .select_related("text__consultation", "text__vote")
        .prefetch_related("contributions")
        .distinct()
        .order_by("-text__decided_at", "number")
    )
    for c in contributions:
        c.fates = contribution_fates(c) or [
            {"sentence": "Pas encore reprise dans un texte proclamé", "url": ""}
        ]
    for section in sections:
        final = {s["number"]: s for s in (section.text.final_text or {}).get("sections", [])}
        section.final = final.get(section.number, {})
        section.result = section.text.final_text or {}
    return contributions, sections
