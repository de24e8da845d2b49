"""Parallel ballots on PostgreSQL are counted exactly: every member once, a member who double-posts
(two tabs, a double click) still once."""

import threading

import pytest
from django.db import connections
from django.test import Client
from django.urls import reverse

from proposals import orientation
from proposals.models import Participation, VoteOption

from .factories import add_member
from .orientation_factories import close_vote, make_text, make_world, open_vote_with_point

pytestmark = [pytest.mark.concurrency, pytest.mark.django_db(transaction=True)]


def test_parallel_ballots_are_counted_exactly(reload_territory_slice, pacte):
    world = make_world(pacte.measures.order_by("number").first(), members=3, slug="vote-parallele")
    voters = world["members"] + [add_member(world["group"], f"vote-parallele-x{i}") for i in range(9)]
    text, _, s2 = make_text(world, amendments="none")
    vote, point = open_vote_with_point(world, text, s2, quorum=0)
    adoption = vote.questions.get(kind="adoption")
    option = {o.label: o.pk for o in VoteOption.objects.filter(question__vote=vote)}
    path = reverse("proposals:vote_cast", args=[world["consultation"].slug])
    # 12 members vote once each, and one of them sends 5 more ballots at the same moment
    posts = [(user, "Pour" if i % 3 else "Contre") for i, user in enumerate(voters)]
    posts += [(voters[0], "Contre")] * 5
    barrier = threading.Barrier(len(posts))
    errors = []

    def post(user, choice):
        client = Client()
        client.force_login(user)
        try:
            barrier.wait(10)
            response = client.post(
                path, {f"q{adoption.pk}": option[choice], f"q{point.pk}": option["Réguler"]}
            )
            assert response.status_code == 302, response.status_code
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=args) for args in posts]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert Participation.objects.filter(vote=vote).count() == 12
    assert vote.sealed_ballots.count() == 12
    close_vote(vote)
    orientation.proclaim_if_due(type(text).objects.get(pk=text.pk))
    assert not vote.sealed_ballots.exists()
    counts = dict(VoteOption.objects.filter(question__vote=vote).values_list("label", "count"))
    assert counts["Pour"] + counts["Contre"] == 12 and counts["Réguler"] == 12
    # voters[0] (i = 0) voted « Contre » either way; 4 of the 12 are i % 3 == 0
    assert counts["Contre"] == 4 and counts["Pour"] == 8
