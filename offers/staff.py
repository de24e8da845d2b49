"""What ARS agents and administrators meet first: their open import conflicts, in the menu, on
``/offre/`` and on the home page (registered in OffersConfig.ready)."""

from django.urls import reverse

from offers import perms
from offers.models import ImportConflict


def open_conflicts(user):
    """Open import conflicts this user may decide (their régions; all of them for admins)."""
    conflicts = ImportConflict.objects.filter(resolution=ImportConflict.Resolution.OPEN)
    if perms.is_admin(user):
        return conflicts
    return conflicts.filter(offer__commune__departement__region__in=perms.agent_region_codes(user))


def is_registry_staff(user) -> bool:
    return getattr(user, "is_authenticated", False) and (perms.is_admin(user) or perms.is_ars_agent(user))


def open_conflict_count(user) -> int | None:
    """How many conflicts wait for this agent or admin (None for other users); counted once per
    request although the menu, /offre/ and the home block all show it."""
    if not is_registry_staff(user):
        return None
    if getattr(user, "_open_conflict_count", None) is None:
        user._open_conflict_count = open_conflicts(user).count()
    return user._open_conflict_count


def nav_links(request):
    count = open_conflict_count(request.user)
    if count is None:
        return []
    return [
        {
            "label": "Conflits d’import",
            "url": reverse("offers:conflicts"),
            "order": 20,
            "count": count,
            "count_label": f"conflit{'s' if count > 1 else ''} à examiner",
        }
    ]


def agent_home(request):
    """The agent's home block: their régions, offers and conflicts to examine."""
    user = request.user
    count = open_conflict_count(user)
    if count is None:
        return None
    regions = list(perms.editable_regions(user).order_by("name")) if not perms.is_admin(user) else []
    return {
        "template": "offers/agent_home.html",
        "order": 5,
        "context": {
            "regions": regions,
            "is_admin": perms.is_admin(user),
            "conflict_count": count,
        },
    }
