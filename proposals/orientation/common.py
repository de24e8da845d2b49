"""What every stage of an orientation text shares: the adoption options, the proclaimed states, the
quorum rule and the error its functions raise.
"""

from proposals.models import (
    OrientationText,
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
