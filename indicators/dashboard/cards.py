"""Key-figure cards of territory pages (registered in ``IndicatorsConfig.ready``).

The first card is the official APL (DREES, latest millésime) with its evolution, its class and its
position against the parent zones and France; then the class and the ARS zonage; then the figures
of the current computation run (density, time to a GP, population far from emergency care), each
with its unit and an estimate/proxy badge. Everything is read from stored rows: a fixed number of
queries per page, whatever the level.
"""

from django.urls import reverse

from indicators.api.values import (
    FRANCE,
    all_definitions,
    class_of,
    estimate_flags,
    key_of,
    perimeter_value,
    values_for,
)
from indicators.api.values import fixed_fr as fr
from indicators.models import Classification, ComputationRun, PublishedZoneValue
from indicators.official.class_text import class_sentence, commune_alone
from indicators.official.published import official_apl
from indicators.perms import can_simulate
from offers.sections import zoning_line
from territories.zones import parent_zones

RUN_CARDS = [  # (order, indicator code, decimals)
    (30, "densite_mg", 0),
    (40, "temps_mg", 1),
    (50, "part_pop_urgences_30min", 1),
]
PROXY_DENSITY_SHORT = "établissements (proxy des médecins) pour 100 000 hab."
SHORT_UNITS = {
    "apl_mg": "consultations / hab. / an",
    "densite_mg": "pour 100 000 hab.",
    "temps_mg": "minutes",
    "temps_urgences": "minutes",
    "part_pop_urgences_30min": "% de la population",
}


def signed(value, decimals=2) -> str:
    text = fr(abs(value), decimals)
    return ("+" if value > 0 else "−" if value < 0 else "±") + text


def zone_label(zone) -> str:
    """A parent's name as a comparison label; a bassin de vie often bears its commune's name."""
    from territories.models import BassinDeVie

    return f"Bassin de vie {zone.name}" if isinstance(zone, BassinDeVie) else zone.name


def _comparisons(parents, values, decimals, france):
    out = [(zone_label(p), fr(v, decimals) if v is not None else "—") for p, v in values]
    out.append(("France", fr(france, decimals) if france is not None else "—"))
    return out


def apl_card(zone, parents, official):
    if official is None:
        return None
    latest, previous = official["millesime"], official["previous_millesime"]
    lines = []
    if official["change"] is not None:
        trend = "en baisse" if official["change"] < 0 else "en hausse" if official["change"] > 0 else "stable"
        lines.append(
            f"{trend} depuis {previous} : {fr(official['previous'])} → {fr(official['value'])} "
            f"({signed(official['change'])})"
        )
    else:
        lines.append("un seul millésime publié : pas d’évolution à montrer")
    note = ""
    if official["aggregated"]:
        note = (
            f"Moyenne des {official['communes']} communes publiées, pondérée par la population "
            "standardisée (règle de la DREES)."
        )
    source = ", ".join(
        f"{d.publisher or 'DREES'}, millésime {d.millesime}, {d.licence}" for d in official["datasets"]
    )
    badges = [("officiel DREES", "ok")]
    if official["is_synthetic"]:
        badges = [("échantillon synthétique", "warn")]
    return {
        "order": 10,
        "id": "apl",
        "title": f"APL aux médecins généralistes ({latest})",
        "value": fr(official["value"]),
        "unit": SHORT_UNITS["apl_mg"],
        "badges": badges,
        "lines": lines,
        "comparisons": _comparisons(parents, official["comparisons"], 2, official["france"]),
        "note": note,
        "href": reverse("indicators:definition", args=["apl_mg"]),
        "source": source or "DREES",
        "distribution": None,
    }


def mesh_line(classification) -> str:
    """« estimation du portail (proxy SIRENE), classe du territoire de vie-santé, comme le zonage
    ARS : fragile (APL 3,1, calcul n° 12) » — the portal's own figure, said so beside the official one."""
    parameters = classification.run.parameters or {}
    described = parameters.get("classification", {})
    if described.get("mesh_source") == "tvs":
        where = "classe du territoire de vie-santé, comme le zonage ARS"
    else:
        where = "classe du bassin de vie (approximation du territoire de vie-santé du zonage ARS)"
    who = "estimation du portail" + (
        " (proxy SIRENE)" if parameters.get("supply", {}).get("is_proxy") else ""
    )
    label = Classification.AplClass(classification.mesh_class).label
    apl = f"APL {fr(classification.mesh_apl, 1)}, " if classification.mesh_apl is not None else ""
    return f"{who}, {where} : {label} ({apl}calcul n° {classification.run_id})"


def class_card(zone, official, classification):
    if official is None and classification is None:
        return None
    lines, value, note = [], None, ""
    limits = official["limits"] if official else None
    if official:
        value = official["class"]
        lines = [t for t in (class_sentence(official), commune_alone(official)) if t]
        if official["aggregated"] and official["share_underserved"] is not None:
            lines.append(
                f"{fr(official['share_underserved'], 1)} % de la population dans une commune "
                f"sous {fr(limits[0], 1)}"
            )
        note = (
            f"Seuils : sous-dense si APL < {fr(limits[0], 1)}, fragile si < {fr(limits[1], 1)} "
            f"(APL officielle DREES {official['millesime']})."
        )
    lines.append(zoning_line(zone))
    return {
        "order": 20,
        "id": "classe",
        "title": "Classe d’accessibilité",
        "value": value or "non publiée",
        "unit": "",
        "badges": [("officiel DREES", "ok")] if official else [],
        "lines": lines,
        "comparisons": [],
        "note": note,
        "href": reverse("indicators:index"),
        "source": "",
        "distribution": None,
    }


def estimated_class_card(classification):
    """The portal's own class (its run, proxy supply): an estimate, shown among the estimates."""
    if classification is None or not classification.mesh_class:
        return None
    return {
        "order": 80,
        "group": "estimate",
        "id": "classe_estimee",
        "title": "Classe recalculée par le portail",
        "value": Classification.AplClass(classification.mesh_class).label,
        "unit": "",
        "badges": [("estimation", "warn")],
        "lines": [mesh_line(classification)],
        "comparisons": [],
        "note": "Ne remplace pas la classe officielle ci-dessus.",
        "href": reverse("indicators:index"),
        "source": f"calcul n° {classification.run_id}",
        "distribution": None,
    }


def run_cards(zone, parents, run, values, key):
    if run is None:
        return []
    definitions = {d.code: d for d in all_definitions()}
    flags = estimate_flags(run)
    cards = []
    for order, code, decimals in RUN_CARDS:
        definition = definitions.get(code)
        if definition is None:
            continue
        if key is None:
            value = perimeter_value(run, code, zone)
        else:
            value = getattr(values.get(key, {}).get(code), "value", None)
        badges = []
        if code == "densite_mg" and run.parameters.get("supply", {}).get("is_proxy"):
            badges.append(("proxy", "warn"))
        if flags.get(code):
            badges.append(("estimation", "warn"))
        parent_values = [(p, getattr(values.get(key_of(p), {}).get(code), "value", None)) for p in parents]
        france = getattr(values.get(FRANCE, {}).get(code), "value", None)
        cards.append(
            {
                "order": order + 50,
                "group": "estimate",
                "id": code,
                "title": "Densité d’établissements de généralistes"
                if ("proxy", "warn") in badges
                else definition.short_label or definition.label,
                "value": fr(value, decimals),
                "unit": SHORT_UNITS[code] if not badges or code != "densite_mg" else PROXY_DENSITY_SHORT,
                "badges": badges,
                "lines": [],
                "comparisons": _comparisons(parents, parent_values, decimals, france),
                "note": "",
                "href": reverse("indicators:definition", args=[code]) + f"?calcul={run.pk}",
                "source": f"calcul n° {run.pk}",
                "distribution": None,
            }
        )
    return cards


def distribution(zone, official):
    """Where a commune sits among the communes of its département (official APL, latest
    millésime): a 20-bin histogram and the rank, computed from the stored commune rows."""
    from territories.models import Commune

    if official is None or not isinstance(zone, Commune) or official["value"] is None:
        return None
    dep = zone.departement
    codes = Commune.objects.filter(departement=dep, is_active=True).values("code")  # a subquery
    values = sorted(
        PublishedZoneValue.objects.filter(
            indicator_code="apl_mg",
            millesime=official["millesime"],
            variant="sans_borne",
            level="commune",
            zone_code__in=codes,
        )
        .exclude(value__isnull=True)
        .values_list("value", flat=True)
    )
    if len(values) < 3:
        return None
    top = max(values[-1], official["value"]) or 1
    bins = [0] * 20
    for v in values:
        bins[min(19, int(v / top * 20))] += 1
    mine = min(19, int(official["value"] / top * 20))
    peak = max(bins)
    bars = [
        # SVG coordinates as plain strings: the template must not localise them (« 36,9 »)
        {
            "x": str(i * 10),
            "height": f"{40 * n / peak:.1f}",
            "y": f"{40 - 40 * n / peak:.1f}",
            "mine": i == mine,
        }
        for i, n in enumerate(bins)
    ]
    rank = 1 + sum(1 for v in values if v > official["value"])
    return {
        "bars": bars,
        "text": (
            f"{zone.name} : {fr(official['value'])}, {rank}e APL sur {len(values)} communes "
            f"de {dep.name} (de {fr(values[0])} à {fr(values[-1])})"
        ),
        "max": fr(top),
    }


def simulate_facet(request) -> str:
    """What the shared cards read of their visitor: is the what-if offered to her? Anonymous
    visitors are offered it (they sign in first)."""
    user = getattr(request, "user", None)
    return "oui" if user is None or not user.is_authenticated or can_simulate(user) else "non"


def key_figure_cards(request, zone):
    key = key_of(zone)
    parents = [p for p in parent_zones(zone) if key_of(p)]
    official = official_apl(zone, parents)
    run = ComputationRun.current()
    keys = ([key] if key else []) + [key_of(p) for p in parents] + [FRANCE]
    values = values_for(run, keys)
    classification = None
    if run is not None and key is not None:
        classification = class_of(run, key)
    cards = []
    card = apl_card(zone, parents, official)
    if card:
        card["distribution"] = distribution(zone, official)
        cards.append(card)
    if key is not None and cards:
        from django.utils.http import urlencode

        from indicators.dashboard.figures import member_levels

        actions = []
        if simulate_facet(request) == "oui":  # a registered facet (IndicatorsConfig)
            actions.append(("Simuler une installation", reverse("indicators:simulate", args=list(key))))
        actions.append(
            ("Comparer avec…", reverse("indicators:compare") + "?" + urlencode({"t": f"{key[0]}:{key[1]}"}))
        )
        if member_levels(zone):
            actions.append(("Classer les communes", reverse("indicators:ranking", args=list(key))))
        actions.append(("Fiche PDF (une page A4)", reverse("indicators:fiche", args=list(key))))
        actions.append(
            ("Chiffres clés (XLSX)", reverse("indicators:key_figures_export", args=[*key, "xlsx"]))
        )
        cards[0]["actions"] = actions
    card = class_card(zone, official, classification)
    if card:
        cards.append(card)
    card = estimated_class_card(classification)
    if card:
        cards.append(card)
    cards.extend(run_cards(zone, parents, run, values, key))
    return cards
