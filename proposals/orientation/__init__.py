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

One module per stage (common, sections, amendments, vote with its ``ballot_box``, results,
traceability); the names the pages and tests use are re-exported here.
"""

from proposals.orientation import ballot_box
from proposals.orientation.amendments import (
    SECTIONS_WITH_TEXT,
    amendment_fate,
    close_amendments_early,
    contribution_fates,
    decide_amendment,
    pending_amendments,
    propose_amendment,
    support_amendment,
)
from proposals.orientation.common import ADOPTION_OPTIONS, PROCLAIMED, QUORUM_RULE, OrientationError
from proposals.orientation.results import (
    QuestionResult,
    Tally,
    final_document,
    proclaim_due,
    proclaim_if_due,
    tally,
)
from proposals.orientation.sections import (
    CHANGE_LABELS,
    DiffLine,
    _snapshot,
    changed_fields,
    diff_lines,
    save_section,
)
from proposals.orientation.traceability import traced
from proposals.orientation.vote import (
    add_point,
    cast_ballot,
    eligible_members,
    has_voted,
    is_eligible,
    open_ballot_box,
    open_vote,
    prepare_vote,
)

__all__ = [
    "ballot_box",
    "ADOPTION_OPTIONS",
    "CHANGE_LABELS",
    "DiffLine",
    "OrientationError",
    "PROCLAIMED",
    "QUORUM_RULE",
    "QuestionResult",
    "SECTIONS_WITH_TEXT",
    "Tally",
    "_snapshot",
    "add_point",
    "amendment_fate",
    "cast_ballot",
    "changed_fields",
    "close_amendments_early",
    "contribution_fates",
    "decide_amendment",
    "diff_lines",
    "eligible_members",
    "final_document",
    "has_voted",
    "is_eligible",
    "open_ballot_box",
    "open_vote",
    "pending_amendments",
    "prepare_vote",
    "proclaim_due",
    "proclaim_if_due",
    "propose_amendment",
    "save_section",
    "support_amendment",
    "tally",
    "traced",
]
