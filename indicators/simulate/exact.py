"""The exact answers of a planning request, solved by HiGHS (``scipy.optimize.milp``) in a Celery
task with a time limit, and stored with their parameters (``ExactPlan``).

Two programs: the minimum number of GPs bringing every reachable commune of the zone to the
threshold (« besoin »), and for a fixed N the placement maximising the deficit reduction
(« plan »). When the limit is reached the best solution found and the proven bound are kept: « au
plus 43, au moins 39 ». The greedy answer and the LP bound of the same request are stored beside.
A request is identified by a key over everything that changes its answer (run, millésime, zone,
candidates, activity per GP, threshold, cap, N): asked again, it is read, never solved twice.
"""

import hashlib
import json
import logging

from django.utils import timezone

from indicators.engine import planning as engine
from indicators.models import ComputationRun
from indicators.simulate.models import ExactPlan
from indicators.simulate.params import Params
from indicators.simulate.planning import placement_rows, prepare, resolve_zone, zone_level

logger = logging.getLogger(__name__)
DEFAULT_TIME_LIMIT = 60


def request_parameters(params: Params, kind: str) -> dict:
    out = {
        "consultations": params.per_gp,
        "seuil": params.threshold,
        "plafond": params.cap,
        "population_min": params.min_population,
        "avec_cabinet": params.hosts,
        "communes": sorted(params.pasted_codes),
    }
    if kind == ExactPlan.Kind.PLAN:
        out["plan"] = params.plan
    return out


def request_key(kind, run, millesime, level, code, parameters) -> str:
    text = json.dumps([kind, run.pk, millesime, level, str(code), parameters], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def find(run, zone, params: Params, kind: str, millesime: str):
    parameters = request_parameters(params, kind)
    key = request_key(kind, run, millesime, zone_level(zone), zone.pk, parameters)
    return ExactPlan.objects.filter(key=key).first(), key, parameters


def params_of(plan: ExactPlan) -> Params:
    p = plan.parameters
    return Params(
        per_gp=float(p["consultations"]),
        threshold=p["seuil"],
        cap=p.get("plafond"),
        min_population=p.get("population_min") or 0,
        hosts=bool(p.get("avec_cabinet")),
        pasted_codes=list(p.get("communes") or []),
        plan=int(p.get("plan") or 0),
    )


def _mark(plan, **fields):
    for name, value in fields.items():
        setattr(plan, name, value)
    ExactPlan.objects.filter(pk=plan.pk).update(**fields)


def execute(plan_id: int) -> ExactPlan:
    """Solve a stored request (the Celery task's body); the row says how it went."""
    plan = ExactPlan.objects.select_related("run", "requested_by").get(pk=plan_id)
    if plan.is_done:
        return plan
    _mark(plan, status=ExactPlan.Status.RUNNING, step=f"résolution par HiGHS (limite {plan.time_limit} s)")
    try:
        run = ComputationRun.objects.get(pk=plan.run_id)
        zone = resolve_zone(plan.zone_level, plan.zone_code, plan.requested_by)
        prepared = prepare(run, zone, params_of(plan))
        if plan.kind == ExactPlan.Kind.NEED:
            _solve_need(plan, prepared)
        else:
            _solve_plan(plan, prepared)
    except Exception as exc:  # the row holds the reason; nothing half-written
        logger.exception("exact plan %s failed", plan.pk)
        _mark(
            plan, status=ExactPlan.Status.FAILED, step="", error=str(exc)[:2000], finished_at=timezone.now()
        )
    return plan


def _status(exact: engine.Exact) -> str:
    return {
        "optimal": ExactPlan.Status.OPTIMAL,
        "time_limit": ExactPlan.Status.TIME_LIMIT,
        "infeasible": ExactPlan.Status.INFEASIBLE,
    }.get(exact.status, ExactPlan.Status.FAILED)


def _solve_need(plan, prepared):
    need = engine.need(prepared.problem, cap=prepared.params.cap)
    exact = engine.exact_need(prepared.problem, time_limit=plan.time_limit, cap=prepared.params.cap)
    apl_after = engine.apply(prepared.problem, exact.counts) if exact.counts else None
    _mark(
        plan,
        status=_status(exact)
        if exact.objective is not None or exact.status == "infeasible"
        else ExactPlan.Status.TIME_LIMIT,
        step="",
        objective=exact.objective,
        bound=exact.bound,
        gap=exact.gap,
        greedy=need.upper,
        lp_bound=need.lp_value,
        seconds=exact.seconds,
        error="" if exact.objective is not None else exact.message,
        result={
            "placement": placement_rows(prepared, exact.counts, apl_after),
            "unreachable": [str(prepared.codes[i]) for i in need.unreachable],
            "lp_lower": need.lower,
        },
        finished_at=timezone.now(),
    )


def _solve_plan(plan, prepared):
    n = prepared.params.plan
    greedy = engine.greedy(prepared.problem, n, cap=prepared.params.cap)
    exact = engine.exact_plan(prepared.problem, n, time_limit=plan.time_limit, cap=prepared.params.cap)
    apl_after = engine.apply(prepared.problem, exact.counts)
    _mark(
        plan,
        status=_status(exact),
        step="",
        objective=exact.objective,
        bound=exact.bound,
        gap=exact.gap,
        greedy=greedy.objective,
        seconds=exact.seconds,
        error="" if exact.objective is not None else exact.message,
        result={
            "placement": placement_rows(prepared, exact.counts, apl_after),
            "greedy_placement": placement_rows(prepared, greedy.counts(), greedy.apl),
        },
        finished_at=timezone.now(),
    )
