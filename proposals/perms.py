"""Who may do what in working groups and consultations: named predicates, tested as a matrix.

Roles: anonymous, authenticated non-member, member of the consultation's group, coordinator of the
group, staff. Participation (contributing, supporting, commenting, editing a draft) needs membership
and an open consultation: before its opening and after its closing date a consultation is
read-only. Moderation (publier, retenir, écarter) belongs to the group's coordinators and to staff.
After the closing date only the synthesis decisions remain, explicitly and visibly (a notice on the
consultation and moderation pages): retaining or setting aside a contribution that was public
before closing, with a public reason, historised. Publishing a draft or sending a contribution
back to draft after closing is refused (it would reopen participation).
"""

from proposals.models import Contribution, Membership
from proposals.orientation import has_voted, is_eligible


def _role(user, group) -> str | None:
    if not getattr(user, "is_authenticated", False):
        return None
    cache = getattr(user, "_proposals_roles", None)
    if cache is None:
        cache = user._proposals_roles = {}
    if group.pk not in cache:
        cache[group.pk] = (
            Membership.objects.filter(group=group, user=user).values_list("role", flat=True).first()
        )
    return cache[group.pk]


def role_label(user, group) -> str:
    """What the group page tells a visitor about their own role, in words."""
    role = _role(user, group)
    if role == Membership.Role.COORDINATOR:
        return "coordination du groupe"
    if role is not None:
        return "membre"
    if getattr(user, "is_authenticated", False) and user.is_staff:
        return "non membre (administration du portail)"
    return "non membre"


def is_member(user, group) -> bool:
    return _role(user, group) is not None


def is_coordinator(user, group) -> bool:
    return _role(user, group) == Membership.Role.COORDINATOR


def can_view_contribution(user, contribution) -> bool:
    if contribution.is_public:
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return (
        contribution.author_id == user.pk
        or user.is_staff
        or is_coordinator(user, contribution.consultation.group)
    )


def can_contribute(user, consultation) -> bool:
    return consultation.is_open() and is_member(user, consultation.group)


def can_edit_contribution(user, contribution) -> bool:
    """The author edits a draft while the consultation is open."""
    return (
        getattr(user, "is_authenticated", False)
        and contribution.author_id == user.pk
        and contribution.status == Contribution.Status.DRAFT
        and can_contribute(user, contribution.consultation)
    )


def can_support(user, contribution) -> bool:
    """A member supports a published or retained contribution of someone else, once (DB constraint)."""
    return (
        contribution.status in (Contribution.Status.PUBLISHED, Contribution.Status.RETAINED)
        and contribution.author_id != getattr(user, "pk", None)
        and can_contribute(user, contribution.consultation)
    )


def can_comment(user, contribution) -> bool:
    return contribution.status in (
        Contribution.Status.PUBLISHED,
        Contribution.Status.RETAINED,
    ) and can_contribute(user, contribution.consultation)


def can_moderate(user, contribution) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or is_coordinator(user, contribution.consultation.group)


SYNTHESIS_STATUSES = (Contribution.Status.RETAINED, Contribution.Status.DISCARDED)
CLOSED_NOTICE = "Consultation close : seules les décisions de synthèse des coordinateurs restent possibles"


def is_closed(consultation) -> bool:
    return consultation.phase == "close"


def can_set_status(user, contribution, status) -> bool:
    """A moderation decision; after closing only retain / set aside a contribution already public."""
    if not can_moderate(user, contribution):
        return False
    if not is_closed(contribution.consultation):
        return True
    return status in SYNTHESIS_STATUSES and contribution.status in Contribution.PUBLIC_STATUSES


def moderation_statuses(user, contribution) -> list[str]:
    """The statuses this user may set on this contribution now (empty: no moderation form)."""
    return [s for s in Contribution.Status.values if can_set_status(user, contribution, s)]


def can_export(user, consultation) -> bool:
    """The full export (drafts, reasons, history) is for the group's coordinators and staff."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or is_coordinator(user, consultation.group)


def can_manage_consultations(user, group) -> bool:
    """Open, schedule, edit and close the consultations of a group: its coordinators and staff."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_staff or is_coordinator(user, group)


def can_manage_consultation(user, consultation) -> bool:
    return can_manage_consultations(user, consultation.group)


# Orientation text, amendments and vote ------------------------------------------------------------
#
# The draft text and its amendments are read by the members of the consultation's group (and of the
# groups called to vote), its coordinators and staff; once proclaimed, text, history and result are
# public. Coordinators and staff draft and decide while the text is in drafting; members amend during
# the amendment window; eligible members vote once while the vote is open. Nobody — staff included —
# can read an individual ballot: no such row exists (see proposals.orientation).


def _in_vote_groups(user, text) -> bool:
    vote = getattr(text, "vote", None)
    return vote is not None and any(is_member(user, g) for g in vote.groups.all())


def can_view_text(user, text) -> bool:
    if text.state in (text.State.ADOPTED, text.State.REJECTED):
        return True
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_staff or is_member(user, text.consultation.group) or _in_vote_groups(user, text)


def can_edit_text(user, text) -> bool:
    """Draft sections, set the amendment window, decide amendments, prepare the vote."""
    return text.state == text.State.DRAFTING and can_manage_consultation(user, text.consultation)


def can_close_amendments(user, text) -> bool:
    """End the amendment window before its date (to open the vote sooner): the coordination, while
    the window is open."""
    return can_edit_text(user, text) and text.amendment_phase == "ouverte"


def can_amend(user, text) -> bool:
    return (
        text.state == text.State.DRAFTING
        and text.amendment_phase == "ouverte"
        and is_member(user, text.consultation.group)
    )


def can_support_amendment(user, amendment) -> bool:
    return (
        amendment.status == amendment.Status.PROPOSED
        and amendment.author_id != getattr(user, "pk", None)
        and can_amend(user, amendment.text)
    )


def can_decide_amendment(user, amendment) -> bool:
    return amendment.status == amendment.Status.PROPOSED and can_edit_text(user, amendment.text)


def can_vote(user, vote) -> bool:
    return vote.phase == "ouvert" and is_eligible(user, vote) and not has_voted(user, vote)


def can_view_turnout(user, vote) -> bool:
    """Turnout while the vote runs: members called to vote, the group, staff; after: everyone."""
    return can_view_text(user, vote.text)


def can_view_results(user, vote) -> bool:
    """Counts per option only once the vote is closed (no running score to sway the late voters)."""
    return vote.phase == "clos" and can_view_text(user, vote.text)
