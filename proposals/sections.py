"""The « Politiques publiques » section of territory pages (registered in ProposalsConfig.ready)."""

from django.db.models import Count

from territories.zones import level_of

from .models import Contribution
from .outcomes import outcome_rows


def territory_section(request, zone):
    level = level_of(zone)
    contributions = (
        Contribution.objects.filter(
            zone_level=level, zone_code=zone.pk, status__in=Contribution.PUBLIC_STATUSES
        )
        .select_related("measure__programme", "consultation")
        .annotate(support_total=Count("supports", distinct=True))
        .order_by("-support_total", "-created_at")[:20]
    )
    return {
        "title": "Politiques publiques",
        "template": "proposals/_territory_section.html",
        "order": 40,
        "context": {
            "zone": zone,
            "zone_param": f"{level}:{zone.pk}",
            "rows": outcome_rows(zone),
            "contributions": list(contributions),
        },
    }
