"""The parameters of a run: the indicators computed, the zone levels they are aggregated to and the
default parameters (overridable per run).
"""

INDICATORS = ["densite_mg", "apl_mg", "temps_mg", "temps_urgences", "part_pop_urgences_30min"]


# Zone levels stored per run (territories.zones levels); "commune" also holds the parent communes
# of arrondissements (aggregates), "france" the national value.
ZONE_LEVELS = {
    "bassin-de-vie": "bassin_de_vie",
    "epci": "epci",
    "departement": "departement",
    "region": "region",
}


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
        # Replaced in each run by indicators.runs.demand.choose(): standardised by age only when an age
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


def default_parameters(overrides: dict | None = None) -> dict:
    params = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULT_PARAMETERS.items()}
    for key, value in (overrides or {}).items():
        if isinstance(value, dict) and isinstance(params.get(key), dict):
            params[key].update(value)
        else:
            params[key] = value
    return params
