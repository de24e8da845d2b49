"""Permission predicates as a matrix: role × action × consultation state."""

import pytest
from django.contrib.auth.models import AnonymousUser

from proposals import perms
from proposals.models import Contribution, Membership
from tests.factories import make_user

from .factories import add_member, make_consultation, make_contribution, make_group

ROLES = ["anonyme", "non_membre", "membre", "coordination", "staff"]
STATES = ["open", "closed", "upcoming"]

# action → roles allowed when the consultation is open / closed / upcoming
EXPECTED = {
    "contribute": {"open": {"membre", "coordination"}, "closed": set(), "upcoming": set()},
    "support": {"open": {"membre", "coordination"}, "closed": set(), "upcoming": set()},
    "comment": {"open": {"membre", "coordination"}, "closed": set(), "upcoming": set()},
    "moderate": {state: {"coordination", "staff"} for state in STATES},
    # After closing only the synthesis decisions remain (retain / set aside a public contribution).
    "retain": {state: {"coordination", "staff"} for state in STATES},
    "discard": {state: {"coordination", "staff"} for state in STATES},
    "publish_draft": {
        "open": {"coordination", "staff"},
        "closed": set(),
        "upcoming": {"coordination", "staff"},
    },
    "retain_draft": {
        "open": {"coordination", "staff"},
        "closed": set(),
        "upcoming": {"coordination", "staff"},
    },
    "back_to_draft": {
        "open": {"coordination", "staff"},
        "closed": set(),
        "upcoming": {"coordination", "staff"},
    },
    "export": {state: {"coordination", "staff"} for state in STATES},
    "view_draft": {state: {"coordination", "staff"} for state in STATES},
    "view_published": {state: set(ROLES) for state in STATES},
}


@pytest.fixture
def world(programmes):
    group = make_group()
    users = {
        "anonyme": AnonymousUser(),
        "non_membre": make_user("dehors"),
        "membre": add_member(group, "membre"),
        "coordination": add_member(group, "coord", role=Membership.Role.COORDINATOR),
        "staff": make_user("equipe", is_staff=True),
    }
    author = add_member(group, "autrice")
    consultations = {state: make_consultation(group, state=state) for state in STATES}
    published = {s: make_contribution(c, author) for s, c in consultations.items()}
    drafts = {
        s: make_contribution(c, author, status=Contribution.Status.DRAFT) for s, c in consultations.items()
    }
    return users, consultations, published, drafts


def _allowed(action, user, consultation, published, draft):
    return {
        "contribute": lambda: perms.can_contribute(user, consultation),
        "support": lambda: perms.can_support(user, published),
        "comment": lambda: perms.can_comment(user, published),
        "moderate": lambda: perms.can_moderate(user, published),
        "retain": lambda: perms.can_set_status(user, published, Contribution.Status.RETAINED),
        "discard": lambda: perms.can_set_status(user, published, Contribution.Status.DISCARDED),
        "publish_draft": lambda: perms.can_set_status(user, draft, Contribution.Status.PUBLISHED),
        "retain_draft": lambda: perms.can_set_status(user, draft, Contribution.Status.RETAINED),
        "back_to_draft": lambda: perms.can_set_status(user, published, Contribution.Status.DRAFT),
        "export": lambda: perms.can_export(user, consultation),
        "view_draft": lambda: perms.can_view_contribution(user, draft),
        "view_published": lambda: perms.can_view_contribution(user, published),
    }[action]()


def test_permission_matrix(world):
    users, consultations, published, drafts = world
    table = {}
    for action, expected in EXPECTED.items():
        for state in STATES:
            for role in ROLES:
                allowed = bool(
                    _allowed(action, users[role], consultations[state], published[state], drafts[state])
                )
                table[(action, state, role)] = allowed
                assert allowed == (role in expected[state]), (action, state, role)
    assert len(table) == len(EXPECTED) * len(STATES) * len(ROLES)


def test_own_contribution_rules(world):
    users, consultations, published, drafts = world
    author = published["open"].author
    assert not perms.can_support(author, published["open"])  # nobody supports their own contribution
    assert perms.can_view_contribution(author, drafts["open"])
    assert perms.can_edit_contribution(author, drafts["open"])
    assert not perms.can_edit_contribution(author, drafts["closed"])  # read-only after closing
    assert not perms.can_edit_contribution(author, drafts["upcoming"])
    assert not perms.can_edit_contribution(author, published["open"])  # published: coordinators decide
    assert not perms.can_edit_contribution(users["coordination"], drafts["open"])


@pytest.mark.parametrize("status", [Contribution.Status.DRAFT, Contribution.Status.DISCARDED])
def test_no_support_or_comment_on_drafts_and_discarded(world, status):
    users, consultations, published, drafts = world
    contribution = make_contribution(consultations["open"], published["open"].author, status=status)
    assert not perms.can_support(users["membre"], contribution)
    assert not perms.can_comment(users["membre"], contribution)
