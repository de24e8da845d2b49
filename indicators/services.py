"""The computation service: one run computes every indicator and class, then switches atomically.

Called by the Celery task ``indicators.tasks.recompute_indicators``, by ``manage.py
compute_indicators`` and by ``load_all``: the same code path everywhere. Values are written under
the run's own id; the run becomes *current* only in the final transaction, so a failed or killed
run leaves the previous results visible. Re-running a task for a finished run does nothing; a
run found "running" by a redelivered task (its worker was lost) or with a stale heartbeat is
marked failed and a fresh run retries it.
"""

import contextlib
import importlib
import logging
import os
import socket
import time
from datetime import timedelta

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from offers.models import RETIREMENT_AGE
from territories.models import Dataset

from . import inputs, partitions
from .engine.within import area_fill, within_minutes
from .models import Classification, ClassificationRule, ComputationRun, IndicatorValue

logger = logging.getLogger(__name__)

INDICATORS = ["densite_mg", "apl_mg", "temps_mg", "temps_urgences", "part_pop_urgences_30min"]
# Zone levels stored per run (territories.zones levels); "commune" also holds the parent communes
# of arrondissements (aggregates), "france" the national value.
ZONE_LEVELS = {
    "bassin-de-vie": "bassin_de_vie",
    "epci": "epci",
    "departement": "departement",
    "region": "region",
}
STALE_AFTER = timedelta(minutes=2)  # no heartbeat for this long: orphaned (steps beat every few s)

DEFAULT_PARAMETERS = {
    "travel_time": {
        "provider": "straight_line",
        "detour_factor": 1.3,
        "speed_kmh": 60.0,
        # Mean access inside the commune added to the nearest-site times (indicators.engine.within)
        "within_commune_factor": 2 / 3,
    },
    "apl": {
        "max_minutes": 20.0,
        "steps": [[10.0, 1.0], [15.0, 2 / 3], [20.0, 1 / 3]],
        # Replaced in each run by indicators.demand.choose(): standardised by age only when an age
        # structure and weights covering all its bands are imported.
        "demand": "population municipale (non standardisée par âge : aucune structure par âge importée)",
    },
    "supply": {
        "unit": "consultations par an",
        # Per practitioner (FTE when known): the order of magnitude of a full-time GP's activity.
        "consultations_per_gp_per_year": 4500.0,
        # With the SIRENE proxy, which counts establishments, not practitioners (≈ 97,000 for
        # ≈ 52,000 liberal GPs), 2,400 per establishment gives a national mean of the order of 3 to
        # 4 consultations per inhabitant per year, the order of magnitude published by the DREES.
        # Used instead of the value above when the supply dataset is a proxy; shown as an estimate.
        "consultations_per_proxy_establishment": 2400.0,
        # As the DREES does: GPs aged 65 and over are left out of the supply where ages are known.
        "exclude_aged_65_plus": True,
        "calibration": (
            "estimation : 2 400 consultations par an par établissement SIRENE 86.21Z, choisi pour une "
            "moyenne nationale de l’ordre de 3 à 4 consultations par habitant et par an (ordre de "
            "grandeur publié par la DREES) ; à remplacer par l’activité réelle des médecins"
        ),
        "basis": "équivalents temps plein quand ils sont connus, sinon effectif",
    },
    "emergency_minutes": 30.0,
}


class RunInterrupted(Exception):
    pass


def default_parameters(overrides: dict | None = None) -> dict:
    params = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_PARAMETERS.items()}
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(params.get(key), dict):
            params[key].update(value)
        else:
            params[key] = value
    return params


def create_run(trigger, *, user=None, dataset=None, parameters=None) -> ComputationRun:
    mark_stale_runs()
    return ComputationRun.objects.create(
        trigger=trigger,
        triggered_by=user if user is not None and user.is_authenticated else None,
        trigger_dataset=dataset,
        parameters=default_parameters(parameters),
    )


QUEUE_UNAVAILABLE = (
    "File d’attente indisponible : le calcul n’a pas pu être confié au worker (broker Celery "
    "injoignable). Les données importées sont enregistrées ; relancez le calcul depuis la page des calculs."
)
PENDING_TOO_LONG = timedelta(minutes=30)  # no worker picked the task up: it is lost


def mark_stale_runs(now=None) -> int:
    """Mark failed the runs whose worker stopped sending heartbeats (killed, machine lost), and
    the runs still pending long after they were requested (their task never reached a worker);
    called every few minutes by the beat schedule, so that no run stays « en cours » forever."""
    now = now or timezone.now()
    stale = ComputationRun.objects.filter(
        status=ComputationRun.Status.RUNNING, heartbeat_at__lt=now - STALE_AFTER
    ).update(
        status=ComputationRun.Status.FAILED,
        finished_at=now,
        error="Calcul interrompu : plus de signe de vie du processus (worker arrêté ou perdu).",
    )
    lost = ComputationRun.objects.filter(
        status=ComputationRun.Status.PENDING, created_at__lt=now - PENDING_TOO_LONG
    ).update(
        status=ComputationRun.Status.FAILED,
        finished_at=now,
        error=f"Calcul jamais démarré en {int(PENDING_TOO_LONG.total_seconds() // 60)} minutes : "
        "aucun worker ne l’a pris en charge (file d’attente perdue ou worker arrêté). Relancez-le.",
    )
    return stale + lost


def mark_queue_unavailable(run_id) -> None:
    ComputationRun.objects.filter(pk=run_id, status=ComputationRun.Status.PENDING).update(
        status=ComputationRun.Status.FAILED, finished_at=timezone.now(), error=QUEUE_UNAVAILABLE
    )


def execute(run_id: int, *, redelivered=False, delay_per_step: float = 0.0) -> ComputationRun:
    """Run (or safely re-run) a computation. Returns the run that ended up doing the work."""
    with transaction.atomic():
        run = ComputationRun.objects.select_for_update().get(pk=run_id)
        if run.status == ComputationRun.Status.SUCCEEDED:
            return run  # idempotent: a duplicate delivery does nothing
        if run.status == ComputationRun.Status.RUNNING:
            fresh = run.heartbeat_at and timezone.now() - run.heartbeat_at < STALE_AFTER
            if fresh and not redelivered:
                return run  # another worker is on it
            run.status = ComputationRun.Status.FAILED
            run.error = "Calcul interrompu : le processus qui l’exécutait a été perdu (tâche relivrée)."
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "error", "finished_at"])
        if run.status == ComputationRun.Status.FAILED:
            retry = ComputationRun.objects.create(
                trigger=run.trigger,
                triggered_by=run.triggered_by,
                trigger_dataset=run.trigger_dataset,
                parameters={**run.parameters, "retry_of": run.pk},
            )
            run = retry
        run.status = ComputationRun.Status.RUNNING
        run.started_at = run.heartbeat_at = timezone.now()
        run.progress = 0
        run.step = "démarrage"
        run.parameters = {**run.parameters, "worker": f"{socket.gethostname()}:{os.getpid()}"}
        run.save()
    start = time.perf_counter()
    with computation_lock():
        # Requests that arrived while another run computed coalesce into the latest one: it reads
        # the same data or newer, so an older pending request steps aside instead of computing.
        newer = (
            ComputationRun.objects.filter(pk__gt=run.pk, status=ComputationRun.Status.PENDING)
            .order_by("-pk")
            .first()
        )
        if newer is not None:
            ComputationRun.objects.filter(pk=run.pk).update(
                status=ComputationRun.Status.SUPERSEDED,
                step=f"regroupé avec le calcul n° {newer.pk}, demandé après (mêmes données ou plus récentes)",
                finished_at=timezone.now(),
                duration=0,
            )
            run.refresh_from_db()
            return run
        return _compute_and_time(run, start, delay_per_step)


def _compute_and_time(run, start, delay_per_step):
    try:
        compute(run, delay_per_step=delay_per_step)
    except Exception as exc:
        logger.exception("computation run %s failed", run.pk)
        ComputationRun.objects.filter(pk=run.pk).update(
            status=ComputationRun.Status.FAILED,
            error=f"{type(exc).__name__}: {exc}",
            finished_at=timezone.now(),
            duration=time.perf_counter() - start,
        )
        raise
    ComputationRun.objects.filter(pk=run.pk).update(duration=time.perf_counter() - start)
    run.refresh_from_db()
    return run


COMPUTATION_LOCK = 4_207_301  # pg_advisory_lock key: one computation at a time, every process


@contextlib.contextmanager
def computation_lock():
    """Serialise computations across workers and processes: a PostgreSQL advisory lock (session
    level, released at the end even on error); SQLite serialises writers itself (embedded default,
    one process)."""

    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [COMPUTATION_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [COMPUTATION_LOCK])


def recompute(trigger=ComputationRun.Trigger.COMMAND, *, user=None, dataset=None, parameters=None, **kw):
    run = create_run(trigger, user=user, dataset=dataset, parameters=parameters)
    return execute(run.pk, **kw)


def _progress(run, percent, step, delay):
    run.progress, run.step = percent, step
    ComputationRun.objects.filter(pk=run.pk).update(progress=percent, step=step, heartbeat_at=timezone.now())
    if delay:
        time.sleep(delay)  # test-only parameter (delay_per_step): makes a run slow deterministically


# --- the computation ----------------------------------------------------------------------------


def build_model(params, atoms, supply_frame, rule=None):
    """Everything the engine needs for one run: times, catchment, supply and demand arrays."""
    from .engine import Catchment, MatrixTimes, StraightLineTimes, to_metric

    index = atoms.index
    xy = to_metric(atoms.frame["lon"].to_numpy(), atoms.frame["lat"].to_numpy())
    tt = params["travel_time"]
    if tt["provider"] == "matrix":
        origins, destinations, minutes = inputs.matrix_arrays(index)
        times = MatrixTimes(len(atoms), origins, destinations, minutes)
    else:
        times = StraightLineTimes(xy, detour_factor=tt["detour_factor"], speed_kmh=tt["speed_kmh"])
    apl = params["apl"]
    exclude = bool(params["supply"].get("exclude_aged_65_plus"))
    gp, share60 = supply_arrays(supply_frame, atoms, exclude_aged_65_plus=exclude)
    ages_by_atom, excluded = supply_arrays.ages, supply_arrays.excluded
    per_gp = params["supply"]["consultations_per_gp_per_year"]
    # pruned: only the pairs reaching a commune with supply (what-ifs add columns as needed)
    catchment = Catchment.build(
        times,
        max_minutes=apl["max_minutes"],
        steps=tuple(tuple(s) for s in apl["steps"]),
        columns=np.flatnonzero(gp > 0),
    )
    from .demand import demand_for

    population = atoms.frame["population"].to_numpy(dtype=float)
    # The population, or its age-standardised version (indicators/demand.py).
    demand, standardised, not_standardised = demand_for(atoms, apl)
    return {
        "xy": xy,
        "times": times,
        "catchment": catchment,
        "gp": gp,
        "share60": share60,
        "ages": ages_by_atom,
        "aged_65_plus_excluded": excluded,
        "supply": gp * per_gp,
        "demand": demand,
        "population": population,
        "demand_counts": (standardised, not_standardised),
        "index": index,
        "atoms": atoms,
        "params": params,
        "rule": rule,
    }


def supply_arrays(frame, atoms, exclude_aged_65_plus=False):
    """GPs per atom (FTE when known, else headcount) and the share aged 60+ (NaN when unknown).

    Supply on a parent commune (75056…) is spread over its arrondissements pro rata population.
    With ``exclude_aged_65_plus`` (the DREES convention) GPs aged 65 and over are left out where
    ages are known. ``supply_arrays.ages`` maps an atom to its GPs by age (in supply units) for the
    what-if « départs à la retraite d’ici N ans »; ``supply_arrays.excluded`` counts those left out.
    """
    n = len(atoms)
    gp = np.zeros(n)
    weighted60 = np.zeros(n)
    known60 = np.zeros(n)
    arm = atoms.frame[atoms.frame["parent"].notna()]
    children = {
        parent: (group.index.to_numpy(), group["population"].to_numpy())
        for parent, group in arm.groupby("parent")
    }
    has_ages = "ages" in frame.columns
    rows = frame.assign(**({} if has_ages else {"aged_65_plus": np.nan, "ages": None}))

    def numbers(column):
        return pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)

    headcount, fte, share, aged = (
        numbers(c) for c in ("headcount", "fte", "share_aged_60_plus", "aged_65_plus")
    )
    codes = rows["commune_code"].astype(str).to_numpy()
    amount = np.where(np.isnan(fte), headcount, fte)
    position = atoms.positions(codes)  # -1: not an atom
    spread = np.array([code in children for code in codes], dtype=bool) & (position < 0)
    valid = ~np.isnan(amount)
    unmatched = [str(c) for c in codes[valid & (position < 0) & ~spread]]
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = np.where(headcount != 0, amount / headcount, 1.0)  # FTE per head when FTE is known
    removed = np.zeros(len(rows))
    if exclude_aged_65_plus:
        with_age = valid & ~np.isnan(aged)
        removed[with_age] = np.minimum(aged[with_age] * unit[with_age], amount[with_age])
    kept = np.where(valid, amount - removed, 0.0)
    excluded = float(removed[valid].sum())
    has_share = ~np.isnan(share)
    direct = valid & (position >= 0)
    gp += np.bincount(position[direct], weights=kept[direct], minlength=n)
    shared = direct & has_share
    weighted60 += np.bincount(position[shared], weights=kept[shared] * share[shared], minlength=n)
    known60 += np.bincount(position[shared], weights=kept[shared], minlength=n)
    targets_of = {}
    for k in np.flatnonzero(valid & spread):  # supply given for Paris, Lyon or Marseille as a whole
        targets, pops = children[codes[k]]
        weights = pops / pops.sum() if pops.sum() else np.full(len(pops), 1 / len(pops))
        targets_of[k] = (targets, weights)
        gp[targets] += kept[k] * weights
        if has_share[k]:
            weighted60[targets] += kept[k] * weights * share[k]
            known60[targets] += kept[k] * weights
    ages_of = {}
    if has_ages:
        for k, by_age in enumerate(rows["ages"].to_numpy()):
            if not (valid[k] and isinstance(by_age, dict) and by_age) or (
                position[k] < 0 and k not in targets_of
            ):
                continue
            targets, weights = targets_of.get(k, (np.array([position[k]]), np.array([1.0])))
            for target, weight in zip(targets, weights, strict=True):
                bucket = ages_of.setdefault(int(target), {})
                for age, count in by_age.items():
                    if exclude_aged_65_plus and int(age) >= RETIREMENT_AGE:
                        continue
                    bucket[int(age)] = bucket.get(int(age), 0.0) + count * unit[k] * weight
    with np.errstate(invalid="ignore", divide="ignore"):
        share60 = np.where(known60 > 0, weighted60 / np.where(known60 > 0, known60, 1), np.nan)
    share60[(gp == 0)] = np.nan
    supply_arrays.unmatched = unmatched
    supply_arrays.ages = ages_of
    supply_arrays.excluded = excluded
    return gp, share60


def commune_values(model, sites: pd.DataFrame) -> dict[str, np.ndarray]:
    from .engine import nearest_minutes, nearest_minutes_matrix, to_metric

    params = model["params"]
    population = model.get("population", model["demand"])
    demand = model["demand"]
    gp = model["gp"]
    with np.errstate(invalid="ignore", divide="ignore"):
        density = np.where(population > 0, gp / population * 1e5, np.nan)
    apl = model["catchment"].apl(model["supply"], demand)
    apl = np.where(demand > 0, apl, np.nan)
    has_gp = gp > 0
    tt = params["travel_time"]
    if tt["provider"] == "matrix":
        time_gp = nearest_minutes_matrix(model["times"], has_gp)
        site_mask = np.zeros(len(gp), dtype=bool)
        index = model["index"]
        site_mask[[index[c] for c in sites["commune_code"] if c in index]] = True
        time_er = nearest_minutes_matrix(model["times"], site_mask)
    else:
        # Nearest targets are searched within the same land mass: metropolitan France, or each
        # overseas département (a straight line across an ocean is not a travel time).
        xy = model["xy"]
        groups = land_groups(model["atoms"].frame["code"])
        located = sites.dropna(subset=["lon", "lat"])
        site_xy = to_metric(located["lon"].to_numpy(float), located["lat"].to_numpy(float))
        site_groups = land_groups(located["commune_code"])
        time_gp = np.full(len(gp), np.inf)
        time_er = np.full(len(gp), np.inf)
        for group in np.unique(groups):
            mask = groups == group
            targets = mask & has_gp
            if targets.any():
                time_gp[mask], _ = nearest_minutes(
                    xy[mask], xy[targets], tt["detour_factor"], tt["speed_kmh"]
                )
            in_group = site_groups == group
            if in_group.any():
                time_er[mask], _ = nearest_minutes(
                    xy[mask], site_xy[in_group], tt["detour_factor"], tt["speed_kmh"]
                )
    within = within_minutes(model["atoms"].frame.get("area_km2"), tt)  # 2R/3 inside the commune
    time_gp = np.where(np.isfinite(time_gp), time_gp + within, np.nan)
    time_er = np.where(np.isfinite(time_er), time_er + within, np.nan)
    far = np.where(np.isnan(time_er), np.nan, (time_er > params["emergency_minutes"]) * 100.0)
    return {
        "densite_mg": density,
        "apl_mg": apl,
        "temps_mg": time_gp,
        "temps_urgences": time_er,
        "part_pop_urgences_30min": far,
    }


def land_groups(codes) -> np.ndarray:
    """ "metro" for metropolitan France (Corsica included), the département code overseas (971…)."""
    codes = np.asarray(pd.Series(codes, dtype=str).to_numpy(), dtype=str)
    prefixes = np.array([code[:3] for code in codes], dtype=str)
    return np.where(np.char.startswith(codes, "97"), prefixes, "metro")


def aggregate(frame: pd.DataFrame, key: str, indicators: list[str]) -> pd.DataFrame:
    """Population-weighted mean of each indicator per value of ``key`` (NaN values left out).

    One code path for every zone level: zones are sets of communes. The membership (commune →
    zone) is factorised once per level; each indicator is then two weighted counts per zone
    (``np.bincount``: the sparse product of the values by the membership matrix). Returns one
    row per zone, sorted by code, with ``<indicator>`` and ``<indicator>__pop`` (population of the
    communes that have a value).
    """
    zone_of, zones = pd.factorize(frame[key], sort=True)  # -1: no zone
    member = zone_of >= 0
    zone_of = zone_of[member]
    population = np.nan_to_num(frame["population"].to_numpy(dtype=float)[member])
    out = {}
    for name in indicators:
        values = frame[name].to_numpy(dtype=float)[member]
        has = ~np.isnan(values)
        weight = np.where(has, population, 0.0)
        total = np.bincount(zone_of, weights=weight, minlength=len(zones))
        weighted = np.bincount(zone_of, weights=np.where(has, values, 0.0) * weight, minlength=len(zones))
        mean = np.full(len(zones), np.nan)
        np.divide(weighted, total, out=mean, where=total > 0)
        out[name] = mean
        out[f"{name}__pop"] = total
    return pd.DataFrame(out, index=pd.Index(zones, name=key))


def zone_values(atoms, values: dict[str, np.ndarray]) -> dict[str, pd.DataFrame]:
    """Values for every level: communes (atoms + parents of arrondissements), zones and France."""
    frame = atoms.frame.copy()
    for name, array in values.items():
        frame[name] = array
    frame["france"] = "FR"
    levels = {}
    atom_rows = frame.set_index("code")[INDICATORS].copy()
    for name in INDICATORS:
        atom_rows[f"{name}__pop"] = np.where(atom_rows[name].notna(), frame["population"].to_numpy(), 0.0)
    parents = aggregate(frame, "parent", INDICATORS)
    levels["commune"] = pd.concat([atom_rows, parents])
    for level, column in ZONE_LEVELS.items():
        levels[level] = aggregate(frame, column, INDICATORS)
    levels["france"] = aggregate(frame, "france", INDICATORS)
    return levels


def mesh_classes(atoms, apl: np.ndarray, rule: ClassificationRule, levels: dict) -> tuple[pd.DataFrame, dict]:
    """The class of each commune's territoire de vie-santé, as the ARS zonage decides it.

    The APL of a TVS is the population-weighted mean of its communes' APL; the whole TVS is
    classed with the rule's thresholds. Without any TVS loaded, the bassin de vie 2022 stands in
    (the stated approximation). Returns a frame indexed by commune code (``mesh_zone``,
    ``mesh_apl``, ``mesh_class``) and the description stored on the run. The bassin de vie APL is
    the one ``levels`` already holds.
    """
    frame = atoms.frame[["code", "parent", "tvs", "bassin_de_vie", "population"]].copy()
    frame["apl_mg"] = apl
    source = "tvs" if frame["tvs"].notna().any() else "bassin_de_vie"
    if source == "tvs":
        means = aggregate(frame, source, ["apl_mg"])["apl_mg"]
    else:
        means = levels["bassin-de-vie"]["apl_mg"]
    zone = frame[source]
    known = zone.isin(means.index).to_numpy()
    mesh = pd.DataFrame(
        {
            "mesh_zone": zone[known].astype(str).to_numpy(),
            "mesh_apl": zone[known].map(means).to_numpy(dtype=float),
        },
        index=pd.Index(frame["code"][known].to_numpy(), name="code"),
    )
    # A commune with arrondissements (Paris, Lyon, Marseille) takes the mesh of its arrondissements
    # when they share one.
    shared = frame[frame["parent"].notna()].groupby("parent")[source].agg(lambda z: set(z.dropna()))
    shared = shared[shared.map(len) == 1].map(lambda z: next(iter(z)))
    parents = pd.DataFrame(
        {"mesh_zone": shared.astype(str).to_numpy(), "mesh_apl": shared.map(means).to_numpy(dtype=float)},
        index=pd.Index(shared.index.to_numpy(), name="code"),
    )
    mesh = pd.concat([mesh, parents])
    mesh["mesh_class"] = rule.classify_apls(mesh["mesh_apl"])
    described = {
        "rule_version": rule.version,
        "underserved_below": rule.underserved_below,
        "fragile_below": rule.fragile_below,
        "mesh": rule.mesh,
        "mesh_source": source,
        "mesh_text": "territoire de vie-santé"
        if source == "tvs"
        else "bassin de vie 2022 (approximation des territoires de vie-santé, non importés)",
        "mesh_zones": len(means),
        "communes_without_mesh": int((~known).sum()),
    }
    return mesh, described


CLASS_COLUMNS = [
    "level",
    "zone_code",
    "apl_class",
    "emergency_far",
    "ars_zone",
    "zrr",
    "mesh_zone",
    "mesh_apl",
    "mesh_class",
]


def classify(levels, rule: ClassificationRule, zoning: dict, mesh: pd.DataFrame | None = None):
    """Classification rows of every level (commune and every zone level), vectorised per level:
    one frame with the columns of ``Classification`` (``CLASS_COLUMNS``).

    Commune rows carry the class of their TVS (``mesh``, see :func:`mesh_classes`); with a rule
    whose mesh is « tvs » that class is the commune's class too (its own APL stays stored)."""
    on_tvs = rule.mesh == ClassificationRule.Mesh.TVS
    parts = []
    for level, frame in levels.items():
        codes = frame.index.astype(str)
        apl_class = rule.classify_apls(frame["apl_mg"])
        if level == "commune":
            measure = frame["temps_urgences"].to_numpy(dtype=float)
            far = measure > rule.emergency_minutes
        else:
            measure = frame["part_pop_urgences_30min"].to_numpy(dtype=float)
            far = measure >= rule.emergency_share
        part = pd.DataFrame(
            {
                "level": level,
                "zone_code": codes,
                "apl_class": apl_class,
                "emergency_far": np.where(np.isnan(measure), None, far).tolist(),  # Python bools
                "ars_zone": "",
                "zrr": "",
                "mesh_zone": "",
                "mesh_apl": np.nan,
                "mesh_class": "",
            }
        )
        if level == "commune":
            if mesh is not None and len(mesh):
                rows = mesh.reindex(codes)
                found = rows["mesh_zone"].notna().to_numpy()
                part.loc[found, "mesh_zone"] = rows["mesh_zone"].to_numpy()[found]
                part.loc[found, "mesh_apl"] = rows["mesh_apl"].to_numpy()[found]
                part.loc[found, "mesh_class"] = rows["mesh_class"].to_numpy()[found]
                if on_tvs:
                    part.loc[found, "apl_class"] = rows["mesh_class"].to_numpy()[found]
            zoned = [zoning.get(code, ("", "")) for code in codes]
            part["ars_zone"] = [zone or "" for zone, _ in zoned]
            part["zrr"] = [zrr or "" for _, zrr in zoned]
        parts.append(part)
    return pd.concat(parts, ignore_index=True)[CLASS_COLUMNS]


def _count_basis(sites: pd.DataFrame, basis: str) -> int:
    return int((sites.get("basis", pd.Series(dtype=str)) == basis).sum())


def ensure_reference_data():
    """Indicator definitions and a first classification rule exist (seeded by migration 0002;
    restored here, idempotently, if a flushed database lost them)."""
    from django.apps import apps

    from .models import IndicatorDefinition

    migration = importlib.import_module("indicators.migrations.0002_seed_definitions_and_rule")
    missing = set(d["code"] for d in migration.DEFINITIONS) - set(
        IndicatorDefinition.objects.values_list("code", flat=True)
    )
    if missing or not ClassificationRule.objects.exists():
        migration.seed(apps, None)  # never reached in normal operation: edits are not overwritten


def compute(run: ComputationRun, delay_per_step: float = 0.0):
    params = run.parameters
    stages, mark = {}, [time.perf_counter()]

    def stage(name):
        now = time.perf_counter()
        stages[name] = round(now - mark[0], 3)
        mark[0] = now

    ensure_reference_data()
    _progress(run, 5, "lecture des communes", delay_per_step)
    atoms = inputs.load_atoms()
    if not len(atoms):
        raise RuntimeError(
            "Aucune commune avec un point de référence : importez d’abord la base territoriale."
        )
    _progress(run, 10, "lecture de l’offre de médecins généralistes", delay_per_step)
    supply_frame, supply_dataset = inputs.gp_supply()
    sites = inputs.emergency_sites()
    matrix = inputs.matrix_dataset()
    emergency = inputs.emergency_datasets(sites)
    used = [d for d in [supply_dataset, matrix, *emergency] if d is not None]
    territory = {}
    for source in ["insee-cog", "insee-supracom", "ign-admin-express"]:
        latest = (
            Dataset.objects.filter(source=source, status=Dataset.Status.SUCCEEDED)
            .order_by("-started_at")
            .first()
        )
        if latest:
            used.append(latest)
            territory[source] = latest.pk
    supply_ids = [supply_dataset.pk] if supply_dataset else []
    emergency_ids = [d.pk for d in emergency]
    times_ids = [matrix.pk] if matrix else [territory.get("ign-admin-express")]
    population_ids = [territory.get("insee-cog")]
    by_indicator = {
        "densite_mg": supply_ids + population_ids,
        "apl_mg": supply_ids + population_ids + times_ids,
        "temps_mg": supply_ids + times_ids,
        "temps_urgences": emergency_ids + times_ids,
        "part_pop_urgences_30min": emergency_ids + times_ids + population_ids,
    }
    is_proxy = bool(supply_dataset and supply_dataset.is_proxy)
    params["supply"] = {
        **params["supply"],
        "dataset_id": supply_dataset.pk if supply_dataset else None,
        "is_proxy": is_proxy,
    }
    # A practitioner's activity (used by what-if to add GPs), whatever the unit of the supply.
    params["supply"]["consultations_per_practitioner"] = params["supply"]["consultations_per_gp_per_year"]
    if is_proxy:
        params["supply"]["consultations_per_gp_per_year"] = params["supply"][
            "consultations_per_proxy_establishment"
        ]
    else:
        params["supply"].pop("calibration", None)
    if matrix is not None:
        params["travel_time"] = {
            **params["travel_time"],
            "provider": "matrix",
            "dataset_id": matrix.pk,
        }
    from . import demand as demand_module

    choice = demand_module.choose()
    params["apl"] = {
        **params["apl"],
        "demand": choice.text,
        "age_standardised": choice.standardised,
        "age_structure_dataset_id": choice.structure.pk if choice.structure else None,
        "age_weights_dataset_id": choice.weights.pk if choice.weights else None,
        "age_not_standardised_reason": choice.reason,
    }
    used += choice.datasets
    by_indicator["apl_mg"] += [d.pk for d in choice.datasets]
    rule = ClassificationRule.current()
    run.rule = rule
    stage("lecture")
    _progress(run, 20, "temps de trajet et aire de 20 minutes", delay_per_step)
    model = build_model(params, atoms, supply_frame, rule)
    stage("aire")
    params["travel_time"] = {**params["travel_time"], **_jsonable(model["times"].params)}
    unmatched = list(supply_arrays.unmatched)
    params["supply"]["aged_65_plus_excluded"] = round(float(model["aged_65_plus_excluded"]), 1)
    params["supply"]["communes_with_ages"] = len(model["ages"])
    if choice.standardised:
        standardised, missing_codes = model["demand_counts"]
        params["apl"]["communes_standardised"] = standardised
        params["apl"]["communes_not_standardised"] = len(missing_codes)
        params["apl"]["communes_not_standardised_sample"] = missing_codes[:20]
        params["apl"]["demand_total"] = float(model["demand"].sum())
        params["apl"]["population_total"] = float(model["population"].sum())
    else:
        params["apl"]["communes_standardised"] = 0
        params["apl"]["communes_not_standardised"] = len(atoms)
    _progress(run, 40, "APL, densité et temps d’accès", delay_per_step)
    values = commune_values(model, sites)
    params["travel_time"]["within_commune_area_fill_km2"] = area_fill(atoms.frame.get("area_km2"))
    stage("calcul")
    _progress(run, 55, "agrégation par zone", delay_per_step)
    levels = zone_values(atoms, values)
    stage("agregation")
    _progress(run, 65, "classement", delay_per_step)
    zoning = inputs.zoning()
    mesh, params["classification"] = mesh_classes(atoms, values["apl_mg"], rule, levels)
    classes = classify(levels, rule, zoning, mesh)
    stage("classement")
    _progress(run, 75, "écriture des résultats", delay_per_step)
    france = levels["france"].iloc[0]
    summary = {
        "communes": len(atoms),
        "communes_with_gp": int((model["gp"] > 0).sum()),
        "gp_total": float(model["gp"].sum()),
        "supply_unmatched_codes": unmatched[:50],
        "supply_unmatched": len(unmatched),
        "emergency_sites": len(sites),
        "emergency_sites_by_proxy": int((sites.get("basis", pd.Series(dtype=str)) == "categorie").sum()),
        "emergency_sites_by_pole_proxy": int(
            (sites.get("basis", pd.Series(dtype=str)) == "sirene_pole").sum()
        ),
        "emergency_sites_without_location": int(sites[["lon", "lat"]].isna().any(axis=1).sum())
        if len(sites)
        else 0,
        "france": {name: _num(france[name]) for name in INDICATORS},
        "zoning_communes": len(zoning),
        "datasets_by_indicator": {k: [i for i in v if i] for k, v in by_indicator.items()},
    }
    is_estimate = params["travel_time"]["provider"] != "matrix" or params["supply"]["is_proxy"]
    _write(run, levels, classes)
    stage("ecriture")
    summary["stage_seconds"] = stages
    _progress(run, 90, "comparaison avec le calcul précédent", delay_per_step)
    with transaction.atomic():
        previous = ComputationRun.objects.select_for_update().filter(is_current=True).first()
        if previous is not None and previous.pk > run.pk:
            # A run requested after this one is already published: never replace it.
            run.summary, run.parameters, run.is_estimate = summary, params, is_estimate
            run.status = ComputationRun.Status.SUCCEEDED
            run.progress, run.finished_at = 100, timezone.now()
            run.step = f"terminé, non publié : le calcul n° {previous.pk}, demandé après, est déjà publié"
            run.save()
            run.datasets.set(used)
            return
        diff = compute_diff(previous, run) if previous else {"previous_run": None, "changed": [], "count": 0}
        reason = hold_reason(previous, run, diff, params)
        if reason:
            # Computed, kept, not published: an administrator reads the diff and decides.
            run.previous, run.diff, run.summary, run.parameters = previous, diff, summary, params
            run.is_estimate = is_estimate
            run.status = ComputationRun.Status.SUCCEEDED
            run.review, run.hold_reason = "held", reason
            run.progress, run.finished_at = 100, timezone.now()
            run.step = "terminé, à valider avant publication"
            run.save()
            run.datasets.set(used)
            return
        if previous:
            ComputationRun.objects.filter(pk=previous.pk).update(is_current=False)
        run.previous = previous
        run.diff = diff
        run.summary = summary
        run.parameters = params
        run.is_estimate = is_estimate
        run.status = ComputationRun.Status.SUCCEEDED
        run.is_current = True
        run.progress = 100
        run.step = "terminé"
        run.finished_at = timezone.now()
        run.save()
        run.datasets.set(used)
    from .cache import forget_other_runs

    forget_other_runs(run.pk)
    prune_old_runs()


# --- publish gate -------------------------------------------------------------------------------


def _supply_departements(dataset_id) -> int:
    from offers.models import GPSupply

    if not dataset_id:
        return 0
    return GPSupply.objects.filter(dataset_id=dataset_id).values("commune__departement").distinct().count()


def hold_reason(previous, run, diff, params) -> str:
    """Why a finished run must wait for an administrator (empty: publish at once). The first run
    is always published."""
    from django.conf import settings

    if previous is None:
        return ""
    reasons = []
    before = (previous.parameters or {}).get("supply", {}).get("dataset_id")
    after = params.get("supply", {}).get("dataset_id")
    if after and before and after != before:
        covered_before, covered_after = _supply_departements(before), _supply_departements(after)
        if covered_after < covered_before:
            reasons.append(
                f"le fichier de l’offre ne couvre que {covered_after} département(s) contre "
                f"{covered_before} pour le calcul publié (fichier partiel ?)"
            )
    communes = Classification.objects.filter(run=run, level="commune").count()
    share = diff["count"] / communes if communes else 0
    if share > settings.PUBLISH_GATE_SHARE:
        reasons.append(
            f"{diff['count']} communes changent de classe ({share:.1%} des communes, seuil "
            f"{settings.PUBLISH_GATE_SHARE:.0%})".replace(".", ",")
        )
    return " ; ".join(reasons)


def publish_run(run, *, user=None) -> ComputationRun:
    """Make a successful run current (a held run after review, or an older run again: « republier
    le calcul précédent »). Its values must still be there (not pruned)."""
    with computation_lock(), transaction.atomic():
        run = ComputationRun.objects.select_for_update().get(pk=run.pk)
        if run.status != ComputationRun.Status.SUCCEEDED or run.summary.get("pruned"):
            raise ValueError("seul un calcul réussi dont les valeurs sont conservées peut être publié")
        current = ComputationRun.objects.select_for_update().filter(is_current=True).first()
        if current is not None and current.pk != run.pk:
            ComputationRun.objects.filter(pk=current.pk).update(is_current=False)
            run.diff = compute_diff(current, run)
            run.previous = current
        run.is_current = True
        if run.review in ("held", "discarded"):
            run.review = "published"
        run.step = (
            f"publié{' par ' + user.get_username() if user else ''} le {timezone.localtime():%d/%m/%Y %H:%M}"
        )
        run.save()
    from .cache import forget_other_runs

    forget_other_runs(run.pk)
    return run


def discard_run(run) -> None:
    ComputationRun.objects.filter(pk=run.pk, review="held").update(
        review="discarded", step="écarté, non publié"
    )


def prune_old_runs(keep=None) -> int:
    """Delete the per-commune and per-zone values of old runs beyond the ``keep`` most recent
    successful ones (the current and held runs are always kept); their summary and diff stay."""
    from django.conf import settings

    keep = settings.RUN_VALUES_KEPT if keep is None else keep
    successful = ComputationRun.objects.filter(status=ComputationRun.Status.SUCCEEDED).order_by("-pk")
    kept = set(successful.values_list("pk", flat=True)[:keep])
    current_or_held = Q(is_current=True) | Q(review="held")
    kept |= set(ComputationRun.objects.filter(current_or_held).values_list("pk", flat=True))
    old = [r for r in successful.exclude(pk__in=kept) if not r.summary.get("pruned")]
    for run in old:
        with transaction.atomic():
            partitions.drop_run_rows([run.pk])  # its partitions dropped (PostgreSQL), not 228,000 DELETEs
            run.summary = {**run.summary, "pruned": True}
            run.save(update_fields=["summary"])
    with transaction.atomic():
        partitions.drop_orphan_partitions()
    return len(old)


def _value_frame(run, levels) -> pd.DataFrame:
    """One row per (level, zone, indicator), built per level with vectorised operations."""
    parts = []
    for level, frame in levels.items():
        codes = frame.index.astype(str)
        for name in INDICATORS:
            parts.append(
                pd.DataFrame(
                    {
                        "run_id": run.pk,
                        "level": level,
                        "zone_code": codes,
                        "indicator_id": name,
                        "value": _finite(frame[name]),
                        "population": _finite(frame[f"{name}__pop"]),
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _finite(series) -> np.ndarray:
    values = series.to_numpy(dtype=float)
    return np.where(np.isfinite(values), values, np.nan)


def _write(run, levels, classes):
    """Write values and classes under the run id; on failure nothing of this run stays.

    On PostgreSQL each table gets the run's rows as a new partition (one binary COPY into a fresh
    table, its key built by one sort, then attached: indicators/partitions.py); on SpatiaLite one
    prepared INSERT run for every row. Never through model instances."""
    values = _value_frame(run, levels)
    classes_frame = classes.copy()
    classes_frame.insert(0, "run_id", run.pk)
    with transaction.atomic():
        partitions.write_run_rows(IndicatorValue._meta.db_table, run.pk, values)
        partitions.write_run_rows(Classification._meta.db_table, run.pk, classes_frame)


def compute_diff(previous, run, limit=2000) -> dict:
    """(The stored list is capped at ``limit``; ``truncated`` says so and the run page offers the
    complete list, recomputed from the rows, as CSV.)"""
    return _diff(previous, run, limit)


def full_diff(previous, run) -> list[dict]:
    return _diff(previous, run, None)["changed"]


def _diff(previous, run, limit) -> dict:
    """Communes whose class (APL class or emergency flag) changed since the previous current run."""
    fields = ("zone_code", "apl_class", "emergency_far")
    before = {
        r[0]: r[1:] for r in Classification.objects.filter(run=previous, level="commune").values_list(*fields)
    }
    after = {
        r[0]: r[1:] for r in Classification.objects.filter(run=run, level="commune").values_list(*fields)
    }
    labels = dict(Classification.AplClass.choices)
    changed = []
    for code in sorted(set(before) | set(after)):
        if before.get(code) != after.get(code):
            changed.append(
                {
                    "code": code,
                    "before": _class_label(before.get(code), labels),
                    "after": _class_label(after.get(code), labels),
                }
            )
    shown = changed if limit is None else changed[:limit]
    return {
        "previous_run": previous.pk,
        "count": len(changed),
        "changed": shown,
        "truncated": len(shown) < len(changed),
    }


def _class_label(value, labels):
    if value is None:
        return "absente"
    text = labels.get(value[0], value[0])
    if value[1]:
        text += " ; urgences éloignées"
    return text


def _num(value):
    if value is None:
        return None
    value = float(value)
    return None if not np.isfinite(value) else value


def _jsonable(data):
    if isinstance(data, dict):
        return {str(k): _jsonable(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_jsonable(v) for v in data]
    if isinstance(data, np.generic):
        return data.item()
    if isinstance(data, np.ndarray):
        return data.tolist() if data.size < 100 else f"tableau de {data.size} valeurs"
    return data
