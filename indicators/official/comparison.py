"""The portal's recomputed APL against the official DREES APL, on the same figures every time
(``manage.py compare_apl``): Pearson, Spearman, population-weighted mean absolute error, share of
the population in the same class, and the largest gaps with their likely cause."""

from dataclasses import dataclass

import numpy as np

from indicators.models import ComputationRun, IndicatorValue, PublishedIndicatorValue
from indicators.official.published import APL, MAIN_VARIANT, apl_class, thresholds
from offers.models import GPSupply


@dataclass
class Gap:
    code: str
    name: str
    population: float
    official: float
    computed: float
    cause: str

    @property
    def gap(self):
        return self.computed - self.official


def compare(run=None, millesime=None, top=10) -> dict:
    run = run or ComputationRun.current()
    if run is None:
        raise ValueError("aucun calcul publié")
    published = PublishedIndicatorValue.objects.filter(
        indicator_code=APL, variant=MAIN_VARIANT, is_active=True
    )
    millesimes = sorted(set(published.values_list("millesime", flat=True)))
    if not millesimes:
        raise ValueError("aucune APL DREES importée")
    millesime = millesime or millesimes[-1]
    if millesime not in millesimes:
        raise ValueError(f"millésime {millesime} absent (importés : {', '.join(millesimes)})")
    official = {
        code: (value, total if total is not None else population, name)
        for code, value, population, total, name in published.filter(millesime=millesime).values_list(
            "commune_id", "value", "population", "population_total", "commune__name"
        )
    }
    computed = dict(
        IndicatorValue.objects.filter(
            run=run, level="commune", indicator_id=APL, value__isnull=False
        ).values_list("zone_code", "value")
    )
    codes = sorted(set(official) & set(computed))
    if len(codes) < 3:
        raise ValueError("moins de 3 communes communes aux deux sources")
    o = np.array([official[c][0] for c in codes])
    p = np.array([computed[c] for c in codes])
    w = np.array([official[c][1] or 0.0 for c in codes])
    from scipy import stats

    limits = thresholds()
    same = np.array([apl_class(a, limits) == apl_class(b, limits) for a, b in zip(o, p, strict=True)])
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.abs(p - o) / np.where(o > 0, o, np.nan)
    dataset_id = run.parameters.get("supply", {}).get("dataset_id")
    supplied = set(
        GPSupply.objects.filter(dataset_id=dataset_id, headcount__gt=0).values_list("commune_id", flat=True)
    )
    order = np.argsort(-np.abs(p - o) * np.sqrt(np.maximum(w, 1)))[:top]
    gaps = [
        Gap(
            codes[i],
            official[codes[i]][2],
            w[i],
            o[i],
            p[i],
            _likely_cause(codes[i], o[i], p[i], codes[i] in supplied, run),
        )
        for i in order
    ]
    return {
        "run": run,
        "millesime": millesime,
        "communes": len(codes),
        "only_official": len(set(official) - set(computed)),
        "only_computed": len(set(computed) - set(official)),
        "pearson": float(stats.pearsonr(o, p)[0]),
        "spearman": float(stats.spearmanr(o, p)[0]),
        "median_relative_error": float(np.nanmedian(relative)),
        "weighted_mae": float(np.sum(w * np.abs(p - o)) / np.sum(w)) if w.sum() else float("nan"),
        "same_class_share": float(np.sum(w * same) / np.sum(w)) if w.sum() else float("nan"),
        "limits": limits,
        "gaps": gaps,
    }


def _likely_cause(code, official, computed, has_supply, run) -> str:
    proxy = run.parameters.get("supply", {}).get("is_proxy")
    straight = run.parameters.get("travel_time", {}).get("provider") != "matrix"
    if computed > official:
        if has_supply and proxy:
            return "offre surestimée : établissements SIRENE comptés comme médecins à plein temps"
        if straight:
            return "temps à vol d’oiseau plus courts que la route (relief, rivières, îles)"
        return "offre des communes voisines surestimée"
    if not has_supply:
        return (
            "aucun établissement dans la commune selon la source de l’offre "
            "(médecins salariés, centres de santé ou cabinets absents du proxy)"
        )
    if proxy:
        return "offre sous-estimée : un cabinet de groupe compte pour un seul établissement"
    return "demande ou temps de trajet différents de ceux de la DREES"
