"""Official densities of health professionals (Assurance Maladie), read for pages, comparisons and
rankings.

Published by département; a région and France are **sums over sums**: the headcounts of their
départements over the populations those départements' densities imply (never a mean of densities).
A zone below the département (commune, EPCI, bassin de vie, perimeter) has no official density:
pages show its département's figure as context, labelled so (:func:`context_departement`).
"""

from collections import defaultdict

from django.db.models import Sum

from offers.models import ProfessionDensity
from territories.models import Commune, Departement, Region
from territories.web.memo import per_request

GP = "ensemble-des-medecins-generalistes"
FRANCE = ("france", "")
LEVELS = ("departement", "region", "france")
SOURCE_LABEL = "officiel Assurance Maladie"
UNIT = "pour 100 000 hab."
# Professions shown first in the tables (the others follow in the producer's order of names)
FIRST = [
    GP,
    "infirmiers",
    "masseurs-kinesitherapeutes",
    "ensemble-des-chirurgiens-dentistes",
    "sages-femmes",
    "pediatres",
    "psychiatres",
    "gynecologues-medicaux-et-obstetriciens",
    "ophtalmologues",
]


# The producer divides these professions by a part of the population only (its « population
# cible »); the share is the national ratio of the populations their densities imply to the
# département's whole population, measured on the 2024 file (median over départements).
TARGET_POPULATIONS = {
    "pediatres": "pour 100 000 enfants (population cible, ≈ 16 % des habitants)",
    "gynecologues-medicaux-et-obstetriciens": "pour 100 000 femmes (population cible, ≈ 44 % des habitants)",
    "sages-femmes": "pour 100 000 femmes (population cible, ≈ 20 % des habitants)",
}


def unit_of(slug) -> str:
    return TARGET_POPULATIONS.get(slug, "pour 100 000 habitants")


def fr(value, decimals=1) -> str:
    """67.5 → « 67,5 »; thousands separated by a narrow no-break space."""
    if value is None:
        return "—"
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def rows():
    return ProfessionDensity.objects.filter(is_active=True)


def latest_millesime() -> str | None:
    return rows().order_by("-millesime").values_list("millesime", flat=True).first()


def dataset_of(millesime):
    row = rows().filter(millesime=millesime).select_related("dataset").first()
    return row.dataset if row else None


def density(headcount, population):
    return 100_000 * headcount / population if population else None


def _filter(level, code):
    if level == "departement":
        return {"departement_id": code}
    if level == "region":
        return {"departement__region_id": code}
    return {}


@per_request
def zone_figures(level, code, millesime) -> dict:
    """{profession slug: {"profession", "headcount", "density"}} of one zone. A département reads
    its published density; a région or France the sum of headcounts over the sum of populations."""
    queryset = rows().filter(millesime=millesime, **_filter(level, code))
    if level == "departement":
        return {
            slug: {"profession": name, "headcount": count, "density": value}
            for slug, name, count, value in queryset.values_list(
                "profession_slug", "profession", "headcount", "density"
            )
        }
    aggregated = (
        queryset.values("profession_slug", "profession")
        .annotate(headcount=Sum("headcount"), population=Sum("population"))
        .order_by()
    )
    return {
        r["profession_slug"]: {
            "profession": r["profession"],
            "headcount": r["headcount"],
            "density": density(r["headcount"], r["population"]),
        }
        for r in aggregated
    }


def densities_by(level, slug, millesime, codes=None) -> dict:
    """{zone code: (headcount, density)} of every département or région (sums over sums) for one
    profession; France under the code ``""``."""
    queryset = rows().filter(millesime=millesime, profession_slug=slug)
    if level == "departement":
        if codes is not None:
            queryset = queryset.filter(departement_id__in=codes)
        return {
            dep: (count, value)
            for dep, count, value in queryset.values_list("departement_id", "headcount", "density")
        }
    if level == "france":
        total = queryset.aggregate(headcount=Sum("headcount"), population=Sum("population"))
        if total["headcount"] is None:
            return {}
        return {"": (total["headcount"], density(total["headcount"], total["population"]))}
    if codes is not None:
        queryset = queryset.filter(departement__region_id__in=codes)
    out = {}
    for r in (
        queryset.values("departement__region_id")
        .annotate(headcount=Sum("headcount"), population=Sum("population"))
        .order_by()
    ):
        out[r["departement__region_id"]] = (r["headcount"], density(r["headcount"], r["population"]))
    return out


def gp_densities(keys, millesime=None) -> dict:
    """{(level, code): official GP density} for the keys at a level that has one (dashboards)."""
    millesime = millesime or latest_millesime()
    out = {}
    if millesime is None:
        return out
    by_level = defaultdict(list)
    for level, code in keys:
        if level in LEVELS:
            by_level[level].append(code)
    for level, codes in by_level.items():
        found = densities_by(level, GP, millesime, codes=None if level == "france" else codes)
        for code in codes:
            if code in found:
                out[(level, code)] = found[code][1]
    return out


def context_departement(zone):
    """The département whose figure a zone shows: its own for a département, the département of a
    commune, the département holding most of the population of an EPCI, bassin de vie or perimeter
    (None for a région)."""
    if isinstance(zone, Departement):
        return zone
    if isinstance(zone, Region):
        return None
    if isinstance(zone, Commune):
        return zone.departement
    communes = zone.communes()
    top = (
        communes.values("departement_id").annotate(total=Sum("population")).order_by("-total").first()
        if communes is not None
        else None
    )
    return Departement.objects.filter(pk=top["departement_id"]).first() if top else None


def ordered(figures: dict) -> list[tuple[str, dict]]:
    """The professions of a zone, the main ones first (:data:`FIRST`), then the others by name."""
    first = [(slug, figures[slug]) for slug in FIRST if slug in figures]
    rest = sorted(((s, f) for s, f in figures.items() if s not in FIRST), key=lambda item: item[0])
    return first + rest


def export_sources(column_keys) -> list[tuple]:
    """The « Sources » row of the Assurance Maladie dataset, when an export has its density."""
    millesime = latest_millesime()
    if "densite_officielle_mg" not in column_keys or not millesime:
        return []
    d = dataset_of(millesime)
    note = "publiée par département ; région et France : somme des effectifs sur somme des populations"
    return [(f"{d.title} — {d.publisher}", d.millesime, d.licence, note)] if d else []
