"""Orientation text permissions as a matrix: role × action × phase of the text."""

import pytest
from django.contrib.auth.models import AnonymousUser

from proposals import orientation, perms
from proposals.models import OrientationText
from tests.factories import make_user

from .orientation_factories import ballot, close_vote, make_text, make_world, open_vote_with_point

ROLES = ["anonyme", "membre", "coordination", "autre_groupe", "admin"]
PHASES = ["amendements", "vote", "proclame"]
ALL = set(ROLES)

EXPECTED = {
    "view_text": {
        "amendements": {"membre", "coordination", "admin"},
        "vote": {"membre", "coordination", "admin"},
        "proclame": ALL,
    },
    "edit_text": {"amendements": {"coordination", "admin"}, "vote": set(), "proclame": set()},
    "amend": {"amendements": {"membre", "coordination"}, "vote": set(), "proclame": set()},
    "support_amendment": {"amendements": {"membre", "coordination"}, "vote": set(), "proclame": set()},
    "decide_amendment": {"amendements": {"coordination", "admin"}, "vote": set(), "proclame": set()},
    "close_amendments": {"amendements": {"coordination", "admin"}, "vote": set(), "proclame": set()},
    "vote": {"amendements": set(), "vote": {"membre", "coordination"}, "proclame": set()},
    "view_turnout": {
        "amendements": {"membre", "coordination", "admin"},
        "vote": {"membre", "coordination", "admin"},
        "proclame": ALL,
    },
    "view_results": {"amendements": set(), "vote": set(), "proclame": ALL},
}


@pytest.fixture
def setting(db, pacte):
    """One world per phase; the amendment under test is by a member who is not the one tested."""
    world = make_world(pacte.measures.order_by("number").first(), members=3)
    text, s1, s2 = make_text(world)
    amendment = orientation.propose_amendment(s1, user=world["members"][2], body="Une autre rédaction.")
    users = {
        "anonyme": AnonymousUser(),
        "membre": world["members"][0],
        "coordination": world["coordinator"],
        "autre_groupe": world["outsider"],
        "admin": make_user("admin-matrix", is_staff=True, is_superuser=True),
    }
    return world, text, s2, amendment, users


def _advance(world, text, s2, amendment, phase):
    if phase == "amendements":
        return None
    orientation.decide_amendment(amendment, user=world["coordinator"], status="refuse", reason="Hors sujet")
    OrientationText.objects.filter(pk=text.pk).update(amendments_open_at=None, amendments_close_at=None)
    text.refresh_from_db()
    vote, _ = open_vote_with_point(world, text, s2)
    if phase == "proclame":
        orientation.cast_ballot(vote, world["members"][1], ballot(vote, "Pour", "Réguler"))
        close_vote(vote)
        orientation.proclaim_if_due(OrientationText.objects.get(pk=text.pk))
    return vote


def _allowed(action, user, text, amendment, vote):
    if action == "view_text":
        return perms.can_view_text(user, text)
    if action == "edit_text":
        return perms.can_edit_text(user, text)
    if action == "amend":
        return perms.can_amend(user, text)
    if action == "support_amendment":
        return perms.can_support_amendment(user, amendment)
    if action == "decide_amendment":
        return perms.can_decide_amendment(user, amendment)
    if action == "close_amendments":
        return perms.can_close_amendments(user, text)
    if vote is None:
        return action == "view_turnout" and perms.can_view_text(user, text)
    return {
        "vote": perms.can_vote,
        "view_turnout": perms.can_view_turnout,
        "view_results": perms.can_view_results,
    }[action](user, vote)


@pytest.mark.parametrize("phase", PHASES)
def test_orientation_permission_matrix(setting, phase):
    world, text, s2, amendment, users = setting
    vote = _advance(world, text, s2, amendment, phase)
    text = OrientationText.objects.select_related("consultation__group").get(pk=text.pk)
    amendment.refresh_from_db()
    amendment.text = text
    if vote is not None:
        vote.refresh_from_db()
        vote.text = text
    found = {
        action: {role for role, user in users.items() if _allowed(action, user, text, amendment, vote)}
        for action in EXPECTED
    }
    assert found == {action: by_phase[phase] for action, by_phase in EXPECTED.items()}


def test_members_of_a_group_called_to_vote_vote_too(db, pacte):
    world = make_world(pacte.measures.order_by("number").first())
    text, _, s2 = make_text(world, amendments="none")
    vote, _ = open_vote_with_point(world, text, s2)
    assert not perms.can_vote(world["outsider"], vote)
    # a vote called for both federations: the other federation's members vote and read the text
    from proposals.models import Vote

    Vote.objects.filter(pk=vote.pk).update(opens_at=None)
    vote.refresh_from_db()
    vote.groups.add(world["other_group"])
    OrientationText.objects.filter(pk=text.pk).update(state=OrientationText.State.DRAFTING)
    text.refresh_from_db()
    vote = orientation.open_vote(vote)
    assert vote.eligible_count == 5
    assert perms.can_vote(world["outsider"], vote) and perms.can_view_text(world["outsider"], vote.text)
    orientation.cast_ballot(vote, world["outsider"], ballot(vote, "Pour", "Inciter"))
    assert not perms.can_vote(world["outsider"], vote)
