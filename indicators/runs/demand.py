"""APL demand: the municipal population, or the age-standardised population when both an age
structure and consumption weights covering all its bands are imported.

Formula, for a commune *c* of the computation set present in the age structure, bands *b*,
population ``p[c, b]`` and weight ``w[b]``::

    S[c] = Σ_b p[c, b] × w[b]
    k    = Σ_c Σ_b p[c, b]  /  Σ_c S[c]          (sums over the communes standardised)
    D[c] = k × S[c]

i.e. the weights are normalised so that the standardised population of the communes standardised
equals their population in the age structure (with a structure covering France: the national
standardised population equals the national population). A commune of old people (high weights)
gets a higher demand than its population, hence a lower APL. Communes of the computation set
missing from the age structure keep their municipal population (counted in the run). No default
weights exist in the code: without an imported weight set, demand stays the municipal population
and the run says why.
"""

import dataclasses

import numpy as np
import pandas as pd

from indicators.models import AgePopulation, AgeWeight
from territories.models import Dataset

RAW_TEXT = "population municipale (non standardisée par âge : {reason})"


@dataclasses.dataclass
class DemandChoice:
    standardised: bool
    text: str
    reason: str = ""
    structure: Dataset | None = None
    weights: Dataset | None = None

    @property
    def datasets(self) -> list[Dataset]:
        return [d for d in (self.structure, self.weights) if d is not None] if self.standardised else []


def _latest_dataset(model) -> Dataset | None:
    dataset_id = (
        model.objects.filter(is_active=True)
        .order_by("-dataset__started_at")
        .values_list("dataset_id", flat=True)
        .first()
    )
    return Dataset.objects.filter(pk=dataset_id).first() if dataset_id else None


def structure_frame() -> pd.DataFrame:
    rows = AgePopulation.objects.filter(is_active=True).values_list("commune_id", "band", "population")
    return pd.DataFrame(list(rows), columns=["commune", "band", "population"])


def current_weights() -> dict[str, float]:
    return dict(AgeWeight.objects.filter(is_active=True).values_list("band", "weight"))


def _describe(dataset: Dataset) -> str:
    text = f"{dataset.title}, millésime {dataset.millesime}"
    if dataset.is_synthetic:
        text += ", échantillon synthétique"
    return text


def choose() -> DemandChoice:
    """Whether this run standardises its demand, and the text stored in ``parameters.apl.demand``."""
    structure = _latest_dataset(AgePopulation)
    weights = _latest_dataset(AgeWeight)
    if structure is None and weights is None:
        reason = "aucune structure par âge ni aucun poids par tranche d’âge importés"
    elif structure is None:
        reason = "aucune structure par âge importée (poids importés)"
    elif weights is None:
        reason = "aucun poids de consommation par tranche d’âge importé (structure par âge importée)"
    else:
        bands = set(AgePopulation.objects.filter(is_active=True).values_list("band", flat=True).distinct())
        missing = sorted(bands - set(current_weights()))
        if missing:
            reason = (
                f"les poids importés ne couvrent pas les tranches {', '.join(missing)} "
                "de la structure par âge"
            )
        else:
            text = (
                f"demande standardisée par âge (structure : {_describe(structure)} ; "
                f"poids : {_describe(weights)})"
            )
            return DemandChoice(True, text, structure=structure, weights=weights)
    return DemandChoice(
        False, RAW_TEXT.format(reason=reason), reason=reason, structure=structure, weights=weights
    )


def standardised_demand(codes, population: np.ndarray, frame: pd.DataFrame, weights: dict[str, float]):
    """(demand array, number of communes standardised, codes not standardised) — see the module doc."""
    population = np.asarray(population, dtype=float)
    demand = population.copy()
    if frame.empty:
        return demand, 0, list(codes)
    frame = frame.assign(weight=frame["band"].map(weights).astype(float))
    frame = frame.assign(weighted=frame["population"].astype(float) * frame["weight"])
    per_commune = frame.groupby("commune").agg(total=("population", "sum"), weighted=("weighted", "sum"))
    codes = pd.Index(codes)
    present = codes.isin(per_commune.index)
    covered = per_commune.reindex(codes[present])
    total_weighted = float(covered["weighted"].sum())
    if total_weighted <= 0:
        return demand, 0, list(codes)
    factor = float(covered["total"].sum()) / total_weighted
    demand[present] = covered["weighted"].to_numpy(dtype=float) * factor
    return demand, int(present.sum()), list(codes[~present])


def demand_for(atoms, apl_params: dict):
    """(demand array, communes standardised, codes not standardised) of a run — its
    ``parameters.apl.age_standardised`` says whether it is standardised."""
    population = atoms.frame["population"].to_numpy(dtype=float)
    if not apl_params.get("age_standardised"):
        return population, 0, list(atoms.frame["code"])
    return standardised_demand(atoms.frame["code"], population, structure_frame(), current_weights())
