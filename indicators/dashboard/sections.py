"""The "Accès aux soins" section of territory pages (registered in ``IndicatorsConfig.ready``).

Reads the current run's stored values only: each indicator of the zone with its unit, source,
millésime and run, beside the parent zones' and France's values; the class of the zone's communes
(choropleth endpoint + a table twin). The section is the same for every visitor (rendered once per
data state); the what-if form of authorised users is its own, personal section
(``simulate_section``: a permission and a CSRF token).
"""

from collections import Counter

from django.urls import reverse

from indicators.api.values import (
    FRANCE,
    ClassLabel,
    all_definitions,
    atoms_condition,
    class_counts,
    class_of,
    commune_classes,
    commune_values,
    estimate_flags,
    key_of,
    run_datasets,
    unit_label,
    values_for,
)
from indicators.models import ComputationRun
from indicators.official.published import official_apl
from indicators.perms import can_simulate
from territories.models import Commune, Region, zone_url
from territories.text import fr_number, normalize_name
from territories.zones import level_of, parent_zones, zone_stats

# Above this many communes the table twin of the map is summarised (counts per class) and the
# commune-by-commune detail is left to the zone's ranking (50 rows a page, sortable): a table of
# 500 rows is read by nobody, and it made a département's page 250 kB and 60 ms longer.
TABLE_LIMIT = 150


def access_section(request, zone):
    key = key_of(zone)
    if key is None:
        return None
    run = ComputationRun.current()
    latest = ComputationRun.objects.order_by("-created_at", "-pk").only("pk", "status", "created_at").first()
    context = {
        "zone": zone,
        "run": run,
        "latest_run": latest,
    }
    parents = parent_zones(zone)
    # the official DREES APL comes first (never part of a run)
    context["published_apl"] = official = official_apl(zone, [p for p in parents if key_of(p)])
    if run is not None:
        keys = [key] + [key_of(p) for p in parents] + [FRANCE]
        values = values_for(run, keys)
        definitions = all_definitions()
        flags = estimate_flags(run)
        datasets = {d.pk: d for d in run_datasets(run)}
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
        table = _commune_table(run, zone)
        zone_class = class_of(run, key)
        context.update(
            computed_apl=getattr(values.get(key, {}).get("apl_mg"), "value", None),
            apl_gap=(
                values[key]["apl_mg"].value - official["value"]
                if official
                and official["value"] is not None
                and getattr(values.get(key, {}).get("apl_mg"), "value", None) is not None
                else None
            ),
            class_counts=sorted(table["counts"].items(), key=lambda item: -item[1]),
            table_limit=TABLE_LIMIT,
            rows=rows,
            parents=parents,
            zone_class=zone_class,
            # Large zones (régions): the commune-by-commune table lives on each département's page.
            commune_classes=table["rows"],
            geojson_url=reverse("indicators:classes_geojson", args=[level_of(zone), zone.pk]),
            ranking_url=reverse("indicators:ranking", args=[level_of(zone), zone.pk]) + "?niveau=commune",
            supply_per_gp=run.parameters.get("supply", {}).get("consultations_per_gp_per_year"),
            travel=run.parameters.get("travel_time", {}),
            rule=run.rule,
            is_proxy=run.parameters.get("supply", {}).get("is_proxy"),
        )
    return {
        "title": "Accès aux soins",
        "template": "indicators/section.html",
        "context": context,
        "order": 30,
    }


def simulate_section(request, zone):
    """The what-if form, for the users who may simulate, once a run is published (personal: the
    permission and the form's CSRF token are the visitor's own)."""
    if key_of(zone) is None or not can_simulate(request.user) or ComputationRun.current() is None:
        return None
    parents = [p for p in parent_zones(zone) if key_of(p)]
    atoms = []
    if zone_stats(zone)["count"] == 1:  # a commune (or a zone of one): itself, or its arrondissements
        atoms = list(Commune.objects.filter(atoms_condition(zone, "code")).values_list("code", "name")[:2])
    return {
        "title": "Simuler une évolution de l’offre",
        "template": "indicators/_simulate_section.html",
        "order": 30.5,  # right after « Accès aux soins »
        "context": {
            "zone": zone,
            "official": official_apl(zone, parents),
            "simulate_url": reverse("indicators:simulate", args=[level_of(zone), zone.pk]),
            "single_commune": atoms[0] if len(atoms) == 1 else None,
            "within": f"{level_of(zone)}:{zone.pk}",
        },
    }


def _commune_table(run, zone) -> dict:
    """The communes of the zone by class: counts, and for zones of at most ``TABLE_LIMIT``
    communes the table (name, APL, class, zonage) in French order. A région's communes are counted
    by the database, never read one by one."""
    communes = Commune.objects.filter(atoms_condition(zone, "code"))
    if isinstance(zone, Region):
        total, names = atoms_count(zone), None
    else:
        names = dict(communes.values_list("code", "name"))
        total = len(names)
    if names is None or total > TABLE_LIMIT:
        counts = stored_class_counts(run, zone)  # counted by the run (its summary), else now
        if counts is None:
            counts = class_counts(run, zone)
        if total > sum(counts.values()):
            counts["non calculé"] += total - sum(counts.values())
        return {"counts": counts, "rows": None}
    classes = commune_classes(run, zone)
    apl = commune_values(run, zone, "apl_mg")
    counts = Counter(getattr(classes.get(c), "label", "non calculé") for c in names)
    rows = [
        {
            "code": code,
            "name": name,
            "url": zone_url("commune", code),
            "apl": fr_number(apl.get(code), 2),
            "class": classes.get(code),
        }
        for code, name in names.items()
    ]
    rows.sort(key=lambda r: (normalize_name(r["name"]), r["name"]))
    return {"counts": counts, "rows": rows}


def atoms_count(zone) -> int:
    """The number of computed communes of a zone with its own link (a région): its communes
    (``zone_stats``, read once per page), the arrondissements of Paris, Lyon and Marseille in
    place of their commune."""
    arms = list(
        Commune.objects.filter(
            kind=Commune.Kind.ARRONDISSEMENT, is_active=True, parent__in=zone.communes().values("code")
        ).values_list("parent_id", flat=True)
    )
    return zone_stats(zone)["count"] + len(arms) - len(set(arms))


def stored_class_counts(run, zone) -> Counter | None:
    """The class counts of a département or région as the run stored them, or None (older runs)."""
    level = level_of(zone)
    stored = (run.summary or {}).get("zone_class_counts", {}).get(level)
    if stored is None:
        return None
    counts = Counter()
    for apl_class, far, n in stored.get(str(zone.pk), []):
        counts[ClassLabel(apl_class, far).label] += n
    return counts
