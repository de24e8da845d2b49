"""Programmes, measures (targets, deadlines, linked indicators), working groups and contributions.

Seed programmes come from ``fixtures/proposals/programmes.json`` (loaded by ``load_programmes``);
each measure cites the source document it is written from. A measure links to what measures its
progress by an indicator code of ``indicators.api.measures`` (stored as a string, read at display time).
"""

from proposals.models.groups import (
    Comment,
    Consultation,
    Contribution,
    Membership,
    StatusChange,
    Support,
    WorkingGroup,
)
from proposals.models.orientation import (
    Amendment,
    AmendmentSupport,
    OrientationText,
    Participation,
    SealedBallot,
    SectionTerritory,
    SectionVersion,
    TextEvent,
    TextSection,
    Vote,
    VoteOption,
    VoteQuestion,
)
from proposals.models.programmes import Axis, Fact, Measure, Programme, SourceDocument

__all__ = [
    "Amendment",
    "AmendmentSupport",
    "Axis",
    "Comment",
    "Consultation",
    "Contribution",
    "Fact",
    "Measure",
    "Membership",
    "OrientationText",
    "Participation",
    "Programme",
    "SectionTerritory",
    "SealedBallot",
    "SectionVersion",
    "SourceDocument",
    "StatusChange",
    "Support",
    "TextSection",
    "TextEvent",
    "Vote",
    "VoteOption",
    "VoteQuestion",
    "WorkingGroup",
]
