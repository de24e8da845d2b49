"""Results and proclamation: the tally of a closed vote, the proclamation (idempotent, under a row
lock) and the adopted text frozen as JSON with its SHA-256.
"""

import hashlib
import json
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from proposals.models import (
    OrientationText,
    Vote,
    VoteOption,
    VoteQuestion,
)
from proposals.orientation.vote import eligible_members, open_ballot_box


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
