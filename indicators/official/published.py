"""Values published by a producer (the DREES APL per commune), aggregated as the producer says and
read for pages.

The DREES note of the APL workbook: « pour calculer un APL moyen (agrégé au niveau du territoire
de vie-santé ou du département par exemple), l’APL communal doit être pondéré par la population
standardisée. Pour comptabiliser la population sous un seuil d’APL ou calculer des quantiles, la
population non standardisée doit être utilisée. » One function per rule (``weighted_apl``,
``population_below``), used for the stored zone aggregates (computed once, in the transaction of
the import: ``aggregate_published``), for drawn perimeters (at read time, from the commune rows)
and by ``compare_apl``.

Published values are never mixed into computation runs: the engine's own APL is shown only where
it is needed (simulations, a millésime without an official figure), called what it is.
"""

from dataclasses import dataclass, field

import numpy as np
from django.db.models import Q

from indicators.api.values import FRANCE, atoms_of_zone, by_keys, key_of
from indicators.models import ClassificationRule, PublishedIndicatorValue, PublishedZoneValue
from territories.importing.writes import write_rows
from territories.models import Commune
from territories.web.memo import per_request

APL = "apl_mg"
MAIN_VARIANT = PublishedIndicatorValue.Variant.NO_AGE_LIMIT
# The thresholds the ARS zonage and the DREES studies use (the active classification rule wins).
UNDERSERVED_BELOW, FRAGILE_BELOW = 2.5, 4.0

WEIGHT_LABELS = {
    "population_standardisee": "population standardisée publiée par la DREES",
    "population_totale": "population totale publiée par la DREES",
    "population_municipale": "population municipale INSEE (le fichier n’en donne pas)",
}


@per_request
def latest_official(indicator=APL):
    """(millésime, dataset id) of the latest published APL, or None (one query)."""
    return (
        PublishedZoneValue.objects.filter(indicator_code=indicator, level="france", variant=MAIN_VARIANT)
        .order_by("-millesime")
        .values_list("millesime", "dataset_id")
        .first()
    )


def official_datasets(millesimes, source="drees-apl"):
    """The latest successful dataset of each published millésime (newest millésime first)."""
    from territories.models import Dataset

    seen, out = set(), []
    for dataset in Dataset.objects.filter(
        source=source, millesime__in=millesimes, status="succeeded"
    ).order_by("-millesime", "-pk"):
        if dataset.millesime not in seen:
            seen.add(dataset.millesime)
            out.append(dataset)
    return out


# --- The rules (pure functions) ---------------------------------------------------------------


def weighted_apl(rows) -> tuple[float | None, float]:
    """Mean APL of a set of communes, weighted by their standardised population: ``rows`` of
    (value, standardised population). Returns (mean, total weight); None when no weight."""
    total = sum(w for _, w in rows if w)
    if not total:
        return None, 0.0
    return sum(v * w for v, w in rows if w) / total, total


def population_below(rows, threshold) -> float:
    """Total (not standardised) population of the communes whose APL is below ``threshold``:
    ``rows`` of (value, total population)."""
    return sum(p or 0 for v, p in rows if v is not None and v < threshold)


@per_request
def thresholds() -> tuple[float, float]:
    rule = ClassificationRule.objects.filter(is_active=True).order_by("-version").first()
    if rule is None:
        return UNDERSERVED_BELOW, FRAGILE_BELOW
    return rule.underserved_below, rule.fragile_below


def apl_class(value, limits=None) -> str | None:
    """« sous-dense » / « fragile » / « non déficitaire » for an APL (None when unknown)."""
    if value is None:
        return None
    underserved, fragile = limits or (UNDERSERVED_BELOW, FRAGILE_BELOW)
    if value < underserved:
        return "sous-dense"
    if value < fragile:
        return "fragile"
    return "non déficitaire"


@dataclass
class Aggregate:
    rows: list = field(default_factory=list)  # (value, standardised pop, total pop)

    def result(self, limits):
        """``weighted_apl`` and ``population_below`` over the rows, in one pass (the same sums in
        the same order: 150,000 zones per millésime at import)."""
        underserved, fragile = limits
        weight = weighted = total = below_underserved = below_fragile = 0
        for v, s, t in self.rows:
            if s:
                weight += s
                weighted += v * s
            t = t or 0
            total += t
            if v is not None:
                if v < underserved:
                    below_underserved += t
                if v < fragile:
                    below_fragile += t
        return {
            "value": weighted / weight if weight else None,
            "population_standardised": weight if weight else 0.0,
            "population_total": total,
            "population_underserved": below_underserved,
            "population_fragile": below_fragile,
            "communes": len(self.rows),
        }


# --- Stored aggregates (computed at import) ---------------------------------------------------


def _memberships():
    """code → (parent commune, bassin de vie, EPCI, département, région) of every commune and
    arrondissement (an arrondissement takes its parent's zones when it has none of its own)."""
    rows = {
        r[0]: r
        for r in Commune.objects.values_list(
            "code", "parent_id", "bassin_de_vie_id", "epci_id", "departement_id", "departement__region_id"
        )
    }
    out = {}
    for code, parent, bv, epci, dep, region in rows.values():
        if parent and parent in rows:
            p = rows[parent]
            bv, epci, dep, region = bv or p[2], epci or p[3], dep or p[4], region or p[5]
        out[code] = (parent, bv, epci, dep, region)
    return out


def aggregate_published(indicator, millesime, dataset=None) -> dict:
    """(Re)compute the stored zone aggregates of one millésime from the active commune rows; write
    only what changed. Returns counts per level (for the import report)."""
    limits = thresholds()
    memberships = _memberships()
    # tuples, not model instances: 70,000 rows per millésime
    rows = list(
        PublishedIndicatorValue.objects.filter(
            indicator_code=indicator, millesime=millesime, is_active=True
        ).values_list("variant", "commune_id", "value", "population", "population_kind", "population_total")
    )
    wanted = _zone_aggregates(rows, memberships, limits)
    fields = list(AGGREGATE_FIELDS)
    existing = {
        (z[1], z[2], z[3]): z
        for z in PublishedZoneValue.objects.filter(indicator_code=indicator, millesime=millesime).values_list(
            "pk", "variant", "level", "zone_code", *fields, "dataset_id"
        )
    }
    creates, updates = [], []
    for key, values in wanted.items():
        stored = existing.get(key)
        if stored is None:
            creates.append(
                {
                    "indicator_code": indicator,
                    "millesime": millesime,
                    "variant": key[0],
                    "level": key[1],
                    "zone_code": key[2],
                    "dataset_id": dataset.pk if dataset else None,
                    **values,
                }
            )
        elif tuple(values.values()) != stored[4:-1] and any(
            _differs(old, values[f]) for f, old in zip(fields, stored[4:], strict=False)
        ):
            updates.append(
                PublishedZoneValue(
                    pk=stored[0],
                    indicator_code=indicator,
                    millesime=millesime,
                    variant=key[0],
                    level=key[1],
                    zone_code=key[2],
                    dataset_id=dataset.pk if dataset else stored[-1],
                    **values,
                )
            )
    gone = [z[0] for key, z in existing.items() if key not in wanted]
    write_rows(PublishedZoneValue, creates)  # COPY / one executemany (150,000 rows a millésime)
    if updates:
        PublishedZoneValue.objects.bulk_update(updates, [*fields, "dataset"], batch_size=2000)
    if gone:
        PublishedZoneValue.objects.filter(pk__in=gone).delete()  # derived rows, recomputed above
    counts = {}
    for _variant, level, _code in wanted:
        counts[level] = counts.get(level, 0) + 1
    return {"par_niveau": counts, "creees": len(creates), "modifiees": len(updates), "retirees": len(gone)}


AGGREGATE_FIELDS = (
    "value",
    "population_standardised",
    "population_total",
    "population_underserved",
    "population_fragile",
    "communes",
)


def _zone_aggregates(rows, memberships, limits) -> dict:
    """(variant, level, code) → the fields of :meth:`Aggregate.result`, for every zone that holds a
    commune row, all zones at once (numpy). ``np.bincount`` adds the weights of each group in the
    order of ``rows``, one after the other, as :meth:`Aggregate.result` does: the same sums, to
    the last bit."""
    # a parent commune (75056…) counts only when none of its arrondissements has a value
    with_arms = {memberships.get(r[1], (None,))[0] for r in rows} - {None}
    rows = [r for r in rows if r[1] not in with_arms]
    if not rows:
        return {}
    variant, commune, value, population, kind, total = zip(*rows, strict=True)
    value = np.array(value, dtype=float)
    standardised = np.array([p if p else 0.0 for p in population], dtype=float)
    total = np.array(
        [
            (p if t is None and k == "population_totale" else t) or 0.0
            for p, k, t in zip(population, kind, total, strict=True)
        ],
        dtype=float,
    )
    underserved, fragile = limits
    weights = {
        "standardised": standardised,
        "weighted": value * standardised,
        "total": total,
        "underserved": np.where(value < underserved, total, 0.0),
        "fragile": np.where(value < fragile, total, 0.0),
    }
    zones = [memberships.get(c, (None,) * 5) for c in commune]
    levels = [
        ("commune", list(commune)),
        ("france", [FRANCE[1]] * len(rows)),
        ("commune", [z[0] for z in zones]),
        ("bassin-de-vie", [z[1] for z in zones]),
        ("epci", [z[2] for z in zones]),
        ("departement", [z[3] for z in zones]),
        ("region", [z[4] for z in zones]),
    ]
    # every (variant, level, code) a row belongs to, in the order of the rows within each group
    index, order, keys = {}, [], []
    for level, codes in levels:
        for i, (v, code) in enumerate(zip(variant, codes, strict=True)):
            if code:
                key = (v, level, code)
                group = index.get(key)
                if group is None:
                    group = index[key] = len(index)
                order.append(i)
                keys.append(group)
    return _sums_by_group(index, np.array(keys), np.array(order), weights)


def _sums_by_group(index, groups, order, weights) -> dict:
    """The aggregate fields of each group: ``groups[j]`` is the group of row ``order[j]``. The
    memberships are listed level by level, so a group's rows come in the order of the rows."""
    n = len(index)
    sums = {name: np.bincount(groups, weights=w[order], minlength=n) for name, w in weights.items()}
    counts = np.bincount(groups, minlength=n)
    out = {}
    for key, g in index.items():
        weight = float(sums["standardised"][g])
        out[key] = {
            "value": float(sums["weighted"][g]) / weight if weight else None,
            "population_standardised": weight if weight else 0.0,
            "population_total": float(sums["total"][g]),
            "population_underserved": float(sums["underserved"][g]),
            "population_fragile": float(sums["fragile"][g]),
            "communes": int(counts[g]),
        }
    return out


def _differs(a, b) -> bool:
    if a is None or b is None:
        return a is not b
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b))
    return a != b


# --- Reading ----------------------------------------------------------------------------------


def _perimeter_values(zone, indicator, limits):
    """Aggregates of a drawn perimeter, per (millésime, variant), from the commune rows."""
    atoms = atoms_of_zone(zone)
    groups: dict[tuple, Aggregate] = {}
    for r in PublishedIndicatorValue.objects.filter(
        indicator_code=indicator, is_active=True, commune_id__in=atoms
    ).only("millesime", "variant", "value", "population", "population_total"):
        groups.setdefault((r.millesime, r.variant), Aggregate()).rows.append(
            (r.value, r.population, r.population_total)
        )
    return {k: agg.result(limits) for k, agg in groups.items()}


@per_request
def official_apl(zone, parents=(), indicator=APL):
    """The official APL of a zone (commune, any zone level, drawn perimeter), its evolution since
    the previous millésime, its class and where it stands against its parents and France.

    One query for the stored aggregates of the zone, its parents, their bassin de vie and France
    (plus one for the datasets); a drawn perimeter adds one query on its commune rows. Returns
    None when nothing is published for the zone.
    """
    limits = thresholds()
    key = key_of(zone)
    keys = [k for k in [key, *(key_of(p) for p in parents), FRANCE] if k]
    bv_key = None
    if isinstance(zone, Commune):
        bv = zone.bassin_de_vie_id or (zone.parent.bassin_de_vie_id if zone.parent_id else None)
        if bv:
            bv_key = ("bassin-de-vie", bv)
            keys.append(bv_key)
    stored, datasets = _stored_values(keys, key, indicator)
    own = stored.get(key) if key else _perimeter_values(zone, indicator, limits)
    if not own:
        return None
    millesimes = sorted({m for m, v in own if v == MAIN_VARIANT and own[(m, v)]["value"] is not None})
    if not millesimes:
        return None
    latest = millesimes[-1]
    previous = millesimes[-2] if len(millesimes) > 1 else None
    main = own[(latest, MAIN_VARIANT)]
    before = own[(previous, MAIN_VARIANT)]["value"] if previous else None
    if key is None:  # perimeter: the datasets of the millésime
        datasets = {(d.millesime, d.pk): d for d in official_datasets([latest])}
    # the source shown is the latest millésime's (the figure on the card); the others are listed
    # as evolution
    datasets = {pk: d for (m, pk), d in datasets.items() if m == latest}
    series = [(m, own[(m, MAIN_VARIANT)]["value"]) for m in millesimes]
    comparisons = []
    for parent in parents:
        values = stored.get(key_of(parent), {})
        entry = values.get((latest, MAIN_VARIANT))
        comparisons.append((parent, entry["value"] if entry else None))
    france = stored.get(FRANCE, {}).get((latest, MAIN_VARIANT))
    is_commune = isinstance(zone, Commune) and key and main["communes"] == 1
    zone_class, class_basis = _zone_class(zone, bv_key, stored, latest, main, limits)
    variants = [
        (PublishedIndicatorValue.Variant(v).label, own[(m, v)]["value"])
        for (m, v) in sorted(own)
        if m == latest
    ]
    total = main["population_total"] or 0
    return {
        "millesime": latest,
        "value": main["value"],
        "previous_millesime": previous,
        "previous": before,
        "change": (main["value"] - before) if before is not None and main["value"] is not None else None,
        "change_abs": abs(main["value"] - before)
        if before is not None and main["value"] is not None
        else None,
        "series": series,
        "variants": variants,
        "class": zone_class,
        "class_basis": class_basis,
        "commune_class": apl_class(main["value"], limits) if is_commune else None,
        "limits": limits,
        "comparisons": comparisons,
        "france": france["value"] if france else None,
        "aggregated": not is_commune,
        "communes": main["communes"],
        "population_total": total,
        "population_underserved": main["population_underserved"],
        "share_underserved": (100 * main["population_underserved"] / total) if total else None,
        "share_fragile": (100 * main["population_fragile"] / total) if total else None,
        "datasets": list(datasets.values()),
        "is_synthetic": any(d.is_synthetic for d in datasets.values()),
        "weight": WEIGHT_LABELS["population_standardisee"],
    }


def _stored_values(keys, key, indicator):
    """The stored aggregates of the zones ``keys`` (one query) by (millésime, variant), and the
    datasets of the zone ``key`` by (millésime, dataset id)."""
    stored: dict[tuple, dict] = {}
    datasets = {}
    published = PublishedZoneValue.objects.filter(indicator_code=indicator).select_related("dataset")
    for z in by_keys(published, set(keys)):
        stored.setdefault((z.level, z.zone_code), {})[(z.millesime, z.variant)] = {
            "value": z.value,
            "population_standardised": z.population_standardised,
            "population_total": z.population_total,
            "population_underserved": z.population_underserved,
            "population_fragile": z.population_fragile,
            "communes": z.communes,
        }
        if z.dataset_id and (z.level, z.zone_code) == (key or ("", "")):
            datasets[(z.millesime, z.dataset_id)] = z.dataset
    return stored, datasets


def _zone_class(zone, bv_key, stored, latest, main, limits):
    """The class, as the ARS zonage decides it: on the APL of the wider area (the bassin de vie
    until territoires de vie-santé are loaded), not on one small commune's figure."""
    class_basis = None
    if bv_key and stored.get(bv_key, {}).get((latest, MAIN_VARIANT)):
        bv_entry = stored[bv_key][(latest, MAIN_VARIANT)]
        bv_name = zone.bassin_de_vie.name if zone.bassin_de_vie_id else zone.parent.bassin_de_vie.name
        zone_class = apl_class(bv_entry["value"], limits)
        class_basis = (f"bassin de vie de {bv_name}", bv_entry["value"])
    else:
        zone_class = apl_class(main["value"], limits)
    return zone_class, class_basis


def published_apl(zone=None, indicator=APL):
    """Backward-compatible summary used by the definition page: the latest millésime's variants
    of a zone (France when ``zone`` is None)."""
    if zone is None:
        from indicators.api.values import FRANCE as _FR

        rows = PublishedZoneValue.objects.filter(
            indicator_code=indicator, level=_FR[0], zone_code=_FR[1]
        ).select_related("dataset")
        rows = list(rows)
        if not rows:
            return None
        latest = max(r.millesime for r in rows)
        chosen = [r for r in rows if r.millesime == latest]
        datasets = {r.dataset_id: r.dataset for r in chosen if r.dataset_id}
        return {
            "millesime": latest,
            "variants": [(PublishedIndicatorValue.Variant(r.variant).label, r.value) for r in chosen],
            "aggregated": True,
            "communes": max(r.communes for r in chosen),
            "weight": WEIGHT_LABELS["population_standardisee"],
            "datasets": list(datasets.values()),
            "is_synthetic": any(d.is_synthetic for d in datasets.values()),
            "other_millesimes": sorted({r.millesime for r in rows} - {latest}),
        }
    official = official_apl(zone, indicator=indicator)
    if official is None:
        return None
    return {
        **official,
        "other_millesimes": [m for m, _ in official["series"] if m != official["millesime"]],
    }


CLASS_KEYS = {"sous-dense": "sous_dense", "fragile": "fragile", "non déficitaire": "non_deficitaire"}


def official_commune_classes(codes, indicator=APL, among=None) -> tuple[dict, str | None]:
    """For communes (or arrondissements): {code: (official APL, class key, class label)} with the
    class decided on the APL of their bassin de vie (the ARS level until territoires de
    vie-santé are loaded), and the text saying which APL, level and millésime. Two queries.
    ``among(field)``: the same codes as a condition on ``field`` (then evaluated by the database,
    no parameter per commune is sent)."""
    found = latest_official(indicator)
    if found is None:
        return {}, None
    latest = found[0]
    limits = thresholds()
    if among is None:
        codes = list(codes)

        def among(field):
            return Q(**{f"{field}__in": codes})

    communes = Commune.objects.filter(among("code"))
    bv_of = dict(communes.values_list("code", "bassin_de_vie_id"))
    published = PublishedZoneValue.objects.filter(
        indicator_code=indicator, millesime=latest, variant=MAIN_VARIANT
    )
    # two queries read by index (their ORed conditions read every published value of France)
    commune_values = dict(
        published.filter(among("zone_code"), level="commune").values_list("zone_code", "value")
    )
    bv_values = dict(
        published.filter(level="bassin-de-vie", zone_code__in={b for b in bv_of.values() if b}).values_list(
            "zone_code", "value"
        )
    )
    out = {}
    for code in codes:
        basis = bv_values.get(bv_of.get(code))
        label = apl_class(basis if basis is not None else commune_values.get(code), limits)
        out[code] = (commune_values.get(code), CLASS_KEYS.get(label, "inconnu"), label or "non publiée")
    return out, f"APL officielle DREES {latest} du bassin de vie (seuils {limits[0]:g} et {limits[1]:g})"
