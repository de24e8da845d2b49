"""Consultations in the order members look for them: open ones first, then upcoming, then closed."""

from proposals.models import Consultation

PHASE_ORDER = {"ouverte": 0, "à venir": 1, "close": 2}


def phase_order(consultation):
    """Open consultations first, then upcoming ones, then closed ones (latest first in each)."""
    return (PHASE_ORDER[consultation.phase], -consultation.opens_at.timestamp())


def member_consultations(user):
    """The consultations of the user's groups, open ones first."""
    if not getattr(user, "is_authenticated", False):
        return []
    mine = Consultation.objects.filter(group__memberships__user=user).select_related("group").distinct()
    return sorted(mine, key=phase_order)
