"""Values published by a producer (the DREES APL per commune), read for pages.

They are shown *beside* the computed indicators, never mixed into computation runs. For a zone
(or a commune made of arrondissements without a value of its own) the published commune values
are aggregated as a population-weighted mean over the communes that have one, with the weight the
file gives (population standardisée, else population totale; the municipal population of the
portal when the file gives none), and the page says so.
"""

from territories.models import Commune

from .models import PublishedIndicatorValue
from .values import atoms_of_zone

WEIGHT_LABELS = {
    "population_standardisee": "population standardisée publiée par la DREES",
    "population_totale": "population totale publiée par la DREES",
    "population_municipale": "population municipale INSEE (le fichier n’en donne pas)",
}


def _candidates(zone) -> tuple[list[str], dict[str, list[str]]]:
    """Commune codes whose published value stands for the zone: arrondissements replace their
    parent commune; a parent stands for itself when none of its arrondissements has a value."""
    atoms = atoms_of_zone(zone)
    arms = dict(
        Commune.objects.filter(code__in=atoms, kind=Commune.Kind.ARRONDISSEMENT).values_list(
            "code", "parent_id"
        )
    )
    by_parent = {}
    for arm, parent in arms.items():
        by_parent.setdefault(parent, []).append(arm)
    return atoms, by_parent


def published_apl(zone=None, indicator="apl_mg"):
    """The latest published APL of a commune or zone (None when nothing is published for it).

    ``zone=None``: every published commune (France-wide weighted mean of the file's communes).
    Returns millésime, variants [(label, value)], aggregated flag, number of communes, the weight
    used, the datasets (source, licence, synthetic flag).
    """
    rows = PublishedIndicatorValue.objects.filter(indicator_code=indicator, is_active=True)
    if not rows.exists():  # nothing imported: one query per page
        return None
    direct = False
    if zone is None:
        selected = rows
    elif isinstance(zone, Commune) and rows.filter(commune_id=zone.code).exists():
        selected, direct = rows.filter(commune_id=zone.code), True
    else:
        atoms, by_parent = _candidates(zone)
        parents = list(by_parent)
        selected = rows.filter(commune_id__in=atoms + parents)
        with_arms = set(selected.filter(commune_id__in=atoms).values_list("commune_id", flat=True))
        # a parent commune (75056…) counts only when none of its arrondissements has a value
        drop = [p for p, arms in by_parent.items() if with_arms.intersection(arms)]
        if drop:
            selected = selected.exclude(commune_id__in=drop)
    millesimes = sorted(set(selected.values_list("millesime", flat=True)))
    if not millesimes:
        return None
    millesime = millesimes[-1]
    latest = list(selected.filter(millesime=millesime).select_related("dataset"))
    variants = []
    for variant in PublishedIndicatorValue.Variant:
        values = [r for r in latest if r.variant == variant]
        if not values:
            continue
        if direct:
            variants.append((variant.label, values[0].value))
            continue
        weighted = [r for r in values if r.population]
        total = sum(r.population for r in weighted)
        variants.append(
            (variant.label, sum(r.value * r.population for r in weighted) / total if total else None)
        )
    communes = {r.commune_id for r in latest}
    kinds = {r.population_kind for r in latest if r.population}
    datasets = {r.dataset_id: r.dataset for r in latest if r.dataset_id}
    return {
        "millesime": millesime,
        "variants": variants,
        "aggregated": not direct,
        "communes": len(communes),
        "weight": " ; ".join(WEIGHT_LABELS.get(k, k) for k in sorted(kinds)),
        "datasets": list(datasets.values()),
        "is_synthetic": any(d.is_synthetic for d in datasets.values()),
        "other_millesimes": millesimes[:-1],
    }
