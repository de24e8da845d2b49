"""The "Accès aux soins" section of territory pages (registered in ``IndicatorsConfig.ready``).

Reads the current run's stored values only: each indicator of the zone with its unit, source,
millésime and run, beside the parent zones' and France's values; the class of the zone's communes
(choropleth endpoint + a table twin); the what-if form for authorised users.
"""

from collections import Counter

from django.urls import reverse

from indicators.api.values import (
    FRANCE,
    atoms_of_zone,
    classes_for,
    estimate_flags,
    key_of,
    unit_label,
    values_for,
)
from indicators.models import ComputationRun, IndicatorDefinition, IndicatorValue
from indicators.official.published import official_apl
from indicators.perms import can_simulate
from territories.models import Commune
from territories.text import normalize_name
from territories.zones import level_of, parent_zones

# Above this many communes the table twin of the map is summarised (counts per class) and
# the commune-by-commune table is left to the smaller zones' pages.
TABLE_LIMIT = 600


def access_section(request, zone):
    key = key_of(zone)
    if key is None:
        return None
    run = ComputationRun.current()
    latest = ComputationRun.objects.order_by("-created_at", "-pk").first()
    context = {
        "zone": zone,
        "run": run,
        "latest_run": latest,
        "can_simulate": can_simulate(request.user),
    }
    parents = parent_zones(zone)
    # the official DREES APL comes first (never part of a run)
    context["published_apl"] = official = official_apl(zone, [p for p in parents if key_of(p)])
    if run is not None:
        keys = [key] + [key_of(p) for p in parents] + [FRANCE]
        values = values_for(run, keys)
        definitions = list(IndicatorDefinition.objects.all())
        flags = estimate_flags(run)
        datasets = {d.pk: d for d in run.datasets.all()}
        by_indicator = run.summary.get("datasets_by_indicator", {})
        rows = []
        for definition in definitions:
            rows.append(
                {
                    "definition": definition,
                    "unit": unit_label(definition.code, definition.unit, run),
                    "value": values.get(key, {}).get(definition.code),
                    "parents": [(p, values.get(key_of(p), {}).get(definition.code)) for p in parents],
                    "france": values.get(FRANCE, {}).get(definition.code),
                    "is_estimate": flags.get(definition.code),
                    "datasets": [datasets[i] for i in by_indicator.get(definition.code, []) if i in datasets],
                }
            )
        atoms = atoms_of_zone(zone)
        commune_keys = [("commune", c) for c in atoms]
        classes = classes_for(run, commune_keys + [key])
        apl = {
            v.zone_code: v.value
            for v in IndicatorValue.objects.filter(
                run=run, level="commune", zone_code__in=atoms, indicator_id="apl_mg"
            )
        }
        names = dict(Commune.objects.filter(code__in=atoms).values_list("code", "name"))
        counts = Counter(getattr(classes.get(("commune", c)), "label", "non calculé") for c in atoms)
        context.update(
            computed_apl=getattr(values.get(key, {}).get("apl_mg"), "value", None),
            apl_gap=(
                values[key]["apl_mg"].value - official["value"]
                if official
                and official["value"] is not None
                and getattr(values.get(key, {}).get("apl_mg"), "value", None) is not None
                else None
            ),
            class_counts=sorted(counts.items(), key=lambda item: -item[1]),
            table_limit=TABLE_LIMIT,
            rows=rows,
            parents=parents,
            zone_class=classes.get(key),
            # Large zones (régions): the commune-by-commune table lives on each département's page.
            commune_classes=None
            if len(atoms) > TABLE_LIMIT
            else sorted(
                (
                    {
                        "code": c,
                        "name": names.get(c, c),
                        "apl": apl.get(c),
                        "class": classes.get(("commune", c)),
                    }
                    for c in atoms
                ),
                key=lambda r: (normalize_name(r["name"]), r["name"]),
            ),
            geojson_url=reverse("indicators:classes_geojson", args=[level_of(zone), zone.pk]),
            supply_per_gp=run.parameters.get("supply", {}).get("consultations_per_gp_per_year"),
            travel=run.parameters.get("travel_time", {}),
            rule=run.rule,
            is_proxy=run.parameters.get("supply", {}).get("is_proxy"),
            simulate_url=reverse("indicators:simulate", args=[level_of(zone), zone.pk]),
            single_commune=(atoms[0], names.get(atoms[0], atoms[0])) if len(atoms) == 1 else None,
            within=f"{level_of(zone)}:{zone.pk}",
        )
    return {
        "title": "Accès aux soins",
        "template": "indicators/section.html",
        "context": context,
        "order": 30,
    }
