"""Figures of many territories at once, for the ranking and comparison pages and their exports.

One code path for every level: a territory is a (level, code) key; its figures are read from the
stored rows (official APL aggregates, the current run's values and classes), a fixed number of
queries whatever the number of territories. Every column says whether it is official, an
estimate or a proxy; exports carry the same labels.
"""

from dataclasses import dataclass

from django.db.models import Q, Sum

from indicators.api.values import by_keys, estimate_flags, supply_is_proxy
from indicators.models import Classification, ComputationRun, IndicatorValue, PublishedZoneValue
from indicators.official.published import APL, MAIN_VARIANT, apl_class, official_commune_classes, thresholds
from offers.demography.figures import gp_densities, latest_millesime
from territories.models import EPCI, BassinDeVie, Commune, Departement, Region

OFFICIAL_DENSITY = "densite_officielle_mg"
RUN_CODES = ["densite_mg", "temps_mg", "temps_urgences", "part_pop_urgences_30min"]
LEVEL_LABELS = {
    "commune": "Communes",
    "bassin-de-vie": "Bassins de vie",
    "epci": "EPCI",
    "departement": "Départements",
    "region": "Régions",
}
MEMBER_FIELD = {"bassin-de-vie": "bassin_de_vie", "epci": "epci", "departement": "departement"}
# The figures of a row, by the query that reads them (``figures(groups=…)``).
# « classes »: a commune's class on its bassin de vie (the ARS reading), over the « published » one.
GROUPS = frozenset({"published", "classes", "run", "zonage", "density", "population"})
PUBLISHED_KEYS = ("apl", "apl_previous", "apl_change", "share_underserved")
DENSITY_LEVELS = ("departement", "region", "france")  # the Assurance Maladie publishes these


def groups_of(key) -> set[str]:
    """The groups of figures that make the column ``key`` (none: the name, or an unknown key)."""
    if key in PUBLISHED_KEYS:
        return {"published"}
    if key == "classe":  # a zone's on its own APL, a commune's on its bassin de vie's
        return {"published", "classes"}
    if key in RUN_CODES:
        return {"run"}
    found = {"zonage": "zonage", OFFICIAL_DENSITY: "density", "population": "population"}.get(key)
    return {found} if found else set()


@dataclass
class Column:
    key: str
    label: str
    unit: str
    decimals: int
    higher_is_better: bool | None  # None: not a score (text, population)
    badge: str = ""  # officiel DREES / estimation / proxy


def columns(run, millesimes) -> list[Column]:
    latest, previous = (millesimes + [None, None])[:2] if millesimes else (None, None)
    flags = estimate_flags(run) if run else {}
    cols = [Column("population", "Population municipale", "hab.", 0, None)]
    if latest:
        cols += [
            Column("apl", f"APL DREES {latest}", "consultations / hab. / an", 2, True, "officiel DREES"),
            Column(
                "apl_previous", f"APL DREES {previous}" if previous else "", "", 2, True, "officiel DREES"
            ),
            Column(
                "apl_change", "Évolution de l’APL", "consultations / hab. / an", 2, True, "officiel DREES"
            ),
            Column(
                "classe",
                "Classe d’accessibilité (d’après le bassin de vie pour une commune)",
                "",
                0,
                None,
                "officiel DREES",
            ),
            Column("share_underserved", "Population sous 2,5 d’APL", "%", 1, False, "officiel DREES"),
        ]
        if not previous:
            cols = [c for c in cols if c.key not in ("apl_previous", "apl_change")]
    density_millesime = latest_millesime()
    if density_millesime:  # published by département: régions are sums over sums, lower levels none
        cols.append(
            Column(
                OFFICIAL_DENSITY,
                f"Densité de médecins généralistes (Assurance Maladie {density_millesime})",
                "pour 100 000 hab.",
                1,
                True,
                "officiel Assurance Maladie",
            )
        )
    if run is not None:
        labels = {
            "densite_mg": ("Densité de généralistes", "pour 100 000 hab.", 0, True),
            "temps_mg": ("Temps d’accès au généraliste", "minutes", 1, False),
            "temps_urgences": ("Temps d’accès aux urgences", "minutes", 0, False),
            "part_pop_urgences_30min": ("Population à plus de 30 min des urgences", "%", 1, False),
        }
        if supply_is_proxy(run):  # establishments, not doctors: never read as the doctors' density
            labels["densite_mg"] = ("Densité d’établissements de généralistes", *labels["densite_mg"][1:])
        for code in RUN_CODES:
            label, unit, decimals, better = labels[code]
            badge = []
            if code == "densite_mg" and supply_is_proxy(run):
                badge.append("proxy")
            if flags.get(code):
                badge.append("estimation")
            cols.append(Column(code, label, unit, decimals, better, ", ".join(badge)))
        cols.append(Column("zonage", "Zonage ARS médecins", "", 0, None, ""))
    return cols


def official_millesimes():
    return sorted(
        set(
            PublishedZoneValue.objects.filter(
                indicator_code=APL, level="france", variant=MAIN_VARIANT
            ).values_list("millesime", flat=True)
        ),
        reverse=True,
    )


def figures(keys, run=None, millesimes=None, among=None, groups=GROUPS) -> dict:
    """{(level, code): {column key: value}} for every key; a fixed number of queries, read as
    tuples (a région's 4,300 communes are 35,000 stored values: no model instance for them).
    ``among(field)``: when every key is a commune, their codes as a condition on ``field`` that
    the database evaluates (a subquery: never 4,300 parameters per query). ``groups``: only these
    figures (``GROUPS``; a ranking sorts on one of them, then reads the others for one page)."""

    def narrowed(queryset):
        if among is not None:
            return queryset.filter(among("zone_code"), level="commune")
        return by_keys(queryset, keys)

    run = run if run is not None else ComputationRun.current()
    millesimes = millesimes if millesimes is not None else official_millesimes()
    limits = thresholds()
    out = {key: {} for key in keys}
    if not keys:
        return out
    if millesimes and "published" in groups:
        published = PublishedZoneValue.objects.filter(
            indicator_code=APL, variant=MAIN_VARIANT, millesime__in=millesimes[:2]
        )
        published = published.values_list(
            "level", "zone_code", "millesime", "value", "population_underserved", "population_total"
        )
        for level, code, millesime, value, underserved, total in narrowed(published):
            row = out.get((level, code))
            if row is None:
                continue
            if millesime == millesimes[0]:
                row["apl"] = value
                row["classe"] = apl_class(value, limits)
                row["share_underserved"] = 100 * underserved / total if total else None
            else:
                row["apl_previous"] = value
    commune_codes = [code for level, code in keys if level == "commune"]
    if millesimes and commune_codes and "classes" in groups:
        classes, _basis = official_commune_classes(commune_codes, among=among)
        for code, (_value, _key, label) in classes.items():
            out[("commune", code)]["classe"] = label  # on the bassin de vie, as the ARS
    for row in out.values():
        if row.get("apl") is not None and row.get("apl_previous") is not None:
            row["apl_change"] = row["apl"] - row["apl_previous"]
    if run is not None and "run" in groups:
        values = IndicatorValue.objects.filter(run=run, indicator_id__in=RUN_CODES).values_list(
            "level", "zone_code", "indicator_id", "value"
        )
        for level, code, indicator, value in narrowed(values):
            out[(level, code)][indicator] = value
    if run is not None and "zonage" in groups:
        classes = Classification.objects.filter(run=run).values_list("level", "zone_code", "ars_zone")
        for level, code, ars_zone in narrowed(classes):
            out[(level, code)]["zonage"] = ars_zone or ""
    if "density" in groups:
        for key, value in gp_densities(keys).items():
            out[key][OFFICIAL_DENSITY] = value
    if "population" in groups:
        for key, population in populations(keys, among).items():
            out[key]["population"] = population
    return out


def populations(keys, among=None) -> dict:
    """Municipal population of each key (communes: their own; zones: the sum of their communes)."""
    out = {}
    by_level = {}
    for level, code in keys:
        by_level.setdefault(level, []).append(code)
    for level, codes in by_level.items():
        if level == "commune":
            communes = Commune.objects.filter(among("code") if among else Q(code__in=codes))
            for code, pop in communes.values_list("code", "population"):
                out[(level, code)] = pop
            continue
        field = {"region": "departement__region"}.get(level, MEMBER_FIELD.get(level))
        if field is None:
            continue
        rows = (
            Commune.objects.filter(is_active=True, kind=Commune.Kind.COMMUNE, **{f"{field}__in": codes})
            .values(field)
            .annotate(total=Sum("population"))
            .values_list(field, "total")
        )
        for code, total in rows:
            out[(level, code)] = total
    return out


def member_keys(zone, member_level) -> list[tuple[str, str, str]]:
    """(level, code, name) of the members of ``zone`` at ``member_level`` (communes of a
    département, EPCI of a région…); a member that straddles the zone counts when one of its
    communes is in it."""
    communes = zone.communes() if not isinstance(zone, Commune) else Commune.objects.filter(pk=zone.pk)
    if member_level == "commune":
        from indicators.api.values import atoms_condition

        atoms = Commune.objects.filter(atoms_condition(zone, "code"))
        return [("commune", code, name) for code, name in atoms.values_list("code", "name")]
    model = {"bassin-de-vie": BassinDeVie, "epci": EPCI, "departement": Departement, "region": Region}[
        member_level
    ]
    field = {"region": "departement__region"}.get(member_level, MEMBER_FIELD.get(member_level))
    codes = set(communes.values_list(f"{field}_id" if field != "departement__region" else field, flat=True))
    return [
        (member_level, code, name)
        for code, name in model.objects.filter(pk__in=codes).values_list("pk", "name")
    ]


def member_levels(zone) -> list[str]:
    """Levels whose members can be ranked inside ``zone``."""
    if isinstance(zone, Commune):
        return []
    if isinstance(zone, Region):
        return ["departement", "epci", "bassin-de-vie", "commune"]
    if isinstance(zone, Departement):
        return ["commune", "epci", "bassin-de-vie"]
    return ["commune"]


def ranking(zone, member_level, sort_key="apl", descending=False, run=None, complete=True):
    """Rows of the members of ``zone`` with their figures, sorted by ``sort_key`` (unknown values
    last) and ranked. ``complete=False``: the rows carry their name, rank and sort value only —
    a page then reads the figures of the rows it shows (``fill``): a région's 4,300 communes are
    sorted on one column, their 50 rows of a page read in full."""
    run = run if run is not None else ComputationRun.current()
    millesimes = official_millesimes()
    members = member_keys(zone, member_level)
    among = None
    if member_level == "commune":  # a région's 4,300 communes: by subquery, as member_keys read them
        from indicators.api.values import atoms_condition

        def among(field):
            return atoms_condition(zone, field)

    groups = GROUPS
    if not complete:
        groups = groups_of(sort_key)
        if member_level == "commune" and sort_key == "classe":
            groups = {"classes"}  # a commune's class is its bassin de vie's: no need of its APL
        if member_level in DENSITY_LEVELS:  # is the column shown at all (below)?
            groups.add("density")
    data = figures([(lvl, code) for lvl, code, _ in members], run, millesimes, among, groups)
    rows = []
    for level, code, name in members:
        row = {"level": level, "code": code, "name": name, **data[(level, code)]}
        rows.append(row)
    if sort_key in ("name", "classe", "zonage"):
        from territories.text import normalize_name

        rows.sort(
            key=lambda r: (r.get(sort_key) is None, normalize_name(r.get(sort_key) or "")), reverse=descending
        )
        return rows, columns(run, millesimes), run, millesimes
    cols = columns(run, millesimes)
    if all(r.get(OFFICIAL_DENSITY) is None for r in rows):  # communes, EPCI…: none published
        cols = [c for c in cols if c.key != OFFICIAL_DENSITY]
    known = [r for r in rows if isinstance(r.get(sort_key), int | float)]
    from territories.text import normalize_name

    unknown = sorted(
        (r for r in rows if not isinstance(r.get(sort_key), int | float)),
        key=lambda r: normalize_name(r["name"]),
    )
    known.sort(key=lambda r: r[sort_key], reverse=descending)
    for i, row in enumerate(known, start=1):
        row["rank"] = i
    return known + unknown, cols, run, millesimes


def fill(rows, run, millesimes) -> None:
    """Every figure of ``rows`` (a page of a ranking made with ``complete=False``), in place."""
    data = figures([(r["level"], r["code"]) for r in rows], run, millesimes)
    for row in rows:
        row.update(data[(row["level"], row["code"])])
