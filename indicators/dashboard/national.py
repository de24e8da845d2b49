"""The national map of the home page: every département coloured by an indicator, and its table
twin (registered as a home section in ``IndicatorsConfig.ready``).

One payload carries every indicator of every département (the page switches indicator without a
new request). Outlines are simplified for the national zoom (``NATIONAL_SIMPLIFY_TOLERANCE``) and
the serialised layer is cached by its view under the data state (current run, latest import), so
a new run or import is seen at once and nothing is recomputed in between.
"""

import json

from django.urls import reverse

from indicators.api.values import estimate_flags
from indicators.models import ComputationRun, IndicatorValue, PublishedZoneValue
from indicators.official.published import APL, MAIN_VARIANT, apl_class, latest_official, thresholds
from offers.demography import figures as demography
from territories.constants import NATIONAL_COORD_PRECISION, NATIONAL_SIMPLIFY_TOLERANCE
from territories.models import Departement
from territories.web.geojson import feature, feature_collection

OFFICIAL_DENSITY = "densite_officielle_mg"
RUN_INDICATORS = ["densite_mg", "temps_mg", "temps_urgences", "part_pop_urgences_30min"]
# (key, label, unit, decimals, higher is better, official) — the choices of the map
CHOICES = [
    ("classe", "Classe d’accessibilité (APL officielle)", "", 0, True, True),
    ("apl", "APL aux médecins généralistes (DREES)", "consultations / hab. / an", 2, True, True),
    (
        OFFICIAL_DENSITY,
        "Densité de médecins généralistes (Assurance Maladie)",
        "pour 100 000 hab.",
        1,
        True,
        None,
    ),
    ("densite_mg", "Densité d’établissements de généralistes", "pour 100 000 hab.", 0, True, False),
    ("temps_mg", "Temps d’accès au généraliste", "minutes", 1, False, False),
    ("temps_urgences", "Temps d’accès aux urgences", "minutes", 0, False, False),
    (
        "part_pop_urgences_30min",
        "Population à plus de 30 min des urgences",
        "% de la population",
        1,
        False,
        False,
    ),
]


def _state():
    return ComputationRun.current(), latest_official()


def departement_rows(run, official):
    """Every département with its figures (the table twin and the map properties)."""
    limits = thresholds()
    apl = {}
    if official:
        apl = dict(
            PublishedZoneValue.objects.filter(
                indicator_code=APL, millesime=official[0], variant=MAIN_VARIANT, level="departement"
            ).values_list("zone_code", "value")
        )
    values = {}
    if run is not None:
        for code, indicator, value in IndicatorValue.objects.filter(
            run=run, level="departement", indicator_id__in=RUN_INDICATORS
        ).values_list("zone_code", "indicator_id", "value"):
            values.setdefault(code, {})[indicator] = value
    density_millesime = demography.latest_millesime()
    densities = (
        demography.densities_by("departement", demography.GP, density_millesime) if density_millesime else {}
    )
    rows = []
    for dep in Departement.objects.filter(is_active=True).order_by("code").only("code", "name"):
        figures = values.get(dep.code, {})
        rows.append(
            {
                "code": dep.code,
                "name": dep.name,
                "url": dep.get_absolute_url(),
                "apl": round(apl[dep.code], 2) if apl.get(dep.code) is not None else None,
                "classe": apl_class(apl.get(dep.code), limits),
                OFFICIAL_DENSITY: densities[dep.code][1] if dep.code in densities else None,
                **{k: (round(figures[k], 2) if figures.get(k) is not None else None) for k in RUN_INDICATORS},
            }
        )
    return rows


def france_layer() -> str:
    """The national GeoJSON (départements), serialised; the view caches it under the data state
    (``territories.web.caching.cached``: a new run or import is seen at once)."""
    run, official = _state()
    rows = {r["code"]: r for r in departement_rows(run, official)}
    features = [
        feature(
            dep.geometry_simplified,
            coord_precision=NATIONAL_COORD_PRECISION,
            simplify_tolerance=NATIONAL_SIMPLIFY_TOLERANCE,
            **rows[dep.code],
        )
        for dep in Departement.objects.filter(is_active=True, code__in=rows).only(
            "code", "geometry_simplified"
        )
    ]
    data = feature_collection(features)
    data["meta"] = _meta(run, official)
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _meta(run, official):
    limits = thresholds()
    flags = estimate_flags(run) if run else {}
    proxy = bool(run and run.parameters.get("supply", {}).get("is_proxy"))
    choices = []
    density_millesime = demography.latest_millesime()
    for key, label, unit, decimals, higher_better, is_official in CHOICES:
        if is_official is None:  # Assurance Maladie: published by département
            if density_millesime:
                choices.append(
                    {
                        "key": key,
                        "label": label,
                        "unit": unit,
                        "decimals": decimals,
                        "higher_is_better": higher_better,
                        "note": f"officiel Assurance Maladie {density_millesime}, libéraux",
                    }
                )
            continue
        if is_official and not official:
            continue
        if not is_official and run is None:
            continue
        note = "officiel DREES " + official[0] if is_official else f"calcul n° {run.pk}"
        if not is_official and flags.get(key):
            note += ", estimation"
        if key == "densite_mg" and proxy:
            note += ", proxy : établissements et non médecins"
        choices.append(
            {
                "key": key,
                "label": label,
                "unit": unit,
                "decimals": decimals,
                "higher_is_better": higher_better,
                "note": note,
            }
        )
    return {"choices": choices, "limits": list(limits)}


def home_map_section(request):
    run, official = _state()
    if run is None and official is None:
        return None
    meta = _meta(run, official)
    return {
        "template": "indicators/home_map.html",
        "order": 10,
        "context": {
            "geojson_url": reverse("indicators:france_geojson"),
            "communes_template": reverse("indicators:classes_geojson", args=["departement", "CODE"]),
            "choices": meta["choices"],
            "rows": departement_rows(run, official),
            "official": official,
            "run": run,
            "limits": meta["limits"],
            "france_density": _france_density(),
        },
    }


def _france_density():
    """France's official GP density (sum of the départements' headcounts over their populations)."""
    millesime = demography.latest_millesime()
    if millesime is None:
        return None
    found = demography.densities_by("france", demography.GP, millesime).get("")
    if found is None:
        return None
    return {
        "millesime": millesime,
        "headcount": demography.fr(found[0], 0),
        "density": demography.fr(found[1]),
        "url": reverse("offers:densities"),
    }
