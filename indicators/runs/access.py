"""Which computation run a visitor may read through ``?calcul=N`` (pages and API): a successful
run, and for a run held « à valider » or « écarté » only staff (``perms.can_see_run``). A value
that is not a plain number (« ² », « ① », 30 digits) is refused as unknown, never a 500."""

from indicators.models import ComputationRun
from indicators.perms import can_see_run

UNPUBLISHED_REFUSAL = (
    "Ce calcul n’est pas publié (à valider ou écarté) : seule l’équipe du portail peut le consulter."
)
MAX_ID_DIGITS = 12


def parse_id(text) -> int | None:
    """« 12 » → 12; « ² », « ① », « 1e3 », a negative or an over-long number → None."""
    text = str(text or "").strip()
    if not (text.isascii() and text.isdecimal()) or len(text) > MAX_ID_DIGITS:
        return None
    return int(text)


def visible_run(request, value) -> ComputationRun | None:
    """The successful run ``value`` when this visitor may see it, else None."""
    pk = parse_id(value)
    if pk is None:
        return None
    run = ComputationRun.objects.filter(pk=pk, status=ComputationRun.Status.SUCCEEDED).first()
    return run if run is not None and can_see_run(request.user, run) else None
