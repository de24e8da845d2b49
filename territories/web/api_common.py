"""Shared parts of the public read-only API (``/api/v1/``), owned by the lowest app that needs them.

Each app declares its resources in its own ``<app>/api_v1.py`` (a django-ninja ``Router``);
``config/api.py`` only wires them. What lives here:

- errors: one JSON shape, ``{"detail": …, "parameter": …}``; a bad filter is a 400 naming the
  parameter, an unknown code a 404, too many requests a 429 with the limit said in words;
- pagination: ``page`` / ``page_size`` (bounded: no query scans unbounded rows);
- zone filters: ``?departement=23``, ``?region=75``, ``?epci=…``, ``?bassin_de_vie=…`` or
  ``?within=region:75``, resolved to zones (sets of communes);
- CSV, the alternative format of tabular resources (``?format=csv``);
- the response cache and conditional requests live beside it, in ``territories.web.caching``
  (answers keyed by the data state, ETag / Last-Modified, the anonymous rate limit), where apps
  register their part of the data state (``register_state``, in ``AppConfig.ready``);
nothing here imports a higher app.
"""

from typing import Generic, Literal, TypeVar

from django.http import Http404, JsonResponse
from ninja import Field, Schema
from ninja.errors import ValidationError
from ninja.renderers import JSONRenderer

from territories.models import Commune
from territories.web.exports import csv_response
from territories.zones import LEVELS, get_zone

MAX_PAGE_SIZE = 1000


DEFAULT_PAGE_SIZE = 100


Format = Literal["json", "csv"]


WITHIN_PATTERN = r"^(commune|bassin-de-vie|epci|departement|region):[0-9A-Za-z]{1,9}$"


WITHIN_HELP = "niveau:code, niveau parmi commune, bassin-de-vie, epci, departement, region (ex. region:75)"


T = TypeVar("T")


class Problem(Schema):
    """Why a request failed, in words (and the parameter at fault, when there is one)."""

    detail: str
    parameter: str | None = None


ERRORS = {400: Problem, 404: Problem, 429: Problem}


# The tabular resources also answer in CSV (declared so that clients and schema checks know it).
CSV_EXTRA = {
    "responses": {
        200: {
            "content": {
                "text/csv": {
                    "schema": {
                        "type": "string",
                        "description": "CSV : UTF-8 avec BOM, séparateur « ; », virgule décimale",
                    }
                }
            }
        }
    }
}


class Page(Schema, Generic[T]):
    count: int
    page: int
    page_size: int
    pages: int
    next: str | None
    previous: str | None
    results: list[T]


class ApiError(Exception):
    def __init__(self, status, detail, parameter=None):
        super().__init__(detail)
        self.status, self.detail, self.parameter = status, detail, parameter


def problem(status, detail, parameter=None) -> JsonResponse:
    return JsonResponse(
        {"detail": detail, "parameter": parameter}, status=status, json_dumps_params={"ensure_ascii": False}
    )


class Renderer(JSONRenderer):
    """UTF-8 JSON (« Guéret », not « Gu\\u00e9ret »)."""

    json_dumps_params = {"ensure_ascii": False}


# Pydantic's messages, in French (by error type; the others keep pydantic's words).
MESSAGES = {
    "missing": "paramètre obligatoire",
    "int_parsing": "un nombre entier est attendu",
    "int_type": "un nombre entier est attendu",
    "greater_than_equal": "doit être supérieur ou égal à {ge}",
    "less_than_equal": "doit être inférieur ou égal à {le}",
    "string_too_short": "trop court (au moins {min_length} caractère(s))",
    "string_too_long": "trop long ({max_length} caractères au plus)",
    "literal_error": "valeur inconnue, valeurs possibles : {expected}",
    "enum": "valeur inconnue, valeurs possibles : {expected}",
    # the only pattern of the API is that of the zone written niveau:code
    "string_pattern_mismatch": "s’écrit " + WITHIN_HELP,
}


def _message(error) -> str:
    template = MESSAGES.get(error.get("type"))
    if template is None:
        return error.get("msg", "valeur refusée")
    try:
        return template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        return error.get("msg", "valeur refusée")


def install(api) -> None:
    """Error handlers of the API: every failure is a ``Problem`` in French."""

    @api.exception_handler(ApiError)
    def _api_error(request, exc):
        return problem(exc.status, exc.detail, exc.parameter)

    @api.exception_handler(ValidationError)
    def _invalid(request, exc):
        first = exc.errors[0] if exc.errors else {}
        location = [str(p) for p in first.get("loc", ()) if p not in ("query", "path", "body")]
        parameter = location[-1] if location else None
        return problem(400, f"paramètre « {parameter} » invalide : {_message(first)}", parameter)

    @api.exception_handler(Http404)
    def _not_found(request, exc):
        return problem(404, str(exc) or "Ressource introuvable")


def paginate(request, items, page: int, page_size: int) -> dict:
    """One bounded page of ``items`` (a queryset or a list) with links to its neighbours."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApiError(400, f"page_size doit être entre 1 et {MAX_PAGE_SIZE}", "page_size")
    count = items.count() if hasattr(items, "count") and not isinstance(items, list) else len(items)
    pages = max(1, -(-count // page_size))
    if page < 1 or page > pages:
        raise ApiError(404, f"page {page} hors limites : {pages} page(s) de {page_size}", "page")
    start = (page - 1) * page_size
    results = list(items[start : start + page_size])

    def link(number):
        if not 1 <= number <= pages or number == page:
            return None
        query = request.GET.copy()
        query["page"] = str(number)
        return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")

    return {
        "count": count,
        "page": page,
        "page_size": page_size,
        "pages": pages,
        "next": link(page + 1),
        "previous": link(page - 1),
        "results": results,
    }


def tabular(request, items, page, page_size, fmt: Format, fields, filename, convert=None, prepare=None):
    """A page of rows in JSON, or the same page in CSV (``fields``: the keys, in order);
    ``prepare(items)`` is called once with the items of the page (to read what only they need),
    then ``convert`` turns each of them into its dict."""
    data = paginate(request, items, page, page_size)
    if prepare is not None:
        prepare(data["results"])
    if convert is not None:
        data["results"] = [convert(item) for item in data["results"]]
    if fmt == "csv":
        rows = data["results"]
        suffix = f"-page{page}" if data["pages"] > 1 else ""
        return csv_response(rows, [(f, f) for f in fields], f"{filename}{suffix}.csv")
    return data


ZONE_PARAMETERS = {
    "departement": "departement",
    "region": "region",
    "epci": "epci",
    "bassin_de_vie": "bassin-de-vie",
}


def zone_of(parameter, value):
    """The zone a filter names: ``departement="23"``, or ``niveau:code`` for any other parameter
    (``within="region:75"``, ``territoire="departement:23"``); errors name the parameter (400
    for a malformed value, 404 for an unknown code)."""
    if parameter in ZONE_PARAMETERS:
        level, code = ZONE_PARAMETERS[parameter], value
    else:
        level, _, code = value.partition(":")
        if level not in LEVELS or not code:
            raise ApiError(400, f"{parameter} s’écrit " + WITHIN_HELP, parameter)
    code = code.strip()
    try:
        return get_zone(level, code.upper() if level in ("departement", "commune") else code)
    except Http404 as exc:
        raise ApiError(404, str(exc), parameter) from None


def zones_from_filters(**filters) -> list:
    """The zones named by the given filters (several filters intersect: ``?region=75&epci=…``)."""
    return [zone_of(parameter, value) for parameter, value in filters.items() if value not in (None, "")]


class ZoneFilters(Schema):
    """The zone filters of the list resources (several intersect)."""

    departement: str | None = None
    region: str | None = None
    epci: str | None = None
    bassin_de_vie: str | None = None
    within: str | None = Field(None, pattern=WITHIN_PATTERN, description=WITHIN_HELP)

    def zones(self) -> list:
        return zones_from_filters(**self.model_dump())


def communes_within(zones, communes=None):
    """The active communes of every zone of ``zones`` (all of France for none)."""
    communes = communes if communes is not None else Commune.objects.filter(is_active=True)
    for zone in zones:
        communes = communes.filter(pk__in=zone.communes().values("pk"))
    return communes
