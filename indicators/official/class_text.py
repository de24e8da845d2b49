"""The class of a territory said in one sentence of plain French, with why (the figure it is decided
on and the threshold it falls under): « fragile : l’APL du bassin de vie de Guéret, 2,90, est sous
4 ». Read by the class card, the fiche and the exports, so that they all say the same thing."""

import re

from indicators.api.values import fixed_fr as fr


def threshold_words(label, limits) -> str:
    underserved, fragile = limits
    if label == "sous-dense":
        return f"est sous {fr(underserved, 1).rstrip('0').rstrip(',')}"
    if label == "fragile":
        return f"est sous {fr(fragile, 1).rstrip('0').rstrip(',')}"
    return f"atteint {fr(fragile, 1).rstrip('0').rstrip(',')} ou plus"


def elide(text: str) -> str:
    """« bassin de vie de Aubusson » → « bassin de vie d’Aubusson »."""
    return re.sub(r"\bde ([AEIOUYÉÈÊÂÎÔaeiouyéèêâîô])", r"d’\1", text)


def class_sentence(official) -> str | None:
    """« fragile : l’APL du bassin de vie de Guéret, 2,90, est sous 4 » (a commune, decided on its
    bassin de vie), « fragile : son APL, 2,97, est sous 4 » (a zone, decided on its own APL)."""
    if not official or official.get("class") is None:
        return None
    label, limits = official["class"], official["limits"]
    if official.get("class_basis"):
        where, value = official["class_basis"]
        where = elide(where)
        return f"{label} : l’APL du {where}, {fr(value)}, {threshold_words(label, limits)}"
    return f"{label} : son APL, {fr(official['value'])}, {threshold_words(label, limits)}"


def commune_alone(official) -> str | None:
    """When the commune's own APL would give another class, say so and why the wider area decides."""
    alone = official.get("commune_class") if official else None
    if not alone or alone == official.get("class"):
        return None
    return (
        f"la commune seule (APL {fr(official['value'])}) serait « {alone} » : la classe se décide "
        "sur le bassin de vie, comme le zonage de l’ARS"
    )
