"""Stored indicator values, read for pages and for other apps (never computed on read)."""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import connection
from django.db.models import Count, Exists, Q
from django.urls import reverse
from django.utils import timezone

from indicators.models import Classification, ComputationRun, IndicatorDefinition, IndicatorValue
from territories.models import Commune
from territories.web.memo import per_request
from territories.zones import LEVELS, children_of, zone_key

FRANCE = ("france", "FR")


@dataclass(frozen=True)
class Measurement:
    indicator: str
    label: str
    value: float | None
    unit: str
    zone_label: str
    measured_at: datetime
    source: str  # human-readable: dataset or registry, millésime, licence, run
    url: str | None = None  # link to the definition / run page
    is_estimate: bool = False
    note: str = ""  # a caveat shown with the value (e.g. an empty registry)
    missing: str = ""  # why there is no value, shown instead of it (« registre non chargé »)
    # The unit as shown to readers; ``unit`` stays stable for comparisons (e.g. with a target's
    # unit), while this one says what was really counted (e.g. establishments of the SIRENE proxy).
    unit_label: str = ""

    def __post_init__(self):
        if not self.unit_label:
            object.__setattr__(self, "unit_label", self.unit)


def key_of(zone) -> tuple[str, str] | None:
    """(level, code) under which a zone's values are stored; None for a custom perimeter."""
    if zone is None:
        return FRANCE
    if type(zone) in LEVELS.values():
        return zone_key(zone)
    return None


def keys_condition(keys) -> Q:
    """One condition for many (level, code) keys: codes grouped per level (IN lists)."""
    by_level = {}
    for level, code in keys:
        by_level.setdefault(level, set()).add(code)
    condition = Q()
    for level, codes in by_level.items():
        condition |= Q(level=level, zone_code__in=sorted(codes))
    return condition


def by_keys(queryset, keys):
    """``queryset`` narrowed to (level, code) keys, in one query read by index: one ORed condition
    on PostgreSQL (a BitmapOr of index scans); on SQLite, whose planner reads the whole table for
    ORed terms (40 ms for a page's ten keys), a UNION ALL of one indexed query per level (1.5 ms).
    The answer may be a combined query: iterate it, never filter it further."""
    by_level = {}
    for level, code in keys:
        by_level.setdefault(level, set()).add(code)
    if connection.vendor != "sqlite" or len(by_level) < 2:
        return queryset.filter(keys_condition(keys))
    parts = [queryset.filter(level=level, zone_code__in=sorted(codes)) for level, codes in by_level.items()]
    return parts[0].union(*parts[1:], all=True)


@per_request
def values_for(run, keys) -> dict[tuple[str, str], dict[str, IndicatorValue]]:
    """Values of the run for several (level, code) keys, in one query."""
    if run is None or not keys:
        return {}
    out = {}
    for value in by_keys(IndicatorValue.objects.filter(run=run), keys):
        out.setdefault((value.level, value.zone_code), {})[value.indicator_id] = value
    return out


@per_request
def class_of(run, key) -> Classification | None:
    """The class of one zone (its (level, code) key) in the run, read once per page."""
    if run is None or key is None:
        return None
    return Classification.objects.filter(run=run, level=key[0], zone_code=key[1]).first()


def perimeter_value(run, code, zone):
    """Population-weighted mean of the stored commune values of a custom perimeter (read-only)."""
    communes = list(zone.communes().values_list("code", flat=True))
    rows = IndicatorValue.objects.filter(
        run=run, level="commune", zone_code__in=communes, indicator_id=code, value__isnull=False
    ).values_list("value", "population")
    total = sum(p or 0 for _, p in rows)
    return sum(v * (p or 0) for v, p in rows) / total if total else None


# Indicators that rest on travel times (the density counts supply and population only).
TIME_INDICATORS = frozenset({"apl_mg", "temps_mg", "temps_urgences", "part_pop_urgences_30min"})


def fixed_fr(value, decimals=2) -> str | None:
    """3.204 → « 3,20 »; thousands separated by a narrow no-break space; None stays None."""
    if value is None:
        return None
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def number_fr(value) -> str:
    """1.3 → « 1,3 », 60.0 → « 60 » (French decimal comma, no trailing zero)."""
    if value is None:
        return "?"
    return f"{float(value):g}".replace(".", ",")


def travel_time_text(run) -> str:
    tt = run.parameters.get("travel_time", {})
    within = ""
    if tt.get("within_commune_factor"):
        within = (
            " ; plus l’accès moyen à l’intérieur de la commune (2R/3 pour un disque de rayon "
            f"R = √(superficie/π), × {number_fr(tt.get('detour_factor'))} "
            f"à {number_fr(tt.get('speed_kmh'))} km/h)"
        )
    if tt.get("provider") == "matrix":
        return "temps du distancier importé" + within
    return (
        f"temps estimés : vol d’oiseau × {number_fr(tt.get('detour_factor'))} "
        f"à {number_fr(tt.get('speed_kmh'))} km/h" + within
    )


def source_text(run, definition, run_datasets=None) -> str:
    """Datasets (with millésime) the indicator rests on, the travel-time provider when the
    indicator uses travel times, and the run. ``run_datasets``: the run's datasets, if read already."""
    ids = run.summary.get("datasets_by_indicator", {}).get(definition.code)
    if run_datasets is None:
        datasets = run.datasets.filter(pk__in=ids) if ids else run.datasets.all()
    else:
        datasets = [d for d in run_datasets if d.pk in set(ids)] if ids else run_datasets
    parts = []
    for d in datasets:
        flags = ""
        if d.is_proxy and "proxy" not in d.title.lower():
            flags += ", proxy"
        if d.is_synthetic and "synthétique" not in d.title.lower():
            flags += ", synthétique"
        parts.append(f"{d.title} ({d.millesime}{flags})")
    times = f" ({travel_time_text(run)})" if definition.code in TIME_INDICATORS else ""
    return f"Calcul n° {run.pk} du {timezone.localtime(run.finished_at):%d/%m/%Y}{times} — " + " ; ".join(
        parts
    )


PROXY_DENSITY_UNIT = "établissements de médecine générale (proxy des médecins) pour 100 000 habitants"
PROXY_DENSITY_NOTE = (
    "proxy : établissements SIRENE de médecine générale (code APE 86.21Z), pas des médecins — "
    "un cabinet de groupe compte pour un établissement."
)


def supply_is_proxy(run) -> bool:
    return bool(run is not None and run.parameters.get("supply", {}).get("is_proxy"))


def unit_label(code, unit, run) -> str:
    """The unit shown to readers: the GP density of a proxy run counts establishments, not doctors
    (the stored definition's unit stays the same, so comparisons across runs remain possible)."""
    if code == "densite_mg" and supply_is_proxy(run):
        return PROXY_DENSITY_UNIT
    return unit


@per_request
def all_definitions() -> tuple:
    """Every indicator definition, in their order (read once per page; never mutated)."""
    return tuple(IndicatorDefinition.objects.all())


@per_request
def run_datasets(run) -> tuple:
    """The datasets a run read, without their import reports (read once per page)."""
    return tuple(run.datasets.defer("report"))


def computed_measurement(code, zone=None):
    """A Measurement for a computed indicator of the current run, or None if none exists."""
    return computed_measurements([code], zone).get(code)


def computed_measurements(codes, zone=None, cache=None) -> dict:
    """Measurements of several computed indicators of one zone: one query for their values; the
    current run, the definitions and the run's datasets are read once per ``cache`` (a page)."""
    cache = cache if cache is not None else {}
    if "run" not in cache:
        cache["run"] = ComputationRun.current()
    run = cache["run"]
    if run is None or not codes:
        return dict.fromkeys(codes)
    if "definitions" not in cache:
        cache["definitions"] = {d.code: d for d in all_definitions()}
        cache["run_datasets"] = list(run_datasets(run))
    known = [c for c in codes if c in cache["definitions"]]
    key = key_of(zone)
    if key is None:
        values = {c: perimeter_value(run, c, zone) for c in known}
    else:
        values = dict(
            IndicatorValue.objects.filter(
                run=run, level=key[0], zone_code=key[1], indicator_id__in=known
            ).values_list("indicator_id", "value")
        )
    out = dict.fromkeys(codes)
    for code in known:
        if code in values:
            out[code] = _measurement(
                run, cache["definitions"][code], values[code], zone, cache["run_datasets"]
            )
    return out


def _measurement(run, definition, value, zone, run_datasets):
    code = definition.code
    is_estimate = estimate_flags(run).get(code, run.is_estimate)
    return Measurement(
        indicator=code,
        label=definition.label,
        value=value,
        unit=definition.unit,
        zone_label=getattr(zone, "name", "France entière"),
        measured_at=run.finished_at,
        source=source_text(run, definition, run_datasets),
        url=reverse("indicators:definition", args=[code]) + f"?calcul={run.pk}",
        is_estimate=is_estimate,
        unit_label=unit_label(code, definition.unit, run),
        note=PROXY_DENSITY_NOTE if code == "densite_mg" and supply_is_proxy(run) else "",
    )


def estimate_flags(run) -> dict[str, bool]:
    """Which indicators of a run are estimates (straight-line times) or rest on a proxy supply."""
    times_estimated = run.parameters.get("travel_time", {}).get("provider") != "matrix"
    proxy = bool(run.parameters.get("supply", {}).get("is_proxy"))
    return {
        "densite_mg": proxy,
        "apl_mg": proxy or times_estimated,
        "temps_mg": times_estimated,
        "temps_urgences": times_estimated,
        "part_pop_urgences_30min": times_estimated,
    }


def atoms_of_zone(zone):
    """Codes of the computed communes of a zone (arrondissements replace their parent commune)."""
    if isinstance(zone, Commune):
        arms = list(zone.arrondissements.filter(is_active=True).values_list("code", flat=True))
        return arms or [zone.code]
    codes = list(zone.communes().values_list("code", flat=True))
    arms = list(_arrondissements_of(zone).values_list("code", "parent_id"))
    parents = {p for _, p in arms}
    return [c for c in codes if c not in parents] + [c for c, _ in arms]


def _arrondissements_of(zone):
    # the zone's communes as a subquery: never a parameter per commune
    return children_of(zone.communes().values("code")).filter(
        is_active=True, kind=Commune.Kind.ARRONDISSEMENT
    )


def atoms_condition(zone, field="zone_code") -> Q:
    """``field`` is one of ``atoms_of_zone(zone)``, as a condition the database evaluates (the
    zone's communes by subquery): a page never sends one parameter per commune of its zone."""
    if isinstance(zone, Commune):  # its arrondissements, or itself when it has none
        arms = zone.arrondissements.filter(is_active=True).order_by().values("code")
        itself = Commune.objects.filter(pk=zone.pk).exclude(Exists(arms)).order_by().values("code")
        return Q(**{f"{field}__in": itself.union(arms, all=True)})
    arms = _arrondissements_of(zone).order_by().values("code")
    communes = zone.communes().exclude(pk__in=arms.values("parent_id")).order_by().values("code")
    # one subquery (UNION ALL), not two ORed: the planner then reads the values by their key
    return Q(**{f"{field}__in": communes.union(arms, all=True)})


class ClassLabel(NamedTuple):
    """A commune's class read as three columns (no model instance): enough to count and label."""

    apl_class: str
    emergency_far: bool | None
    ars_zone: str = ""

    @property
    def label(self):
        text = APL_CLASS_LABELS.get(self.apl_class, self.apl_class)
        return text + " ; urgences éloignées" if self.emergency_far else text


APL_CLASS_LABELS = dict(Classification.AplClass.choices)


def commune_classes(run, zone) -> dict[str, ClassLabel]:
    """Commune code → its class as ``ClassLabel`` (three columns, no model instance), for the
    zone's computed communes, read by their key (one ORed condition would read the whole run)."""
    if run is None:
        return {}
    rows = Classification.objects.filter(atoms_condition(zone), run=run, level="commune").values_list(
        "zone_code", "apl_class", "emergency_far", "ars_zone"
    )
    return {code: ClassLabel(apl_class, far, ars) for code, apl_class, far, ars in rows}


def class_counts(run, zone) -> Counter:
    """Class label → number of the zone's computed communes, counted by the database (a région's
    thousands of communes are never read one by one)."""
    if run is None:
        return Counter()
    rows = (
        Classification.objects.filter(atoms_condition(zone), run=run, level="commune")
        .values_list("apl_class", "emergency_far")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts = Counter()
    for apl_class, far, n in rows:
        counts[ClassLabel(apl_class, far).label] += n
    return counts


def commune_values(run, zone, indicator) -> dict[str, float | None]:
    """Commune code → the run's stored value of one indicator, for the zone's computed communes."""
    if run is None:
        return {}
    return dict(
        IndicatorValue.objects.filter(
            atoms_condition(zone), run=run, level="commune", indicator_id=indicator
        ).values_list("zone_code", "value")
    )
