"""Sections and their versions: every change is a new SectionVersion (who, when, what changed), and
the line diff between two versions.
"""

import difflib
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Max

from proposals.models import (
    OrientationText,
    SectionTerritory,
    SectionVersion,
    TextSection,
)
from proposals.orientation.common import OrientationError


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
