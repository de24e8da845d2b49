"""The members' secret vote: prepare, add points, open, who may vote, cast a sealed ballot
(``ballot_box``) and open the box at the proclamation.
"""

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from proposals.models import (
    Membership,
    OrientationText,
    Participation,
    SealedBallot,
    Vote,
    VoteOption,
    VoteQuestion,
)
from proposals.orientation import ballot_box
from proposals.orientation.amendments import pending_amendments
from proposals.orientation.common import ADOPTION_OPTIONS, OrientationError


@transaction.atomic
def prepare_vote(text, *, user, closes_at, quorum_percent, groups):
    """Create the vote (not yet open) with its first question, the adoption of the text; while it is
    in preparation, a second call changes its closing date, quorum and groups."""
    if text.state != OrientationText.State.DRAFTING:
        raise OrientationError("Le texte est déjà soumis au vote ou proclamé.")
    vote = getattr(text, "vote", None)
    if vote is not None:
        vote.closes_at, vote.quorum_percent = closes_at, quorum_percent
        vote.save(update_fields=["closes_at", "quorum_percent"])
        vote.groups.set(groups)
        return vote
    vote = Vote.objects.create(text=text, closes_at=closes_at, quorum_percent=quorum_percent, created_by=user)
    vote.groups.set(groups)
    question = VoteQuestion.objects.create(
        vote=vote,
        number=1,
        kind=VoteQuestion.Kind.ADOPTION,
        title=f"Adoptez-vous le texte « {text.title} » ?",
    )
    VoteOption.objects.bulk_create(
        VoteOption(question=question, number=n, label=label, is_abstention=label == "Abstention")
        for n, label in enumerate(ADOPTION_OPTIONS, start=1)
    )
    return vote


@transaction.atomic
def add_point(vote, *, section, title, options):
    """A point left open: two or more alternative wordings of a section, plus « Abstention »."""
    if vote.phase != "en préparation":
        raise OrientationError("Le vote est ouvert : ses questions ne changent plus.")
    labels = [label.strip() for label, _ in options]
    if len([label for label in labels if label]) < 2:
        raise OrientationError("Un point soumis au vote a au moins deux options nommées.")
    if len(set(labels)) != len(labels):
        raise OrientationError("Deux options portent le même nom.")
    number = (vote.questions.aggregate(n=Max("number"))["n"] or 0) + 1
    question = VoteQuestion.objects.create(
        vote=vote, number=number, kind=VoteQuestion.Kind.POINT, title=title, section=section
    )
    rows = [(label.strip(), body.strip()) for label, body in options] + [("Abstention", "")]
    VoteOption.objects.bulk_create(
        VoteOption(question=question, number=n, label=label, text=body, is_abstention=label == "Abstention")
        for n, (label, body) in enumerate(rows, start=1)
    )
    return question


@transaction.atomic
def open_vote(vote):
    text = OrientationText.objects.select_for_update().get(pk=vote.text_id)
    if vote.phase != "en préparation":
        raise OrientationError(f"Le vote est déjà {vote.phase}.")
    now = timezone.now()
    if vote.closes_at <= now:
        raise OrientationError("La date de clôture est passée : choisissez une clôture future.")
    pending = pending_amendments(text).count()
    if pending:
        raise OrientationError(
            f"{pending} amendement{'s' if pending > 1 else ''} en attente de décision : acceptez, "
            "fusionnez ou refusez chacun avant d’ouvrir le vote."
        )
    if text.amendment_phase in ("à venir", "ouverte"):
        raise OrientationError("La période d’amendement n’est pas terminée.")
    if not text.sections.exists():
        raise OrientationError("Le texte n’a aucune section.")
    if not vote.groups.exists():
        raise OrientationError("Aucun groupe n’est appelé à voter.")
    vote.opens_at = now
    vote.eligible_count = eligible_members(vote).count()  # the electorate, fixed at the opening
    vote.save(update_fields=["opens_at", "eligible_count"])
    text.state = OrientationText.State.VOTING
    text.save(update_fields=["state", "updated_at"])
    return vote


def eligible_members(vote):
    """Active members of the groups called to vote, members since the vote opened at the latest."""
    from django.contrib.auth import get_user_model

    joined = Q(memberships__group__in=vote.groups.all())
    if vote.opens_at is not None:
        joined &= Q(memberships__joined_at__lte=vote.opens_at)
    return get_user_model().objects.filter(joined, is_active=True).distinct()


def is_eligible(user, vote) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    memberships = Membership.objects.filter(user=user, group__in=vote.groups.all())
    if vote.opens_at is not None:
        memberships = memberships.filter(joined_at__lte=vote.opens_at)
    return memberships.exists()


def has_voted(user, vote) -> bool:
    return getattr(user, "is_authenticated", False) and vote.participations.filter(user=user).exists()


def cast_ballot(vote, user, choices: dict[int, int]):
    """Record a ballot: ``choices`` maps each question id to an option id. Final once cast."""
    questions = {q.pk: q for q in vote.questions.prefetch_related("options")}
    missing = [q for pk, q in questions.items() if pk not in choices]
    if missing:
        raise OrientationError(
            "Bulletin incomplet : choisissez une option pour "
            + ", ".join(f"la question {q.number}" for q in missing)
            + "."
        )
    option_ids = []
    for question_id, option_id in choices.items():
        question = questions.get(question_id)
        if question is None or option_id not in {o.pk for o in question.options.all()}:
            raise OrientationError("Bulletin non valable : une option ne correspond pas à ce vote.")
        option_ids.append(option_id)
    with transaction.atomic():
        vote = Vote.objects.get(pk=vote.pk)
        if vote.phase != "ouvert":
            raise OrientationError(
                "Le vote n’est pas ouvert."
                if vote.opens_at is None
                else "Le vote est clos : bulletin refusé."
            )
        if not is_eligible(user, vote):
            raise OrientationError("Vous n’êtes pas membre d’un groupe appelé à ce vote.")
        try:
            with transaction.atomic():
                Participation.objects.create(vote=vote, user=user, voted_on=timezone.localdate())
        except IntegrityError:
            raise OrientationError("Vous avez déjà voté : un bulletin déposé est définitif.") from None
        SealedBallot.objects.create(vote=vote, sealed=ballot_box.seal(vote.pk, option_ids))


def open_ballot_box(vote) -> int:
    """Count the sealed ballots of a closed vote into the options' counters and delete them, in the
    caller's transaction (the proclamation's). Returns the number of ballots opened."""
    sealed = list(SealedBallot.objects.filter(vote=vote).values_list("sealed", flat=True))
    if not sealed:
        return 0
    totals = ballot_box.count(vote.pk, sealed)
    for option in VoteOption.objects.filter(question__vote=vote).select_for_update():
        if totals.get(option.pk):
            option.count = F("count") + totals[option.pk]
            option.save(update_fields=["count"])
    SealedBallot.objects.filter(vote=vote).delete()
    return len(sealed)
