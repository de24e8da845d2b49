"""Public API of the territories: every level, its population with millésime, its parents, search,
the communes of a zone (``/api/v1/territoires/…``)."""

from typing import Literal

from django.db.models import Count, Max, Sum
from ninja import Query, Router, Schema

from territories.search import search
from territories.web.api_common import (
    CSV_EXTRA,
    DEFAULT_PAGE_SIZE,
    ERRORS,
    MAX_PAGE_SIZE,
    Format,
    Page,
    ZoneFilters,
    communes_within,
    tabular,
)
from territories.zones import get_zone, level_of, parent_zones

router = Router(tags=["Territoires"])
Level = Literal["commune", "bassin-de-vie", "epci", "departement", "region"]


class TerritoryRef(Schema):
    level: str
    code: str
    name: str
    url: str


class Territory(TerritoryRef):
    population: int | None
    population_millesime: int | None
    population_source: str
    communes: int
    parents: list[TerritoryRef]


class CommuneRow(Schema):
    code: str
    name: str
    kind: str
    population: int | None
    population_millesime: int | None
    postal_codes: str
    departement: str
    epci: str | None
    bassin_de_vie: str | None
    url: str


class Hit(TerritoryRef):
    detail: str


POPULATION_SOURCE = "INSEE, populations légales (population municipale), Licence Ouverte 2.0"


def ref(zone) -> dict:
    return {"level": level_of(zone), "code": zone.pk, "name": zone.name, "url": zone.get_absolute_url()}


def territory(zone) -> dict:
    """A zone as the territory page shows it: population = sum of its communes' (the commune's own)."""
    stats = zone.communes().aggregate(
        population=Sum("population"), millesime=Max("population_year"), count=Count("code")
    )
    return {
        **ref(zone),
        "population": stats["population"],
        "population_millesime": stats["millesime"],
        "population_source": POPULATION_SOURCE,
        "communes": stats["count"],
        "parents": [ref(p) for p in parent_zones(zone)],
    }


def commune_row(c) -> dict:
    return {
        "code": c.code,
        "name": c.name,
        "kind": c.kind,
        "population": c.population,
        "population_millesime": c.population_year,
        "postal_codes": c.postal_codes,
        "departement": c.departement_id,
        "epci": c.epci_id,
        "bassin_de_vie": c.bassin_de_vie_id,
        "url": c.get_absolute_url(),
    }


@router.get("/recherche/", response={200: list[Hit], **ERRORS}, summary="Chercher un territoire")
def search_territories(
    request, q: str = Query(..., min_length=1, max_length=100, description="nom, code INSEE ou postal")
):
    """Communes (par nom, code INSEE ou code postal), EPCI, bassins de vie, départements, régions ;
    15 résultats au plus, les plus proches d’abord (tolère les fautes de frappe)."""
    return [{**ref(h.zone), "detail": h.detail} for h in search(q)]


@router.get("/{level}/{code}/", response={200: Territory, **ERRORS}, summary="Un territoire")
def territory_detail(request, level: Level, code: str):
    """Nom, population municipale (somme de ses communes) et son millésime, territoires parents."""
    return territory(get_zone(level, code))


COMMUNE_FIELDS = list(CommuneRow.model_fields)


@router.get(
    "/{level}/{code}/communes/",
    response={200: Page[CommuneRow], **ERRORS},
    summary="Les communes d’un territoire",
    openapi_extra=CSV_EXTRA,
)
def zone_communes(
    request,
    level: Level,
    code: str,
    page: int = Query(1, ge=1),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    format: Format = "json",
):
    zone = get_zone(level, code)
    communes = zone.communes().order_by("code")
    return tabular(
        request, communes, page, page_size, format, COMMUNE_FIELDS, f"communes-{level}-{code}", commune_row
    )


@router.get(
    "/",
    response={200: Page[CommuneRow], **ERRORS},
    summary="Les communes, filtrées par zone",
    openapi_extra=CSV_EXTRA,
)
def communes(
    request,
    filters: ZoneFilters = Query(...),
    page: int = Query(1, ge=1),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    format: Format = "json",
):
    """Toutes les communes de France (pages de 1 000 au plus), ou celles d’une zone (plusieurs
    filtres se combinent : les communes de la région 75 et de l’EPCI …)."""
    rows = communes_within(filters.zones()).order_by("code")
    return tabular(request, rows, page, page_size, format, COMMUNE_FIELDS, "communes", commune_row)
