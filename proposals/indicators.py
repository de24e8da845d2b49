"""The only door from proposals to measured outcomes: ``indicators.api.measures`` (read-only).

A measure stores an indicator code as a string; it is checked against the codes the indicators app
exposes (registry counts, counted live, and computed indicators, read from the current run).
"""

from indicators.api import measures as api

# Computed indicators of the indicators app (None until a computation run exists).
COMPUTED_INDICATORS = {
    "densite_mg": "Densité de médecins généralistes (pour 100 000 habitants)",
    "apl_mg": "Accessibilité potentielle localisée (APL) aux médecins généralistes",
    "temps_mg": "Temps d’accès au médecin généraliste le plus proche",
    "temps_urgences": "Temps d’accès aux soins urgents le plus proche",
    "part_pop_urgences_30min": "Part de la population à plus de 30 minutes des soins urgents (%)",
}


def known_indicators() -> dict[str, str]:
    """Code → label of every indicator a measure may be linked to."""
    codes = {code: label for code, (label, _condition) in api.REGISTRY_COUNTS.items()}
    exposed = getattr(api, "COMPUTED_INDICATORS", None) or getattr(api, "INDICATORS", None)
    if isinstance(exposed, dict):
        for code, value in exposed.items():
            codes.setdefault(code, value if isinstance(value, str) else getattr(value, "label", code))
    for code, label in COMPUTED_INDICATORS.items():
        codes.setdefault(code, label)
    return codes


def is_known_indicator(code: str) -> bool:
    return code in known_indicators()


def indicator_label(code: str) -> str:
    return known_indicators().get(code, code)


def measure(code: str, zone=None):
    """A Measurement, or None when the indicator is not measured yet (no computation run)."""
    if not code:
        return None
    return api.measure(code, zone)


def measure_many(codes, zone=None, cache=None) -> dict:
    """Several indicators of one zone in a few queries; share ``cache`` across the zones of a page."""
    codes = [c for c in dict.fromkeys(codes) if c]
    if not codes:
        return {}
    return api.measure_many(codes, zone, cache)
