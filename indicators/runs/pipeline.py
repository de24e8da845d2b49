"""One computation run, stage by stage: read the inputs, build the catchment, compute, aggregate,
classify, write, then publish (or hold) in one transaction.
"""

import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from django.db import transaction
from django.utils import timezone

from indicators.engine.within import area_fill
from indicators.models import Classification, ClassificationRule, ComputationRun, IndicatorValue
from indicators.runs import demand, inputs, partitions
from indicators.runs.aggregation import commune_values, zone_values
from indicators.runs.cache import forget_other_runs
from indicators.runs.classes import classify, mesh_classes, zone_class_counts
from indicators.runs.diff import compute_diff
from indicators.runs.model import build_model, supply_arrays
from indicators.runs.parameters import INDICATORS
from indicators.runs.publish import hold_reason, prune_old_runs
from indicators.runs.reference_data import ensure_reference_data
from territories.models import Dataset


def _progress(run, percent, step, delay):
    run.progress, run.step = percent, step
    ComputationRun.objects.filter(pk=run.pk).update(progress=percent, step=step, heartbeat_at=timezone.now())
    if delay:
        time.sleep(delay)  # test-only parameter (delay_per_step): makes a run slow deterministically


class _Stopwatch:
    """Seconds per stage of a run (lecture, aire, calcul, agrégation, classement, écriture)."""

    def __init__(self):
        self.stages, self._mark = {}, time.perf_counter()

    def __call__(self, name):
        now = time.perf_counter()
        self.stages[name] = round(now - self._mark, 3)
        self._mark = now


@dataclass
class _Inputs:
    atoms: object
    supply_frame: pd.DataFrame
    sites: pd.DataFrame
    used: list  # every dataset the run read
    by_indicator: dict  # indicator → ids of the datasets it rests on
    choice: object  # the demand chosen (indicators.runs.demand.choose)


def compute(run: ComputationRun, delay_per_step: float = 0.0):
    params = run.parameters
    stage = _Stopwatch()
    ensure_reference_data()
    data = _read_inputs(run, params, delay_per_step)
    rule = ClassificationRule.current()
    run.rule = rule
    stage("lecture")
    _progress(run, 20, "temps de trajet et aire de 20 minutes", delay_per_step)
    model = build_model(params, data.atoms, data.supply_frame, rule)
    stage("aire")
    unmatched = list(supply_arrays.unmatched)
    _record_model(params, model, data)
    _progress(run, 40, "APL, densité et temps d’accès", delay_per_step)
    values = commune_values(model, data.sites)
    params["travel_time"]["within_commune_area_fill_km2"] = area_fill(data.atoms.frame.get("area_km2"))
    stage("calcul")
    _progress(run, 55, "agrégation par zone", delay_per_step)
    levels = zone_values(data.atoms, values)
    stage("agregation")
    _progress(run, 65, "classement", delay_per_step)
    zoning = inputs.zoning()
    mesh, params["classification"] = mesh_classes(data.atoms, values["apl_mg"], rule, levels)
    classes = classify(levels, rule, zoning, mesh)
    stage("classement")
    _progress(run, 75, "écriture des résultats", delay_per_step)
    summary = _summary(data, model, levels, zoning, unmatched)
    summary["zone_class_counts"] = zone_class_counts(data.atoms.frame, classes)
    is_estimate = params["travel_time"]["provider"] != "matrix" or params["supply"]["is_proxy"]
    _write(run, levels, classes)
    stage("ecriture")
    summary["stage_seconds"] = stage.stages
    _progress(run, 90, "comparaison avec le calcul précédent", delay_per_step)
    if _publish_or_hold(run, summary, params, is_estimate, data.used):
        forget_other_runs(run.pk)
        prune_old_runs()


def _read_inputs(run, params, delay_per_step) -> _Inputs:
    """Stage « lecture »: the communes, the supply, the emergency sites, the time matrix and the
    demand; the parameters of the run say which datasets it used."""
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
    _supply_and_times_parameters(params, supply_dataset, matrix)
    choice = _demand_parameters(params)
    used += choice.datasets
    by_indicator["apl_mg"] += [d.pk for d in choice.datasets]
    return _Inputs(atoms, supply_frame, sites, used, by_indicator, choice)


def _supply_and_times_parameters(params, supply_dataset, matrix):
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


def _demand_parameters(params):
    choice = demand.choose()
    params["apl"] = {
        **params["apl"],
        "demand": choice.text,
        "age_standardised": choice.standardised,
        "age_structure_dataset_id": choice.structure.pk if choice.structure else None,
        "age_weights_dataset_id": choice.weights.pk if choice.weights else None,
        "age_not_standardised_reason": choice.reason,
    }
    return choice


def _record_model(params, model, data: _Inputs):
    """What the built model says about its inputs, kept in the run's parameters."""
    params["travel_time"] = {**params["travel_time"], **_jsonable(model["times"].params)}
    params["supply"]["aged_65_plus_excluded"] = round(float(model["aged_65_plus_excluded"]), 1)
    params["supply"]["communes_with_ages"] = len(model["ages"])
    if data.choice.standardised:
        standardised, missing_codes = model["demand_counts"]
        params["apl"]["communes_standardised"] = standardised
        params["apl"]["communes_not_standardised"] = len(missing_codes)
        params["apl"]["communes_not_standardised_sample"] = missing_codes[:20]
        params["apl"]["demand_total"] = float(model["demand"].sum())
        params["apl"]["population_total"] = float(model["population"].sum())
    else:
        params["apl"]["communes_standardised"] = 0
        params["apl"]["communes_not_standardised"] = len(data.atoms)


def _summary(data: _Inputs, model, levels, zoning, unmatched) -> dict:
    sites, france = data.sites, levels["france"].iloc[0]
    basis = sites.get("basis", pd.Series(dtype=str))
    return {
        "communes": len(data.atoms),
        "communes_with_gp": int((model["gp"] > 0).sum()),
        "gp_total": float(model["gp"].sum()),
        "supply_unmatched_codes": unmatched[:50],
        "supply_unmatched": len(unmatched),
        "emergency_sites": len(sites),
        "emergency_sites_by_proxy": int((basis == "categorie").sum()),
        "emergency_sites_by_pole_proxy": int((basis == "sirene_pole").sum()),
        "emergency_sites_without_location": int(sites[["lon", "lat"]].isna().any(axis=1).sum())
        if len(sites)
        else 0,
        "france": {name: _num(france[name]) for name in INDICATORS},
        "zoning_communes": len(zoning),
        "datasets_by_indicator": {k: [i for i in v if i] for k, v in data.by_indicator.items()},
    }


def _finish(run, summary, params, is_estimate, step, **fields):
    run.summary, run.parameters, run.is_estimate = summary, params, is_estimate
    run.status = ComputationRun.Status.SUCCEEDED
    run.progress, run.finished_at, run.step = 100, timezone.now(), step
    for name, value in fields.items():
        setattr(run, name, value)
    run.save()


def _publish_or_hold(run, summary, params, is_estimate, used) -> bool:
    """The final transaction: the run becomes current, or is kept unpublished (a newer run is
    already published; or the publish gate holds it for an administrator). True if published."""
    with transaction.atomic():
        previous = ComputationRun.objects.select_for_update().filter(is_current=True).first()
        if previous is not None and previous.pk > run.pk:
            # A run requested after this one is already published: never replace it.
            step = f"terminé, non publié : le calcul n° {previous.pk}, demandé après, est déjà publié"
            _finish(run, summary, params, is_estimate, step)
            run.datasets.set(used)
            return False
        diff = compute_diff(previous, run) if previous else {"previous_run": None, "changed": [], "count": 0}
        reason = hold_reason(previous, run, diff, params)
        if reason:
            # Computed, kept, not published: an administrator reads the diff and decides.
            step = "terminé, à valider avant publication"
            _finish(
                run,
                summary,
                params,
                is_estimate,
                step,
                previous=previous,
                diff=diff,
                review="held",
                hold_reason=reason,
            )
            run.datasets.set(used)
            return False
        if previous:
            ComputationRun.objects.filter(pk=previous.pk).update(is_current=False)
        _finish(run, summary, params, is_estimate, "terminé", previous=previous, diff=diff, is_current=True)
        run.datasets.set(used)
    return True


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
    table, its key built by one sort, then attached: indicators/runs/partitions.py); on SpatiaLite one
    prepared INSERT run for every row. Never through model instances."""
    values = _value_frame(run, levels)
    classes_frame = classes.copy()
    classes_frame.insert(0, "run_id", run.pk)
    with transaction.atomic():
        partitions.write_run_rows(IndicatorValue._meta.db_table, run.pk, values)
        partitions.write_run_rows(Classification._meta.db_table, run.pk, classes_frame)


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
