"""What-if simulations: add or remove GP supply and see APL and class change, without writing anything.

Uses the catchment of the current run, kept in a process-level cache (``indicators.runs.cache``): once
built, a simulation is one sparse column update (milliseconds). Nothing is stored.
"""

import dataclasses
import time

import numpy as np
import pandas as pd

from indicators.models import Classification
from indicators.runs.aggregation import aggregate
from indicators.runs.cache import model_for
from indicators.runs.parameters import ZONE_LEVELS
from territories.models import EPCI, BassinDeVie, Commune, Departement, Region

ADD_MSP = "add_msp"
RETIRE_60 = "retire_60"
RETIRE_WITHIN = "retire_within"
ACTIONS = {
    ADD_MSP: "Ouverture d’une MSP avec N médecins généralistes dans une commune",
    RETIRE_60: "Départ de tous les médecins généralistes de 60 ans et plus du territoire",
    RETIRE_WITHIN: "Départs à la retraite (65 ans) d’ici N ans dans le territoire",
}
MAX_YEARS = 20
LEVEL_MODELS = {"bassin-de-vie": BassinDeVie, "epci": EPCI, "departement": Departement, "region": Region}
LEVEL_LABELS = {
    "commune": "Commune",
    "bassin-de-vie": "Bassin de vie",
    "epci": "EPCI",
    "departement": "Département",
    "region": "Région",
    "france": "France",
}


@dataclasses.dataclass
class Change:
    level: str
    code: str
    name: str
    apl_before: float | None
    apl_after: float | None
    class_before: str
    class_after: str

    @property
    def delta(self):
        if self.apl_before is None or self.apl_after is None:
            return None
        return self.apl_after - self.apl_before

    @property
    def class_changed(self):
        return self.class_before != self.class_after

    @property
    def level_label(self):
        return LEVEL_LABELS[self.level]


@dataclasses.dataclass
class WhatIf:
    action: str
    description: str
    communes: list[Change]
    zones: list[Change]
    notes: list[str]
    milliseconds: float
    run_id: int
    summary: list[str] = dataclasses.field(default_factory=list)  # the planning page's figures

    def classes_after(self):
        return {c.code: c.class_after for c in self.communes}


class WhatIfError(ValueError):
    pass


def simulate(run, zone_atom_codes, action, commune_code=None, gps=None, years=None) -> WhatIf:
    model = model_for(run)
    rule = run.rule
    index = model["index"]
    atoms = model["atoms"]
    supply = run.parameters["supply"]
    per_gp = supply["consultations_per_gp_per_year"]  # the unit of the run's supply (proxy-calibrated)
    per_practitioner = supply.get("consultations_per_practitioner", per_gp)  # a full-time GP
    notes = []
    changes: dict[int, float] = {}
    if action == ADD_MSP:
        if commune_code not in index or commune_code not in zone_atom_codes:
            raise WhatIfError("Choisissez une commune du territoire.")
        if not gps or gps < 1:
            raise WhatIfError("Le nombre de médecins doit être au moins 1.")
        changes[index[commune_code]] = gps * per_practitioner
        name = atoms.frame.loc[index[commune_code], "name"]
        description = (
            f"Ouverture d’une MSP avec {gps} médecin{'s' if gps > 1 else ''} généraliste"
            f"{'s' if gps > 1 else ''} à {name} ({commune_code}), soit "
            f"{gps * per_practitioner:,.0f} consultations par an ajoutées".replace(",", " ")
            + f" ({per_practitioner:,.0f} consultations par médecin à temps plein et par an, "
            "paramètre du calcul)".replace(",", " ")
        )
    elif action == RETIRE_60:
        gp, share = model["gp"], model["share60"]
        removed, unknown = 0.0, 0
        for code in zone_atom_codes:
            i = index.get(code)
            if i is None or gp[i] <= 0:
                continue
            if np.isnan(share[i]):
                unknown += 1
                continue
            amount = gp[i] * share[i]
            if amount > 0:
                changes[i] = -amount * per_gp
                removed += amount
        if not changes and unknown:
            raise WhatIfError(
                "Simulation impossible ici : l’âge des médecins n’est connu dans aucune commune de ce "
                "territoire (la source de l’offre, établissements SIRENE, ne donne pas l’âge). Elle "
                "le deviendra avec un import de l’Annuaire santé / RPPS indiquant la part des 60 ans et plus."
            )
        description = (
            f"Départ de {removed:.1f} médecin(s) généraliste(s) de 60 ans et plus ".replace(".", ",")
            + "(part des 60 ans et plus connue par commune)"
        )
        if unknown:
            notes.append(
                f"Âge des médecins inconnu dans {unknown} commune(s) dotée(s) de médecins : aucun départ n’y "
                "est simulé (le jeu de données de l’offre ne donne pas la part des 60 ans et plus)."
            )
        if not changes and not unknown:
            notes.append("Aucun médecin généraliste de 60 ans et plus recensé dans ce territoire.")
    elif action == RETIRE_WITHIN:
        changes, description = _retirements(model, zone_atom_codes, years, per_gp, notes)
    else:
        raise WhatIfError("Action inconnue.")
    start = time.perf_counter()
    before = model["apl"]
    after = model["catchment"].whatif(model["supply"], model["demand"], changes)
    elapsed = (time.perf_counter() - start) * 1000
    population = model["demand"]
    before = np.where(population > 0, before, np.nan)
    after = np.where(population > 0, after, np.nan)
    moved = np.flatnonzero(
        np.abs(np.nan_to_num(after - before)) > 1e-12 * np.maximum(1.0, np.nan_to_num(np.abs(before)))
    )
    communes = []
    frame = atoms.frame
    for i in moved:
        communes.append(
            Change(
                "commune",
                frame.at[i, "code"],
                frame.at[i, "name"],
                _f(before[i]),
                _f(after[i]),
                rule.classify_apl(_f(before[i])),
                rule.classify_apl(_f(after[i])),
            )
        )
    communes.sort(key=lambda c: -(abs(c.delta or 0)))
    zones = _zone_changes(frame, before, after, moved, rule)
    labels = dict(Classification.AplClass.choices)
    for change in communes + zones:
        change.class_before = labels[change.class_before]
        change.class_after = labels[change.class_after]
    return WhatIf(action, description, communes, zones, notes, elapsed, run.pk)


def _zone_changes(frame, before, after, moved, rule):
    if not len(moved):
        return []
    data = frame[["code", "parent", *ZONE_LEVELS.values(), "population"]].copy()
    data["before"], data["after"] = before, after
    data["france"] = "FR"
    touched = data.iloc[moved]
    out = []
    for level, column in [("commune", "parent"), *ZONE_LEVELS.items(), ("france", "france")]:
        codes = set(touched[column].dropna())
        if not codes:
            continue
        subset = data[data[column].isin(codes)]
        result = aggregate(subset, column, ["before", "after"])
        names = _names(level, codes)
        for code, row in result.iterrows():
            out.append(
                Change(
                    level,
                    code,
                    names.get(code, code),
                    _f(row["before"]),
                    _f(row["after"]),
                    rule.classify_apl(_f(row["before"])),
                    rule.classify_apl(_f(row["after"])),
                )
            )
    return out


def _names(level, codes):
    if level == "france":
        return {"FR": "France entière"}
    model = Commune if level == "commune" else LEVEL_MODELS[level]
    return dict(model.objects.filter(pk__in=codes).values_list("pk", "name"))


def _f(value):
    return None if value is None or pd.isna(value) else float(value)


def _retirements(model, zone_atom_codes, years, per_gp, notes):
    """GPs reaching 65 within ``years`` leave (the ages of the supply dataset; those already 65 or
    over are out of the supply when the run leaves them out, as the DREES does)."""
    from offers.models import RETIREMENT_AGE

    if not years or not 1 <= years <= MAX_YEARS:
        raise WhatIfError(f"Le nombre d’années doit être entre 1 et {MAX_YEARS}.")
    ages, index = model["ages"], model["index"]
    if not ages:
        raise WhatIfError(
            "Simulation impossible : l’âge des médecins n’est connu dans aucune commune (la source de "
            "l’offre ne le donne pas ; une extraction RPPS avec l’âge ou l’année de naissance le permet)."
        )
    threshold = RETIREMENT_AGE - years
    changes, removed, unknown = {}, 0.0, 0
    for code in zone_atom_codes:
        i = index.get(code)
        if i is None or model["gp"][i] <= 0:
            continue
        by_age = ages.get(int(i))
        if by_age is None:
            unknown += 1
            continue
        # GPs already 65 or over are not in ``ages`` when the run leaves them out of the supply.
        amount = sum(n for age, n in by_age.items() if age >= threshold)
        if amount > 0:
            changes[i] = -amount * per_gp
            removed += amount
    if unknown:
        notes.append(
            f"Âge des médecins inconnu dans {unknown} commune(s) dotée(s) de médecins : aucun départ n’y "
            "est simulé."
        )
    if not changes:
        notes.append(f"Aucun médecin généraliste n’atteint 65 ans d’ici {years} an(s) dans ce territoire.")
    description = (
        f"Départ de {removed:.1f} médecin(s) généraliste(s) atteignant 65 ans d’ici {years} an(s) ".replace(
            ".", ","
        )
        + f"(âge de {threshold} ans ou plus aujourd’hui, selon l’extraction de l’offre)"
    )
    return changes, description
