"""From contributions to an adopted orientation text: sections and their versions, amendments, the
members' secret vote, the proclamation, and the fate of every contribution and amendment.

Every write here runs in one transaction and leaves a trace: a section change is a new
``SectionVersion`` (who, when, what changed); an amendment decision carries its reason and, when
accepted or merged, the version it produced. The ballot is secret by construction: casting it
inserts the ``Participation`` row (the unique constraint makes a second ballot fail) and a sealed
ballot (``ballot_box``: no author, no timestamp, no option reference, opaque without the server's
secret); the options' counters do not move until the proclamation opens the box and writes the
totals, so no row — nor any version of a row — ties a member to a choice. The vote closes at its
date, checked on the server when a ballot arrives; the first reader after that date proclaims the
result (``proclaim``: idempotent, under a row lock), and an adopted text is frozen as JSON with its
SHA-256.
"""

import difflib
import hashlib
import json
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Prefetch, Q
from django.utils import timezone

from . import ballot_box
from .models import (
    Amendment,
    AmendmentSupport,
    Contribution,
    Membership,
    OrientationText,
    Participation,
    SealedBallot,
    SectionTerritory,
    SectionVersion,
    TextSection,
    Vote,
    VoteOption,
    VoteQuestion,
)

ADOPTION_OPTIONS = ("Pour", "Contre", "Abstention")
PROCLAIMED = (OrientationText.State.ADOPTED, OrientationText.State.REJECTED)
QUORUM_RULE = (
    "Le résultat est acquis si la participation atteint le quorum ({quorum} % des membres appelés à voter). "
    "Le texte est adopté si les voix « Pour » dépassent les voix « Contre » (abstentions non comptées). "
    "Sur chaque point en débat, l’option qui réunit le plus de voix exprimées l’emporte et sa rédaction "
    "remplace celle de la section ; en cas d’égalité, la section garde la rédaction soumise au vote."
)


class OrientationError(Exception):
    """A refused operation, with the reason in French for the user."""


# Sections and their versions -----------------------------------------------------------------------


def _snapshot(section):
    return {
        "title": section.title,
        "body": section.body,
        "contribution_ids": sorted(section.contributions.values_list("pk", flat=True)),
        "measure_ids": sorted(section.measures.values_list("pk", flat=True)),
        "territories": [
            {"level": t.level, "code": t.code, "name": t.name} for t in section.territories.all()
        ],
    }


CHANGE_LABELS = {
    "title": "titre",
    "body": "texte",
    "contribution_ids": "contributions reprises",
    "measure_ids": "mesures",
    "territories": "territoires",
}


def changed_fields(before: dict | None, after: dict) -> list[str]:
    if before is None:
        return ["création"]
    return [label for key, label in CHANGE_LABELS.items() if before.get(key) != after.get(key)]


@transaction.atomic
def save_section(
    text, *, user, title, body, contributions=(), measures=(), territories=(), section=None, note="",
    amendment=None,
):  # fmt: skip
    """Create or change a section and record the new version. ``territories``: (level, code, name)."""
    OrientationText.objects.select_for_update().get(pk=text.pk)
    if text.state != OrientationText.State.DRAFTING:
        raise OrientationError("Le texte est soumis au vote ou proclamé : il ne change plus.")
    before = None
    if section is None:
        number = (text.sections.aggregate(n=Max("number"))["n"] or 0) + 1
        section = TextSection(text=text, number=number, version=0)
    else:
        before = _snapshot(section)
    section.title, section.body = title, body
    section.version += 1
    section.save()
    section.contributions.set(contributions)
    section.measures.set(measures)
    section.territories.all().delete()
    SectionTerritory.objects.bulk_create(
        SectionTerritory(section=section, level=level, code=code, name=name)
        for level, code, name in dict.fromkeys(territories)
    )
    after = _snapshot(section)
    changes = changed_fields(before, after)
    if before is not None and not changes:
        raise OrientationError("Aucun changement : la section est identique à sa version actuelle.")
    SectionVersion.objects.create(
        section=section,
        number=section.version,
        author=user,
        note=note or ("Création" if before is None else "Modifié : " + ", ".join(changes)),
        amendment=amendment,
        **after,
    )
    return section


@dataclass
class DiffLine:
    kind: str  # "same", "add", "del"
    text: str


def diff_lines(old: str, new: str) -> list[DiffLine]:
    """Line diff of two Markdown texts (bodies are capped at 20,000 characters by the forms)."""
    a, b = (old or "").splitlines(), (new or "").splitlines()
    lines = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            lines += [DiffLine("same", line) for line in a[i1:i2]]
            continue
        lines += [DiffLine("del", line) for line in a[i1:i2]]
        lines += [DiffLine("add", line) for line in b[j1:j2]]
    return lines


# Amendments ---------------------------------------------------------------------------------------


@transaction.atomic
def propose_amendment(section, *, user, body, rationale=""):
    text = OrientationText.objects.select_for_update().get(pk=section.text_id)
    if text.state != OrientationText.State.DRAFTING or text.amendment_phase != "ouverte":
        raise OrientationError("La période d’amendement n’est pas ouverte.")
    if body.strip() == section.body.strip():
        raise OrientationError("L’amendement reprend la rédaction actuelle sans la changer.")
    number = (text.amendments.aggregate(n=Max("number"))["n"] or 0) + 1
    return Amendment.objects.create(
        text=text,
        section=section,
        number=number,
        author=user,
        body=body,
        rationale=rationale,
        base_version=section.version,
    )


def support_amendment(amendment, user) -> bool:
    """True when recorded, False when this member already supports it (one support per member)."""
    try:
        with transaction.atomic():
            AmendmentSupport.objects.create(amendment=amendment, user=user)
    except IntegrityError:
        return False
    return True


@transaction.atomic
def decide_amendment(amendment, *, user, status, reason="", merged_body=""):
    """Accept (the amendment's wording becomes the section's), merge (the coordinators' wording
    taking it up) or refuse it, with a reason (required to refuse or merge)."""
    amendment = Amendment.objects.select_for_update().select_related("section__text").get(pk=amendment.pk)
    section = amendment.section
    if amendment.status != Amendment.Status.PROPOSED:
        raise OrientationError(f"Amendement déjà traité : {amendment.get_status_display().lower()}.")
    if status not in Amendment.DECIDED:
        raise OrientationError("Décision inconnue : accepter, fusionner ou refuser.")
    if status in (Amendment.Status.REFUSED, Amendment.Status.MERGED) and not reason.strip():
        raise OrientationError("Un motif est obligatoire pour refuser ou fusionner un amendement.")
    if status == Amendment.Status.ACCEPTED and section.version != amendment.base_version:
        raise OrientationError(
            f"La section a changé depuis le dépôt de l’amendement (version {amendment.base_version} → "
            f"{section.version}) : fusionnez-le dans la rédaction actuelle plutôt que de l’accepter tel quel."
        )
    if status == Amendment.Status.MERGED and not merged_body.strip():
        raise OrientationError("Pour fusionner, donnez la rédaction de la section qui reprend l’amendement.")
    if status != Amendment.Status.REFUSED:
        verb = "accepté" if status == Amendment.Status.ACCEPTED else "fusionné"
        save_section(
            section.text,
            user=user,
            section=section,
            title=section.title,
            body=amendment.body if status == Amendment.Status.ACCEPTED else merged_body,
            contributions=list(section.contributions.all()),
            measures=list(section.measures.all()),
            territories=[(t.level, t.code, t.name) for t in section.territories.all()],
            note=f"Amendement n° {amendment.number} {verb}",
            amendment=amendment,
        )
    amendment.status, amendment.decision_reason = status, reason.strip()
    amendment.decided_by, amendment.decided_at = user, timezone.now()
    amendment.save(update_fields=["status", "decision_reason", "decided_by", "decided_at"])
    return amendment


def amendment_fate(amendment) -> str:
    section = f"section {amendment.section.number}"
    reason = f" : {amendment.decision_reason}" if amendment.decision_reason else ""
    return {
        Amendment.Status.PROPOSED: "Déposé, en attente de la décision de la coordination",
        Amendment.Status.ACCEPTED: f"Accepté : sa rédaction est celle de la {section}{reason}",
        Amendment.Status.MERGED: f"Fusionné dans la {section}{reason}",
        Amendment.Status.REFUSED: f"Refusé{reason}",
    }[amendment.status]


def contribution_fates(contribution, can_view=None) -> list[dict]:
    """What became of a contribution: the sections taking it up (with the text's state), or the
    coordinators' synthesis decision. Sections of texts not yet proclaimed count only where
    ``can_view(text)`` says the reader may see that text."""
    fates = []
    for section in sorted(contribution.sections.all(), key=lambda s: (s.text_id, s.number)):
        text = section.text
        if text.state not in PROCLAIMED and not (can_view and can_view(text)):
            continue
        fates.append(
            {
                "sentence": f"Reprise dans la section {section.number} « {section.title} » du texte "
                f"« {text.title} » ({text.get_state_display().lower()})",
                "url": section.get_absolute_url(),
            }
        )
    if not fates and contribution.status in Contribution.REASON_REQUIRED:
        verb = "Retenue" if contribution.status == Contribution.Status.RETAINED else "Écartée"
        reason = f" : {contribution.status_reason}" if contribution.status_reason else ""
        fates.append({"sentence": f"{verb}{reason}", "url": ""})
    return fates


# What ``contribution_fates`` reads, prefetched wherever several contributions are listed.
SECTIONS_WITH_TEXT = Prefetch("sections", queryset=TextSection.objects.select_related("text__consultation"))


def pending_amendments(text):
    return text.amendments.filter(status=Amendment.Status.PROPOSED)


# The vote -----------------------------------------------------------------------------------------


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


# Results and proclamation -------------------------------------------------------------------------


@dataclass
class QuestionResult:
    question: VoteQuestion
    options: list
    expressed: int
    winner: VoteOption | None
    tie: bool = False


@dataclass
class Tally:
    vote: Vote
    participants: int
    eligible: int
    questions: list = field(default_factory=list)

    @property
    def turnout(self) -> float | None:
        return 100 * self.participants / self.eligible if self.eligible else None

    @property
    def quorum_reached(self) -> bool:
        return self.participants > 0 and self.participants * 100 >= self.vote.quorum_percent * self.eligible

    @property
    def adoption(self) -> QuestionResult | None:
        return next((q for q in self.questions if q.question.kind == VoteQuestion.Kind.ADOPTION), None)

    @property
    def adopted(self) -> bool:
        result = self.adoption
        return bool(self.quorum_reached and result and result.winner and result.winner.label == "Pour")


def tally(vote) -> Tally:
    participants = vote.participations.count()
    eligible = vote.eligible_count if vote.eligible_count is not None else eligible_members(vote).count()
    result = Tally(vote=vote, participants=participants, eligible=eligible)
    for question in vote.questions.prefetch_related("options").select_related("section"):
        options = list(question.options.all())
        counted = [o for o in options if not o.is_abstention]
        expressed = sum(o.count for o in counted)
        best = max((o.count for o in counted), default=0)
        leaders = [o for o in counted if o.count == best and best > 0]
        if question.kind == VoteQuestion.Kind.ADOPTION:
            leaders = [o for o in leaders if o.label in ("Pour", "Contre")]
        result.questions.append(
            QuestionResult(
                question=question,
                options=options,
                expressed=expressed,
                winner=leaders[0] if len(leaders) == 1 else None,
                tie=len(leaders) > 1,
            )
        )
    return result


def proclaim_if_due(text):
    """After the closing date, proclaim the result once (idempotent; the first reader does it)."""
    vote = getattr(text, "vote", None)
    if text.state != OrientationText.State.VOTING or vote is None or vote.phase != "clos":
        return text
    with transaction.atomic():
        text = OrientationText.objects.select_for_update().get(pk=text.pk)
        if text.state != OrientationText.State.VOTING:
            return text
        open_ballot_box(text.vote)
        result = tally(text.vote)
        final = final_document(text, result)
        text.final_text = final
        text.final_checksum = hashlib.sha256(
            json.dumps(final, ensure_ascii=False, sort_keys=True).encode()
        ).hexdigest()
        text.state = OrientationText.State.ADOPTED if result.adopted else OrientationText.State.REJECTED
        text.decided_at = timezone.now()
        text.save(update_fields=["final_text", "final_checksum", "state", "decided_at", "updated_at"])
    return text


def proclaim_due() -> int:
    """Proclaim every vote whose closing date has passed (pages do it on reading; the traceability
    page and the ``proclaim_votes`` command call this). Returns how many texts were proclaimed."""
    due = OrientationText.objects.filter(
        state=OrientationText.State.VOTING, vote__closes_at__lte=timezone.now()
    ).select_related("vote", "consultation")
    return sum(proclaim_if_due(text).state != OrientationText.State.VOTING for text in due)


def final_document(text, result: Tally) -> dict:
    """The text as the vote leaves it: each point's winning wording replaces its section's."""
    winners = {
        q.question.section_id: q.winner
        for q in result.questions
        if q.question.kind == VoteQuestion.Kind.POINT and q.winner is not None and q.winner.text
    }
    sections = []
    for section in text.sections.prefetch_related("contributions", "measures__programme", "territories"):
        winner = winners.get(section.pk)
        sections.append(
            {
                "number": section.number,
                "title": section.title,
                "body": winner.text if winner else section.body,
                "version": section.version,
                "decided_by_vote": winner.label if winner else "",
                "contributions": [{"id": c.pk, "title": c.title} for c in section.contributions.all()],
                "measures": [
                    {"id": m.pk, "label": f"{m.programme.title}, n° {m.number} : {m.title}"}
                    for m in section.measures.all()
                ],
                "territories": [
                    {"level": t.level, "code": t.code, "name": t.name} for t in section.territories.all()
                ],
            }
        )
    return {
        "title": text.title,
        "consultation": text.consultation.title,
        "sections": sections,
        "participants": result.participants,
        "eligible": result.eligible,
        "quorum_percent": result.vote.quorum_percent,
        "quorum_reached": result.quorum_reached,
        "adopted": result.adopted,
        "results": [
            {
                "number": q.question.number,
                "question": q.question.title,
                "options": [{"label": o.label, "count": o.count} for o in q.options],
                "winner": q.winner.label if q.winner else "",
            }
            for q in result.questions
        ],
    }


# Traceability -------------------------------------------------------------------------------------


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
