"""Orientation text → amendments → secret vote → adopted text, on the real database."""

import re

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from proposals import orientation
from proposals.models import (
    Amendment,
    OrientationText,
    Participation,
    SealedBallot,
    SectionVersion,
    Vote,
    VoteOption,
    VoteQuestion,
)
from tests.factories import make_user

from .factories import add_member
from .orientation_factories import ballot, close_vote, make_text, make_world, open_vote_with_point

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(pacte):
    return make_world(pacte.measures.order_by("number").first())


def counts(vote):
    return dict(VoteOption.objects.filter(question__vote=vote).values_list("pk", "count"))


# Sections and versions ----------------------------------------------------------------------------


def test_sections_keep_every_version_with_who_and_what(world):
    text, s1, _ = make_text(world)
    assert [s.number for s in text.sections.all()] == [1, 2]
    assert list(s1.contributions.all()) == [world["contributions"][0]]
    orientation.save_section(
        text,
        user=world["coordinator"],
        section=s1,
        title=s1.title,
        body="Ouvrir un centre de santé par bassin de vie.\nAvec des médecins salariés.",
        contributions=list(s1.contributions.all()),
        measures=list(s1.measures.all()),
    )
    versions = list(SectionVersion.objects.filter(section=s1).order_by("number"))
    assert [(v.number, v.note, v.author) for v in versions] == [
        (1, "Création", world["coordinator"]),
        (2, "Modifié : texte", world["coordinator"]),
    ]
    assert versions[0].body.startswith("Ouvrir un centre de santé **par bassin de vie**")
    diff = orientation.diff_lines(versions[0].body, versions[1].body)
    assert [d.kind for d in diff] == ["del", "add", "add"]
    assert diff[2].text == "Avec des médecins salariés."


def test_saving_an_identical_section_is_refused_and_adds_no_version(world):
    text, s1, _ = make_text(world)
    with pytest.raises(orientation.OrientationError, match="Aucun changement"):
        orientation.save_section(
            text,
            user=world["coordinator"],
            section=s1,
            title=s1.title,
            body=s1.body,
            contributions=list(s1.contributions.all()),
            measures=list(s1.measures.all()),
        )
    s1.refresh_from_db()
    assert s1.version == 1 and s1.versions.count() == 1


# Amendments -----------------------------------------------------------------------------------------


def test_accepted_amendment_becomes_the_section_and_is_traced(world):
    text, _, s2 = make_text(world)
    member = world["members"][2]
    amendment = orientation.propose_amendment(
        s2,
        user=member,
        body="Réguler l’installation en zone sur-dense.",
        rationale="Les incitations ont échoué.",
    )
    assert amendment.number == 1 and amendment.base_version == 1
    assert orientation.support_amendment(amendment, world["members"][0]) is True
    assert orientation.support_amendment(amendment, world["members"][0]) is False  # once per member
    orientation.decide_amendment(amendment, user=world["coordinator"], status=Amendment.Status.ACCEPTED)
    s2.refresh_from_db()
    assert s2.body == "Réguler l’installation en zone sur-dense." and s2.version == 2
    version = s2.versions.get(number=2)
    assert version.amendment == amendment and version.note == "Amendement n° 1 accepté"
    amendment.refresh_from_db()
    assert orientation.amendment_fate(amendment) == "Accepté : sa rédaction est celle de la section 2"
    # the section keeps its links: the contribution is still taken up, the territory still named
    assert list(s2.contributions.all()) == [world["contributions"][1]]
    assert list(s2.territories.values_list("name", flat=True)) == ["Creuse"]


def test_refusing_or_merging_needs_a_reason_and_a_stale_amendment_cannot_be_accepted(world):
    text, s1, _ = make_text(world)
    first = orientation.propose_amendment(s1, user=world["members"][0], body="Version A.")
    second = orientation.propose_amendment(s1, user=world["members"][1], body="Version B.")
    with pytest.raises(orientation.OrientationError, match="motif est obligatoire"):
        orientation.decide_amendment(first, user=world["coordinator"], status=Amendment.Status.REFUSED)
    orientation.decide_amendment(first, user=world["coordinator"], status=Amendment.Status.ACCEPTED)
    with pytest.raises(orientation.OrientationError, match="version 1 → 2"):
        orientation.decide_amendment(second, user=world["coordinator"], status=Amendment.Status.ACCEPTED)
    orientation.decide_amendment(
        second,
        user=world["coordinator"],
        status=Amendment.Status.MERGED,
        reason="Repris en partie",
        merged_body="Version A, enrichie de B.",
    )
    s1.refresh_from_db()
    assert s1.body == "Version A, enrichie de B." and s1.version == 3
    second.refresh_from_db()
    assert orientation.amendment_fate(second) == "Fusionné dans la section 1 : Repris en partie"
    with pytest.raises(orientation.OrientationError, match="déjà traité"):
        orientation.decide_amendment(
            second, user=world["coordinator"], status=Amendment.Status.REFUSED, reason="non"
        )


def test_amendments_only_during_the_window(world):
    text, s1, _ = make_text(world, amendments="closed")
    with pytest.raises(orientation.OrientationError, match="pas ouverte"):
        orientation.propose_amendment(s1, user=world["members"][0], body="Autre chose.")
    assert not Amendment.objects.exists()


# The vote -------------------------------------------------------------------------------------------


def test_vote_cannot_open_with_pending_amendments_or_during_the_window(world):
    text, s1, s2 = make_text(world)
    orientation.propose_amendment(s1, user=world["members"][0], body="Autre rédaction.")
    with pytest.raises(orientation.OrientationError, match="1 amendement"):
        open_vote_with_point(world, text, s2)
    text.refresh_from_db()
    assert text.state == OrientationText.State.DRAFTING and Vote.objects.get().opens_at is None


def test_full_chain_from_ballots_to_adopted_frozen_text(world):
    text, s1, s2 = make_text(world, amendments="closed")
    vote, point = open_vote_with_point(world, text, s2)
    text.refresh_from_db()
    assert text.state == OrientationText.State.VOTING
    with pytest.raises(orientation.OrientationError, match="ne change plus"):
        orientation.save_section(text, user=world["coordinator"], section=s1, title="x", body="y")
    m1, m2, m3 = world["members"]
    orientation.cast_ballot(vote, m1, ballot(vote, "Pour", "Réguler"))
    orientation.cast_ballot(vote, m2, ballot(vote, "Pour", "Réguler"))
    orientation.cast_ballot(vote, m3, ballot(vote, "Contre", "Inciter"))
    result = orientation.tally(vote)
    assert (result.participants, result.eligible) == (3, 4)  # the coordinator is a member too
    close_vote(vote)
    text = orientation.proclaim_if_due(OrientationText.objects.get(pk=text.pk))
    assert text.state == OrientationText.State.ADOPTED
    final = text.final_text
    assert final["adopted"] is True and final["participants"] == 3 and final["eligible"] == 4
    adoption, debated = final["results"]
    assert {o["label"]: o["count"] for o in adoption["options"]} == {"Pour": 2, "Contre": 1, "Abstention": 0}
    assert debated["winner"] == "Réguler"
    sections = {s["number"]: s for s in final["sections"]}
    assert sections[2]["body"] == "Conditionner l’installation en zone sur-dense à un départ."
    assert sections[2]["decided_by_vote"] == "Réguler"
    assert sections[1]["body"] == s1.body
    assert len(text.final_checksum) == 64
    # proclaiming again changes nothing; ballots after the close are refused
    again = orientation.proclaim_if_due(text)
    assert again.final_checksum == text.final_checksum
    late = add_member(world["group"], "late-voter")
    with pytest.raises(orientation.OrientationError):
        orientation.cast_ballot(vote, late, ballot(vote, "Pour", "Inciter"))


def test_quorum_not_reached_means_not_adopted(world):
    text, _, s2 = make_text(world, amendments="none")
    vote, _ = open_vote_with_point(world, text, s2, quorum=60)
    orientation.cast_ballot(vote, world["members"][0], ballot(vote, "Pour", "Réguler"))
    close_vote(vote)
    text = orientation.proclaim_if_due(OrientationText.objects.get(pk=text.pk))
    assert text.state == OrientationText.State.REJECTED
    assert text.final_text["quorum_reached"] is False and text.final_text["adopted"] is False


def test_a_tie_on_a_point_keeps_the_submitted_wording(world):
    text, _, s2 = make_text(world, amendments="none")
    vote, _ = open_vote_with_point(world, text, s2, quorum=0)
    orientation.cast_ballot(vote, world["members"][0], ballot(vote, "Pour", "Réguler"))
    orientation.cast_ballot(vote, world["members"][1], ballot(vote, "Pour", "Inciter"))
    close_vote(vote)
    text = orientation.proclaim_if_due(OrientationText.objects.get(pk=text.pk))
    section = next(s for s in text.final_text["sections"] if s["number"] == 2)
    assert section["body"] == s2.body and section["decided_by_vote"] == ""
    assert text.final_text["results"][1]["winner"] == ""


# One vote per member, bad ballots change nothing ----------------------------------------------------


def test_one_ballot_per_member_and_bad_ballots_change_nothing(world):
    text, _, s2 = make_text(world, amendments="none")
    vote, point = open_vote_with_point(world, text, s2)
    m1 = world["members"][0]
    orientation.cast_ballot(vote, m1, ballot(vote, "Pour", "Réguler"))
    before = counts(vote)
    with pytest.raises(orientation.OrientationError, match="déjà voté"):
        orientation.cast_ballot(vote, m1, ballot(vote, "Contre", "Inciter"))
    with pytest.raises(orientation.OrientationError, match="membre d’un groupe appelé"):
        orientation.cast_ballot(vote, world["outsider"], ballot(vote, "Pour", "Réguler"))
    with pytest.raises(orientation.OrientationError, match="membre d’un groupe appelé"):
        orientation.cast_ballot(
            vote, make_user("staff-voter", is_staff=True), ballot(vote, "Pour", "Réguler")
        )
    m2 = world["members"][1]
    choices = ballot(vote, "Pour", "Réguler")
    with pytest.raises(orientation.OrientationError, match="Bulletin incomplet"):
        orientation.cast_ballot(vote, m2, {k: v for k, v in choices.items() if k != point.pk})
    adoption_id = next(k for k in choices if k != point.pk)
    tampered = {**choices, point.pk: choices[adoption_id]}  # an option of another question
    with pytest.raises(orientation.OrientationError, match="non valable"):
        orientation.cast_ballot(vote, m2, tampered)
    with pytest.raises(orientation.OrientationError, match="non valable"):
        orientation.cast_ballot(vote, m2, {**choices, point.pk: 999_999})
    joined_late = add_member(world["group"], "joined-after-opening")
    with pytest.raises(orientation.OrientationError, match="membre d’un groupe appelé"):
        orientation.cast_ballot(vote, joined_late, ballot(vote, "Pour", "Réguler"))
    assert counts(vote) == before
    assert Participation.objects.filter(vote=vote).count() == 1


# Secrecy, on the stored rows ------------------------------------------------------------------------


def test_no_model_ties_a_member_to_a_choice():
    """No table has both a key to a user and a key to an option or question of a vote."""
    user_model = get_user_model()
    choice_models = {apps.get_model("proposals", "VoteOption"), apps.get_model("proposals", "VoteQuestion")}
    for model in apps.get_models():
        targets = {f.related_model for f in model._meta.get_fields() if f.is_relation and f.concrete}
        assert not (user_model in targets and targets & choice_models), model
    participation_fields = {f.name for f in Participation._meta.concrete_fields}
    assert participation_fields == {"id", "vote", "user", "voted_on"}


def test_casting_a_ballot_writes_only_the_participation_and_a_sealed_ballot(world):
    text, _, s2 = make_text(world, amendments="none")
    vote, _ = open_vote_with_point(world, text, s2)
    member = world["members"][0]
    choices = ballot(vote, "Contre", "Inciter")
    with CaptureQueriesContext(connection) as queries:
        orientation.cast_ballot(vote, member, choices)
    writes = [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE)", q["sql"], re.I)]
    tables = sorted(re.search(r'INTO\s+"?(\w+)"?', sql, re.I).group(1) for sql in writes)
    assert tables == sorted([Participation._meta.db_table, SealedBallot._meta.db_table]), writes
    row = Participation.objects.filter(vote=vote, user=member).values().get()
    assert set(row) == {"id", "vote_id", "user_id", "voted_on"}
    # the sealed ballot: no author, no time, no option; opaque bytes of a fixed length
    assert {f.name for f in SealedBallot._meta.concrete_fields} == {"id", "vote", "sealed"}
    sealed = bytes(SealedBallot.objects.get(vote=vote).sealed)
    assert len(sealed) == 12 + orientation.ballot_box.PADDED_LENGTH + 16
    assert str(sorted(choices.values())[0]).encode() + b"," not in sealed
    assert orientation.ballot_box.unseal(vote.pk, sealed) == sorted(choices.values())
    with pytest.raises(orientation.ballot_box.BallotBoxError):  # another vote's key context
        orientation.ballot_box.unseal(vote.pk + 1, sealed)
    # no counter moved: an administrator sees that the member voted, nothing of what they chose
    assert set(counts(vote).values()) == {0}


def test_no_row_version_ties_a_participation_to_a_counter_change(world):
    """On PostgreSQL every row version carries the id of the transaction that wrote it (``xmin``):
    while the vote is open, no option row gets a new version; at the proclamation, all counters
    change in one transaction that writes no participation."""
    if connection.vendor != "postgresql":
        pytest.skip("xmin is PostgreSQL's")
    text, _, s2 = make_text(world, amendments="none")
    vote, _ = open_vote_with_point(world, text, s2, quorum=0)

    def option_versions():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, xmin::text FROM {VoteOption._meta.db_table} WHERE question_id IN "
                f"(SELECT id FROM {VoteQuestion._meta.db_table} WHERE vote_id = %s)",
                [vote.pk],
            )
            return dict(cursor.fetchall())

    def participation_versions():
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT xmin::text FROM {Participation._meta.db_table} WHERE vote_id = %s", [vote.pk]
            )
            return {x for (x,) in cursor.fetchall()}

    before = option_versions()
    for member, choice in zip(world["members"][:3], ("Pour", "Pour", "Contre"), strict=True):
        orientation.cast_ballot(vote, member, ballot(vote, choice, "Réguler"))
    assert option_versions() == before
    close_vote(vote)
    text = orientation.proclaim_if_due(OrientationText.objects.get(pk=text.pk))
    after = option_versions()
    changed = {after[pk] for pk in after if after[pk] != before[pk]}
    assert len(changed) == 1 and not changed & participation_versions()
    assert not SealedBallot.objects.filter(vote=vote).exists()
    adoption = text.final_text["results"][0]
    assert {o["label"]: o["count"] for o in adoption["options"]} == {"Pour": 2, "Contre": 1, "Abstention": 0}


def test_a_rotated_secret_still_opens_the_box_and_a_lost_one_stops_the_count(world, settings):
    text, _, s2 = make_text(world, amendments="none")
    vote, _ = open_vote_with_point(world, text, s2, quorum=0)
    orientation.cast_ballot(vote, world["members"][0], ballot(vote, "Pour", "Réguler"))
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "another-secret-" + "x" * 40, [old]
    close_vote(vote)
    with transaction.atomic():
        assert orientation.open_ballot_box(vote) == 1
        transaction.set_rollback(True)
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(orientation.ballot_box.BallotBoxError, match="SECRET_KEY_FALLBACKS"):
        orientation.proclaim_if_due(OrientationText.objects.get(pk=text.pk))
    assert OrientationText.objects.get(pk=text.pk).state == OrientationText.State.VOTING
    assert SealedBallot.objects.filter(vote=vote).count() == 1  # nothing lost


def test_the_command_proclaims_votes_whose_close_has_passed(world):
    from io import StringIO

    from django.core.management import call_command

    text, _, s2 = make_text(world, amendments="none")
    vote, _ = open_vote_with_point(world, text, s2, quorum=0)
    orientation.cast_ballot(vote, world["members"][0], ballot(vote, "Pour", "Réguler"))
    out = StringIO()
    call_command("proclaim_votes", stdout=out)
    assert out.getvalue().strip() == "0 vote(s) proclamé(s)."
    close_vote(vote)
    call_command("proclaim_votes", stdout=out)
    assert "1 vote(s) proclamé(s)." in out.getvalue()
    text.refresh_from_db()
    assert text.state == OrientationText.State.ADOPTED
