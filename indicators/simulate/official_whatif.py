"""What-if on the official scale: the DREES APL before, the DREES APL plus the effect of a change
of supply after.

APL is linear in supply. With ``W`` the step-weighted catchment of the current run (decay 1 under
10 min, 2/3 to 15, 1/3 to 20, as the DREES ``Paramètres`` sheet), ``P̃`` the standardised
population the DREES published for the millésime, adding ``Δs_j`` consultations a year in commune
``j`` adds to the APL of each commune ``i`` of its catchment

    ΔA_i = W_ij · Δs_j / D_j,   D_j = Σ_k W_kj · P̃_k   (the demand around j)

so the official figure never has to be reproduced (an inversion that would derive each commune's
supply from the published APL is ill-posed) and a simulation with no change returns the official
APL exactly. Zones move by the standardised-population-weighted mean of their communes' ΔA (the
DREES aggregation rule), from their stored official value.

Travel times are the run's (straight-line estimates unless a distancier is imported): the *effect*
is an estimate, the baseline is official; pages say both.
"""

import threading
import time

import numpy as np
from django.db.models import Q

from indicators.api.values import fixed_fr
from indicators.models import PublishedIndicatorValue, PublishedZoneValue
from indicators.official.published import APL, MAIN_VARIANT, apl_class, latest_official, thresholds
from indicators.runs.cache import model_for
from indicators.simulate.whatif import LEVEL_MODELS, Change, WhatIf, WhatIfError
from territories.models import Commune

NEW_GP_CONSULTATIONS = 5_400  # DREES: activity imputed to a GP without a previous year
OPEN_GPS = "official_add"
CLOSE_GPS = "official_remove"
ACTIONS = {
    OPEN_GPS: "Installation de médecins généralistes (MSP, centre de santé…) dans une commune",
    CLOSE_GPS: "Départ de médecins généralistes d’une commune",
}
ZONE_COLUMNS = {
    "bassin-de-vie": "bassin_de_vie",
    "epci": "epci",
    "departement": "departement",
    "region": "region",
}
_lock = threading.Lock()


def _official_arrays(model, millesime, dataset_id):
    """Official APL and standardised population per atom of the run's model, and the demand
    around each supply commune (cached with the model; rebuilt when a new file is imported)."""
    key = (millesime, dataset_id)
    with _lock:
        cached = model.get("official")
        if cached is not None and cached["key"] == key:
            return cached
    index = model["index"]
    n = len(model["atoms"])
    official = np.full(n, np.nan)
    ptilde = np.zeros(n)
    for code, value, population in PublishedIndicatorValue.objects.filter(
        indicator_code=APL, millesime=millesime, variant=MAIN_VARIANT, is_active=True
    ).values_list("commune_id", "value", "population"):
        i = index.get(code)
        if i is not None:
            official[i] = value
            ptilde[i] = population or 0.0
    missing = np.isnan(official)
    # atoms without a published value still live in the catchment: their municipal population
    ptilde[missing] = model["population"][missing]
    frame = model["atoms"].frame
    # arrondissements carry their parent's bassin de vie, EPCI and département in the COG import
    zones = {level: frame[column].to_numpy(dtype=object) for level, column in ZONE_COLUMNS.items()}
    zones["commune"] = frame["parent"].to_numpy(dtype=object)  # parent communes (Paris, Lyon, Marseille)
    arrays = {
        "key": key,
        "official": official,
        "ptilde": ptilde,
        "demand_around": model["catchment"].weights_t @ ptilde,
        "missing": int(missing.sum()),
        "zones": zones,
    }
    with _lock:
        model["official"] = arrays
    return arrays


official_arrays = _official_arrays  # the planning service reads the same arrays


def change_effect(catchment, arrays, j, delta):
    """The communes reached from supply commune ``j`` and the change of their APL when ``delta``
    consultations a year are added there: ``ΔA_i = W_ij · Δs / D_j`` (linear in ``delta``; 0 when
    no demand reaches ``j``)."""
    if len(catchment.ensure_columns([j])):  # a commune without supply: its column is built now
        arrays["demand_around"] = arrays["demand_around"].copy()
        arrays["demand_around"][j] = (catchment.weights_t[[j]] @ arrays["ptilde"])[0]
    weights_t = catchment.weights_t
    rows = weights_t.indices[weights_t.indptr[j] : weights_t.indptr[j + 1]]
    weights = weights_t.data[weights_t.indptr[j] : weights_t.indptr[j + 1]]
    demand_j = arrays["demand_around"][j]
    effect = weights * delta / demand_j if demand_j > 0 else np.zeros(len(rows))
    return rows, effect


def official_after(run, commune_code, delta):
    """The official APL of every atom after adding ``delta`` consultations in ``commune_code``
    (``delta=0`` returns the published values exactly). Returns (codes, before, after)."""
    latest = latest_official()
    if latest is None:
        raise WhatIfError("Aucune APL officielle n’est chargée.")
    model = model_for(run)
    arrays = _official_arrays(model, *latest)
    rows, effect = change_effect(model["catchment"], arrays, model["index"][commune_code], delta)
    before = arrays["official"]
    after = before.copy()
    after[rows] += effect
    return model["atoms"].frame["code"].to_numpy(), before, after


def simulate_official(run, zone_atom_codes, action, commune_code=None, gps=None, activity=None) -> WhatIf:
    """Effect of opening (or closing) ``gps`` GPs in ``commune_code`` on the official APL."""
    latest = latest_official()
    if latest is None:
        raise WhatIfError("Aucune APL officielle n’est chargée : la simulation se fait sur l’APL calculée.")
    millesime, dataset_id = latest
    model = model_for(run)
    index, frame = model["index"], model["atoms"].frame
    if commune_code not in index or commune_code not in zone_atom_codes:
        raise WhatIfError("Choisissez une commune du territoire.")
    if not gps or gps < 1:
        raise WhatIfError("Le nombre de médecins doit être au moins 1.")
    per_gp = activity or NEW_GP_CONSULTATIONS  # 5,400 unless the user knows better
    if per_gp <= 0 or per_gp > 20_000:
        raise WhatIfError("Activité par médecin : un nombre de consultations entre 1 et 20 000.")
    if action == OPEN_GPS:
        delta = gps * per_gp
    elif action == CLOSE_GPS:
        delta = -gps * per_gp
    else:
        raise WhatIfError("Action inconnue.")
    start = time.perf_counter()
    arrays = _official_arrays(model, millesime, dataset_id)
    j = index[commune_code]
    name = frame.at[j, "name"]
    notes = []
    rows, effect = change_effect(model["catchment"], arrays, j, delta)
    before = arrays["official"][rows]
    after = before + effect
    if (after < 0).any():
        notes.append(
            "L’effet d’un départ est borné à 0 : l’offre réelle de chaque commune n’est pas publiée, "
            "un départ plus important que l’offre présente ne peut pas être simulé au-delà."
        )
        after = np.maximum(after, 0.0)
        effect = after - before
    limits = thresholds()
    communes = []
    for i, b, a in zip(rows, before, after, strict=True):
        if np.isnan(b):
            continue
        communes.append(
            Change(
                "commune",
                frame.at[i, "code"],
                frame.at[i, "name"],
                float(b),
                float(a),
                apl_class(float(b), limits),
                apl_class(float(a), limits),
            )
        )
    communes.sort(key=lambda c: -abs(c.delta or 0))
    zones = _zone_changes(arrays, rows, np.nan_to_num(effect), millesime, limits)
    elapsed = (time.perf_counter() - start) * 1000
    verb = "Installation" if delta > 0 else "Départ"
    plural = "s" if gps > 1 else ""
    drees = action == OPEN_GPS and per_gp == NEW_GP_CONSULTATIONS
    basis = "activité imputée par la DREES à un nouveau médecin" if drees else "hypothèse saisie"
    description = (
        f"{verb} de {gps} médecin{plural} généraliste{plural} à {name} ({commune_code}) : "
        f"{fixed_fr(abs(delta), 0)} consultations par an ({fixed_fr(per_gp, 0)} par médecin, {basis})"
    )
    if arrays["missing"]:
        notes.append(
            f"{arrays['missing']} commune(s) sans APL publiée comptent dans la demande avec leur "
            "population municipale."
        )
    matrix = run.parameters["travel_time"]["provider"] == "matrix"
    times = "distancier importé" if matrix else "temps estimés à vol d’oiseau"
    notes.append(
        f"Avant : APL officielle DREES {millesime}. Après : la même, plus l’effet du changement "
        f"calculé sur le bassin de patientèle du calcul n° {run.pk} ({times}) et la population "
        "standardisée publiée par la DREES."
    )
    summary = _planning_figures(model, arrays, rows, effect, millesime, limits) if delta > 0 else []
    return WhatIf(action, description, communes, zones, notes, elapsed, run.pk, summary)


def _planning_figures(model, arrays, rows, effect, millesime, limits):
    """The figures the planning page gives for this commune (same populations, same rule): the
    deficit reduction, the people lifted above the thresholds, the communes changing class."""
    frame = model["atoms"].frame
    codes = [frame.at[i, "code"] for i in rows]
    totals = dict(
        PublishedIndicatorValue.objects.filter(
            indicator_code=APL,
            millesime=millesime,
            variant=MAIN_VARIANT,
            is_active=True,
            commune_id__in=codes,
        ).values_list("commune_id", "population_total")
    )
    population = np.array(
        [
            totals.get(c) if totals.get(c) is not None else model["population"][i]
            for c, i in zip(codes, rows, strict=True)
        ],
        dtype=float,
    )
    before = arrays["official"][rows]
    known = ~np.isnan(before)
    b, e, pop = before[known], effect[known], population[known]
    underserved, fragile = limits
    deficit = float((pop * np.minimum(e, np.maximum(0.0, underserved - b))).sum())
    lifted = float(pop[(b < underserved) & (b + e >= underserved)].sum())
    lifted_fragile = float(pop[(b < fragile) & (b + e >= fragile)].sum())
    changed = int((((b < underserved) & (b + e >= underserved)) | ((b < fragile) & (b + e >= fragile))).sum())
    return [
        f"Réduction du déficit : {fixed_fr(deficit, 0)} (habitants × écart au seuil de "
        f"{fixed_fr(underserved, 1)} comblé)",
        f"Habitants passant au-dessus de {fixed_fr(underserved, 1)} : {fixed_fr(lifted, 0)} ; "
        f"au-dessus de {fixed_fr(fragile, 0)} : {fixed_fr(lifted_fragile, 0)}",
        f"Communes changeant de classe : {changed}",
    ]


def _zone_changes(arrays, rows, effect, millesime, limits):
    """Zones touched: stored official value plus the standardised-population-weighted effect."""
    ptilde = arrays["ptilde"]
    touched = {}
    for level, codes in arrays["zones"].items():
        sums = {}
        for i, e in zip(rows, effect, strict=True):
            code = codes[i]
            if code is None or code != code:  # None or NaN
                continue
            sums[code] = sums.get(code, 0.0) + ptilde[i] * e
        for code, s in sums.items():
            touched[(level, code)] = s
    touched[("france", "FR")] = float(np.dot(ptilde[rows], effect))
    condition = Q()
    for level, code in touched:
        condition |= Q(level=level, zone_code=code)
    stored = {
        (z.level, z.zone_code): z
        for z in PublishedZoneValue.objects.filter(
            condition, indicator_code=APL, millesime=millesime, variant=MAIN_VARIANT
        )
    }
    names = {}
    for level in {lvl for lvl, _ in touched}:
        codes = [c for lvl, c in touched if lvl == level]
        if level == "france":
            names[level] = {"FR": "France entière"}
        else:
            model = Commune if level == "commune" else LEVEL_MODELS[level]
            names[level] = dict(model.objects.filter(pk__in=codes).values_list("pk", "name"))
    out = []
    order = ["commune", "bassin-de-vie", "epci", "departement", "region", "france"]
    for (level, code), weighted in sorted(touched.items(), key=lambda t: (order.index(t[0][0]), t[0][1])):
        z = stored.get((level, code))
        if z is None or z.value is None or not z.population_standardised:
            continue
        after = z.value + weighted / z.population_standardised
        out.append(
            Change(
                level,
                code,
                names[level].get(code, code),
                z.value,
                after,
                apl_class(z.value, limits),
                apl_class(after, limits),
            )
        )
    return out
