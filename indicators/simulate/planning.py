"""Where new GPs help most, a plan for N GPs and the need of a territory, on the official APL scale.

The arrays are the official what-if's (``official_whatif.official_arrays``: the DREES APL and
standardised population, the demand around each commune on the current run's catchment), so one
row of the ranking is exactly the what-if run for that commune. The engine is
``indicators.engine.planning``; this module resolves the zone and the candidates, builds the
problem and turns the engine's arrays into rows for pages, exports and the API. Nothing is stored
(the exact answers are: ``simulate.exact``).
"""

import dataclasses
import time

import numpy as np
from django.http import Http404
from django.urls import reverse

from indicators.api.values import atoms_of_zone
from indicators.engine import planning as engine
from indicators.models import PublishedIndicatorValue
from indicators.official.published import APL, MAIN_VARIANT, apl_class, latest_official, thresholds
from indicators.runs.cache import model_for
from indicators.simulate.official_whatif import official_arrays
from indicators.simulate.params import Params
from offers.models import Offer
from territories.models import Perimeter
from territories.zones import CommuneSet, get_zone, level_of

PERIMETER = "perimetre"
CPTS = "cpts"  # the perimeter of a CPTS of the registry (its number)
LEVELS = ("commune", "bassin-de-vie", "epci", "departement", "region", PERIMETER, CPTS)
HOSTING_KINDS = (Offer.Kind.MSP, Offer.Kind.CENTRE_SANTE)
SCORE_KEYS = {
    "deficit": "deficit_total",
    "lifted": "lifted_total",
    "lifted_fragile": "lifted_fragile_total",
    "gain": "mean_gain_zone",
}


class PlanningError(ValueError):
    """A request that computes nothing, with the form field its message goes next to."""

    def __init__(self, message, field="zone"):
        super().__init__(message)
        self.field = field


def resolve_zone(level, code, user=None):
    """The zone of a planning request: any level of ``territories.zones``, or a perimeter (by its
    number) the user may see. Raises Http404 for an unknown zone."""
    if level == PERIMETER:
        from indicators.perms import can_view_perimeter

        perimeter = Perimeter.objects.filter(pk=int(code)).first() if str(code).isdigit() else None
        if perimeter is None or not can_view_perimeter(user, perimeter):
            raise Http404(f"Territoire introuvable : aucun périmètre n° {code}")
        return perimeter
    if level == CPTS:
        cpts = (
            Offer.objects.filter(pk=int(code), kind=Offer.Kind.CPTS).first() if str(code).isdigit() else None
        )
        if cpts is None:
            raise Http404(f"Territoire introuvable : aucune CPTS n° {code}")
        zone = CommuneSet(cpts.name, cpts.perimeter.all())
        zone.pk, zone.planning_level = cpts.pk, CPTS
        return zone
    if level not in LEVELS:
        raise Http404("Niveau de territoire inconnu")
    return get_zone(level, code)


def zone_level(zone) -> str:
    if isinstance(zone, Perimeter):
        return PERIMETER
    return getattr(zone, "planning_level", None) or level_of(zone)


@dataclasses.dataclass
class Prepared:
    run: object
    zone: object
    params: Params
    problem: engine.Problem
    codes: np.ndarray  # atom codes
    names: np.ndarray
    departements: np.ndarray
    millesime: str
    surroundings: bool  # a commune's zone is its surroundings (communes within the catchment)
    urls: dict = dataclasses.field(default_factory=dict)  # what-if URL per département

    def code(self, position) -> str:
        return self.codes[self.problem.candidates[position]]


def _population(model, arrays):
    """Total (not standardised) population per atom as the DREES published it (the rule for
    counting people under a threshold); the municipal population where nothing is published."""
    key = arrays["key"]
    cached = model.get("planning_population")
    if cached is not None and cached[0] == key:
        return cached[1]
    population = np.array(model["population"], dtype=float)
    index = model["index"]
    for code, total in PublishedIndicatorValue.objects.filter(
        indicator_code=APL,
        millesime=key[0],
        variant=MAIN_VARIANT,
        is_active=True,
        population_total__isnull=False,
    ).values_list("commune_id", "population_total"):
        i = index.get(code)
        if i is not None:
            population[i] = total
    model["planning_population"] = (key, population)
    return population


def ensure_candidates(model, arrays, indices):
    """Build the catchment columns of candidates without supply (a pruned catchment grows), and
    their demand, as the what-if does for one commune."""
    catchment = model["catchment"]
    added = catchment.ensure_columns(indices)
    if len(added):
        demand = arrays["demand_around"].copy()
        demand[added] = catchment.weights_t[added] @ arrays["ptilde"]
        arrays["demand_around"] = demand


def prepare(run, zone, params: Params) -> Prepared:
    """The planning problem of a zone: candidates filtered, effect matrix built."""
    latest = latest_official()
    if latest is None:
        raise PlanningError("Aucune APL officielle n’est chargée : la planification part de l’APL DREES.")
    model = model_for(run)
    arrays = official_arrays(model, *latest)
    index, frame = model["index"], model["atoms"].frame
    atoms = [index[c] for c in atoms_of_zone(zone) if c in index]
    if not atoms:
        raise PlanningError(f"{zone.name} ne contient aucune commune calculée.")
    atoms = np.unique(np.asarray(atoms, dtype=np.int64))
    surroundings = zone_level(zone) == "commune"
    ensure_candidates(model, arrays, atoms)
    zone_mask = np.zeros(len(frame), dtype=bool)
    zone_mask[atoms] = True
    if surroundings:  # the commune and every commune within its catchment
        weights_t = model["catchment"].weights_t
        zone_mask[weights_t[atoms].indices] = True
        atoms = np.flatnonzero(zone_mask)
        ensure_candidates(model, arrays, atoms)
    if not np.isfinite(arrays["official"][zone_mask]).any():
        raise PlanningError(f"Aucune APL officielle n’est publiée pour les communes de {zone.name}.")
    codes = frame["code"].to_numpy(dtype=object)
    candidates = _candidates(model, codes, atoms, params, zone)
    underserved, fragile = thresholds()
    problem = engine.Problem(
        model["catchment"].weights_t,
        arrays["official"],
        _population(model, arrays),
        arrays["ptilde"],
        arrays["demand_around"],
        zone_mask,
        candidates,
        per_gp=params.per_gp,
        threshold=params.threshold_value,
        underserved=underserved,
        fragile=fragile,
    )
    return Prepared(
        run,
        zone,
        params,
        problem,
        codes,
        frame["name"].to_numpy(dtype=object),
        frame["departement"].to_numpy(dtype=object),
        latest[0],
        surroundings,
    )


def _candidates(model, codes, atoms, params, zone):
    keep = np.ones(len(atoms), dtype=bool)
    if params.min_population:
        keep &= np.nan_to_num(model["population"][atoms]) >= params.min_population
    if params.hosts:
        frame = model["atoms"].frame
        hosting = set(
            Offer.objects.filter(
                kind__in=HOSTING_KINDS, status=Offer.Status.OPEN, commune_id__isnull=False
            ).values_list("commune_id", flat=True)
        )
        parents = frame["parent"].to_numpy(dtype=object)
        keep &= (model["gp"][atoms] > 0) | np.array(
            [codes[i] in hosting or parents[i] in hosting for i in atoms], dtype=bool
        )
    if params.pasted_codes:
        frame = model["atoms"].frame
        parents = frame["parent"].to_numpy(dtype=object)
        wanted = set(params.pasted_codes)
        chosen = np.array([codes[i] in wanted or parents[i] in wanted for i in atoms], dtype=bool)
        found = {codes[i] for i in atoms[chosen]} | {parents[i] for i in atoms[chosen]}
        outside = [c for c in params.pasted_codes if c not in found]
        if outside:
            raise PlanningError(
                f"Hors du territoire {zone.name} : {', '.join(outside[:10])}"
                + (" …" if len(outside) > 10 else ""),
                field="communes",
            )
        keep &= chosen
    if not keep.any():
        raise PlanningError("Aucune commune candidate ne reste avec ces filtres.", field="population_min")
    return atoms[keep]


# --- Rows for pages, exports and the API ------------------------------------------------------


def whatif_url(prepared, position, gps=None) -> str:
    """The what-if of the candidate's département, prefilled with the commune and the GPs."""
    i = prepared.problem.candidates[position]
    departement = prepared.departements[i]
    url = prepared.urls.get(departement)
    if url is None:
        url = prepared.urls[departement] = reverse("indicators:simulate", args=["departement", departement])
    query = f"?commune={prepared.codes[i]}&gps={gps or prepared.params.gps}"
    if prepared.params.per_gp != 5400:
        query += f"&activity={prepared.params.per_gp:g}"
    return url + query


def ranking(prepared: Prepared, limit=None) -> dict:
    """Every candidate scored for ``params.gps`` GPs, best first."""
    start = time.perf_counter()
    p = prepared.problem
    scores = engine.rank(p, prepared.params.gps)
    best = engine.order(scores, SCORE_KEYS[prepared.params.score])
    milliseconds = (time.perf_counter() - start) * 1000
    limits = (p.underserved, p.fragile)
    rows = []
    for rank_, position in enumerate(best if limit is None else best[:limit], start=1):
        i = p.candidates[position]
        apl = p.apl[i]
        rows.append(
            {
                "rank": rank_,
                "code": prepared.codes[i],
                "name": prepared.names[i],
                "apl_before": None if np.isnan(apl) else float(apl),
                "class_before": apl_class(None if np.isnan(apl) else float(apl), limits),
                "population_reached": float(scores["population_reached"][position]),
                "deficit_total": float(scores["deficit_total"][position]),
                "deficit_zone": float(scores["deficit_zone"][position]),
                "lifted_total": float(scores["lifted_total"][position]),
                "lifted_zone": float(scores["lifted_zone"][position]),
                "lifted_fragile_total": float(scores["lifted_fragile_total"][position]),
                "lifted_fragile_zone": float(scores["lifted_fragile_zone"][position]),
                "changed_total": int(scores["changed_total"][position]),
                "changed_zone": int(scores["changed_zone"][position]),
                "mean_gain_zone": float(scores["mean_gain_zone"][position]),
                "whatif_url": whatif_url(prepared, position),
                "position": int(position),
            }
        )
    return {"rows": rows, "milliseconds": milliseconds, "candidates": p.n}


def zone_summary(prepared: Prepared) -> dict:
    p = prepared.problem
    under = p.zone & p.known & (np.nan_to_num(p.apl, nan=np.inf) < p.threshold)
    return {
        "communes": int(p.zone.sum()),
        "population": float(p.population[p.zone].sum()),
        "population_under": float(p.population[under].sum()),
        "communes_under": int(under.sum()),
        "deficit": float((p.population * p.gaps())[p.zone].sum()),
        "without_apl": int((p.zone & ~p.known).sum()),
    }


def plan_rows(prepared: Prepared, plan: engine.Plan) -> list[dict]:
    """The steps of a plan: one GP each, with the cumulative effect."""
    rows, placed, cumulative = [], {}, 0.0
    for number, (position, gain) in enumerate(zip(plan.steps, plan.gains, strict=True), start=1):
        i = prepared.problem.candidates[position]
        placed[position] = placed.get(position, 0) + 1
        cumulative += gain
        rows.append(
            {
                "step": number,
                "code": prepared.codes[i],
                "name": prepared.names[i],
                "gps_here": placed[position],
                "gain": gain,
                "cumulative": cumulative,
                "population_under": plan.under[number],
                "population_under_total": plan.under_total[number],
                "whatif_url": whatif_url(prepared, position, placed[position]),
            }
        )
    return rows


def placement_rows(prepared: Prepared, counts: dict[int, int], apl_after=None) -> list[dict]:
    """Where a plan puts its GPs: one row per commune (most GPs first)."""
    p = prepared.problem
    out = []
    for position, gps in sorted(counts.items(), key=lambda t: (-t[1], prepared.code(t[0]))):
        i = p.candidates[position]
        out.append(
            {
                "code": prepared.codes[i],
                "name": prepared.names[i],
                "gps": gps,
                "apl_before": None if np.isnan(p.apl[i]) else float(p.apl[i]),
                "apl_after": None if apl_after is None or np.isnan(apl_after[i]) else float(apl_after[i]),
                "whatif_url": whatif_url(prepared, position, gps),
            }
        )
    return out


def greedy_plan(prepared: Prepared) -> dict | None:
    n = prepared.params.plan
    plan = engine.greedy(prepared.problem, n, cap=prepared.params.cap)
    return {
        "plan": plan,
        "steps": plan_rows(prepared, plan),
        "placement": placement_rows(prepared, plan.counts(), plan.apl),
        "curve": [{"gps": k, "population_under": u} for k, u in enumerate(plan.under)],
    }


def need(prepared: Prepared) -> dict:
    """Both bounds of the need at once (LP relaxation, greedy count) and the unreachable communes."""
    result = engine.need(prepared.problem, cap=prepared.params.cap)
    return {
        "need": result,
        "unreachable": [
            {"code": prepared.codes[i], "name": prepared.names[i], "apl": float(prepared.problem.apl[i])}
            for i in result.unreachable
        ],
        "greedy_ms": result.greedy.milliseconds if result.greedy else 0.0,
        "placement": placement_rows(prepared, result.greedy.counts(), result.greedy.apl)
        if result.greedy and result.upper
        else [],
    }
