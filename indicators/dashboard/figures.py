"""Figures of many territories at once, for the ranking and comparison pages and their exports.

One code path for every level: a territory is a (level, code) key; its figures are read from the
stored rows (official APL aggregates, the current run's values and classes), a fixed number of
queries whatever the number of territories. Every column says whether it is official, an
estimate or a proxy; exports carry the same labels.
"""

from dataclasses import dataclass

from django.db.models import Sum

from indicators.api.values import by_keys, estimate_flags, supply_is_proxy, values_for
from indicators.models import Classification, ComputationRun, PublishedZoneValue
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


def figures(keys, run=None, millesimes=None) -> dict:
    """{(level, code): {column key: value}} for every key; a fixed number of queries."""
    run = run if run is not None else ComputationRun.current()
    millesimes = millesimes if millesimes is not None else official_millesimes()
    limits = thresholds()
    out = {key: {} for key in keys}
    if not keys:
        return out
    if millesimes:
        published = PublishedZoneValue.objects.filter(
            indicator_code=APL, variant=MAIN_VARIANT, millesime__in=millesimes[:2]
        )
        for z in by_keys(published, keys):
            row = out.get((z.level, z.zone_code))
            if row is None:
                continue
            if z.millesime == millesimes[0]:
                row["apl"] = z.value
                row["classe"] = apl_class(z.value, limits)
                row["share_underserved"] = (
                    100 * z.population_underserved / z.population_total if z.population_total else None
                )
            else:
                row["apl_previous"] = z.value
        commune_codes = [code for level, code in keys if level == "commune"]
        if commune_codes:
            classes, _basis = official_commune_classes(commune_codes)
            for code, (_value, _key, label) in classes.items():
                out[("commune", code)]["classe"] = label  # on the bassin de vie, as the ARS
    for row in out.values():
        if row.get("apl") is not None and row.get("apl_previous") is not None:
            row["apl_change"] = row["apl"] - row["apl_previous"]
    if run is not None:
        for key, values in values_for(run, keys).items():
            for code, value in values.items():
                if code in RUN_CODES:
                    out[key][code] = value.value
        for c in by_keys(Classification.objects.filter(run=run), keys):
            out[(c.level, c.zone_code)]["zonage"] = c.ars_zone or ""
    for key, value in gp_densities(keys).items():
        out[key][OFFICIAL_DENSITY] = value
    for key, population in populations(keys).items():
        out[key]["population"] = population
    return out


def populations(keys) -> dict:
    """Municipal population of each key (communes: their own; zones: the sum of their communes)."""
    out = {}
    by_level = {}
    for level, code in keys:
        by_level.setdefault(level, []).append(code)
    for level, codes in by_level.items():
        if level == "commune":
            for code, pop in Commune.objects.filter(code__in=codes).values_list("code", "population"):
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
        from indicators.api.values import atoms_of_zone

        atoms = atoms_of_zone(zone)
        return [
            ("commune", code, name)
            for code, name in Commune.objects.filter(code__in=atoms).values_list("code", "name")
        ]
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


def ranking(zone, member_level, sort_key="apl", descending=False, run=None):
    """Rows of the members of ``zone`` with their figures, sorted by ``sort_key`` (unknown values
    last) and ranked."""
    run = run if run is not None else ComputationRun.current()
    millesimes = official_millesimes()
    members = member_keys(zone, member_level)
    data = figures([(lvl, code) for lvl, code, _ in members], run, millesimes)
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
