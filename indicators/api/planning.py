"""Public API of planning (``/api/v1/planification/{niveau}/{code}/``): the same ranking, plan, need
and stored exact answers as the page « Où installer des médecins ? », with the same parameters
(``medecins``, ``consultations``, ``critere``, ``population_min``, ``avec_cabinet``, ``communes``,
``plan``, ``plafond``, ``besoin``, ``seuil``). Bad parameters answer 400 with the field and the
French message the page shows next to it; nothing is computed then."""

from django.db.models import Count, Max
from ninja import Router

from indicators.models import ComputationRun
from indicators.simulate import planning
from indicators.simulate.exact import find
from indicators.simulate.models import ExactPlan
from indicators.simulate.params import parse
from indicators.simulate.planning import PlanningError, resolve_zone
from territories.web.api_common import ERRORS, ApiError
from territories.web.caching import register_state

router = Router(tags=["Planification"])
EXACT_FIELDS = ("status", "objective", "bound", "gap", "greedy", "lp_bound", "seconds", "time_limit")


def exact_state():
    """A finished exact answer changes the planning answers (the API cache revalidates)."""
    state = ExactPlan.objects.aggregate(n=Count("pk"), last=Max("finished_at"))
    return f"x{state['n']}-{state['last'] or ''}", state["last"]


register_state("exact_plans", exact_state)


def _exact(prepared, kind):
    job, _key, _parameters = find(prepared.run, prepared.zone, prepared.params, kind, prepared.millesime)
    if job is None:
        return None
    out = {f: getattr(job, f) for f in EXACT_FIELDS}
    out["placement"] = [
        {k: r[k] for k in ("code", "name", "gps", "apl_before", "apl_after")}
        for r in job.result.get("placement", [])
    ]
    return out


def payload(prepared, limit=None) -> dict:
    """Everything the page shows, as plain data (the API answer; the tests compare it with the page
    and the exports)."""
    params = prepared.params
    ranking = planning.ranking(prepared, limit)
    out = {
        "territoire": {"nom": prepared.zone.name, "code": str(prepared.zone.pk)},
        "apl_officielle": {"source": "DREES", "millesime": prepared.millesime},
        "calcul": prepared.run.pk,
        "estimation": "effet estimé sur les temps de trajet du portail autour de l’APL officielle DREES",
        "parametres": params.query(),
        "territoire_aujourdhui": planning.zone_summary(prepared),
        "classement": [{k: v for k, v in r.items() if k != "position"} for r in ranking["rows"]],
    }
    if params.plan:
        plan = planning.greedy_plan(prepared)
        out["plan"] = {
            "glouton": {
                "reduction_deficit": plan["plan"].objective,
                "etapes": plan["steps"],
                "placement": plan["placement"],
                "courbe": plan["curve"],
            },
            "exact": _exact(prepared, ExactPlan.Kind.PLAN),
        }
    if params.need:
        need = planning.need(prepared)
        result = need["need"]
        out["besoin"] = {
            "statut": result.status,
            "borne_basse_lp": result.lower,
            "relaxation_lp": result.lp_value,
            "glouton": result.upper,
            "communes_inatteignables": need["unreachable"],
            "placement_glouton": need["placement"],
            "exact": _exact(prepared, ExactPlan.Kind.NEED),
        }
    return out


@router.get(
    "/{level}/{code}/",
    response={200: dict, **ERRORS},
    summary="Où installer des médecins : classement, plan, besoin",
)
def planning_answer(request, level: str, code: str, limite: int | None = None):
    try:
        zone = resolve_zone(level, code, None)  # public and cached: shared perimeters only
    except Exception as exc:
        raise ApiError(404, str(exc) or "Territoire introuvable", "code") from exc
    params, errors = parse(request.GET)
    run = ComputationRun.current()
    if run is None:
        raise ApiError(400, "Aucun calcul publié : le bassin de patientèle n’est pas disponible.")
    if errors:
        field, message = next(iter(errors.items()))
        raise ApiError(400, message, field)
    try:
        prepared = planning.prepare(run, zone, params)
    except PlanningError as exc:
        raise ApiError(400, str(exc), exc.field) from exc
    return payload(prepared, limite)
