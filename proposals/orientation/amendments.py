"""Amendments: propose, support, decide (with a reason; accepted or merged into a new version), and
the fate of every contribution taken up in a text.
"""

from django.db import IntegrityError, transaction
from django.db.models import Max, Prefetch
from django.utils import timezone

from proposals.models import (
    Amendment,
    AmendmentSupport,
    Contribution,
    OrientationText,
    TextEvent,
    TextSection,
)
from proposals.orientation.common import PROCLAIMED, OrientationError
from proposals.orientation.sections import save_section


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


@transaction.atomic
def close_amendments_early(text, *, user):
    """The coordination ends the amendment window now, before its date (so that the vote may open
    once the pending amendments are decided); recorded in the text's history with the date it
    replaces. Amendments already proposed stay to be decided."""
    text = OrientationText.objects.select_for_update().get(pk=text.pk)
    if text.state != OrientationText.State.DRAFTING or text.amendment_phase != "ouverte":
        raise OrientationError("La période d’amendement n’est pas ouverte : rien à clore.")
    planned = text.amendments_close_at
    text.amendments_close_at = timezone.now()
    text.save(update_fields=["amendments_close_at", "updated_at"])
    local = timezone.localtime(planned)
    TextEvent.objects.create(
        text=text,
        kind=TextEvent.Kind.AMENDMENTS_CLOSED,
        by=user,
        detail=f"clôture prévue le {local:%d/%m/%Y à %H:%M}, avancée pour ouvrir le vote",
    )
    return text


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
