"""Public API of the indicators (``/api/v1/indicateurs/…``): definitions, the figures of a territory
(the official DREES APL first, then the current run's — or a given run's — computed values, each
with its unit, estimate / proxy flags, datasets and run), rankings, classes per commune with the ARS
zonage beside them, computation runs, and the GeoJSON of a zone's communes with one indicator.

Every answer reads stored rows through the functions the pages use (``dashboard.figures``,
``published.official_apl``, ``values.computed_measurements``): the API and the pages cannot
disagree. Pages never compute, nor does the API.
"""

from datetime import datetime
from typing import Literal

from django.http import Http404, HttpResponse
from ninja import Query, Router, Schema

from indicators.api.values import atoms_of_zone, computed_measurements, supply_is_proxy
from indicators.dashboard.figures import RUN_CODES, fill, member_levels, ranking
from indicators.models import Classification, ComputationRun, IndicatorDefinition, IndicatorValue
from indicators.official.published import official_apl, official_commune_classes
from indicators.official.rounding import as_published, published_row
from indicators.perms import can_see_run
from territories.api_v1 import Level, TerritoryRef, ref
from territories.web.api_common import (
    CSV_EXTRA,
    DEFAULT_PAGE_SIZE,
    ERRORS,
    MAX_PAGE_SIZE,
    ApiError,
    Format,
    Page,
    paginate,
    tabular,
)
from territories.web.caching import register_state
from territories.zones import get_zone, parent_zones

router = Router(tags=["Indicateurs"])
SUPPLY_CODES = ("densite_mg", "apl_mg")  # the indicators that count the GP supply


def run_state():
    """The current run: a new successful run changes every figure; a failed one changes nothing."""
    run = ComputationRun.objects.filter(is_current=True).values_list("pk", "finished_at").first()
    return (f"r{run[0]}", run[1]) if run else ("r0", None)


register_state("run", run_state)


class Definition(Schema):
    code: str
    label: str
    short_label: str
    unit: str
    decimals: int
    method: str
    source: str


class DatasetRef(Schema):
    title: str
    publisher: str
    licence: str
    millesime: str
    is_synthetic: bool
    is_proxy: bool


class RunRef(Schema):
    id: int
    finished_at: datetime | None
    url: str
    api: str


class Value(Schema):
    indicator: str
    label: str
    value: float | None
    unit: str
    is_official: bool
    is_estimate: bool
    is_proxy: bool
    millesime: str | None
    source: str
    note: str
    run: int | None


class OfficialApl(Schema):
    millesime: str
    value: float | None
    previous_millesime: str | None
    previous: float | None
    change: float | None
    classe: str | None
    classe_basis: str | None
    share_underserved: float | None
    share_fragile: float | None
    communes: int
    weight: str
    datasets: list[DatasetRef]


class ZoneFigures(Schema):
    territory: TerritoryRef
    official_apl: OfficialApl | None
    values: list[Value]
    run: RunRef | None


def dataset_ref(d) -> dict:
    return {
        "title": d.title,
        "publisher": d.publisher,
        "licence": d.licence,
        "millesime": d.millesime,
        "is_synthetic": d.is_synthetic,
        "is_proxy": d.is_proxy,
    }


def run_ref(run) -> dict | None:
    if run is None:
        return None
    return {
        "id": run.pk,
        "finished_at": run.finished_at,
        "url": run.get_absolute_url(),
        "api": f"/api/v1/indicateurs/calculs/{run.pk}/",
    }


MAX_RUN_ID = 10**12
# Where a run was computed (worker host and process id): for the operators, not the public.
PRIVATE_PARAMETERS = ("worker",)


def chosen_run(calcul: int | None, request=None):
    """The current run, or the successful run ``calcul`` (404 otherwise, also for a run held or
    discarded that this visitor may not see)."""
    if calcul is None:
        return ComputationRun.current()
    run = (
        ComputationRun.objects.filter(pk=calcul, status=ComputationRun.Status.SUCCEEDED)
        .select_related("rule")
        .first()
    )
    if run is None or not can_see_run(getattr(request, "user", None), run):
        raise ApiError(404, f"calcul n° {calcul} introuvable ou non réussi", "calcul")
    return run


@router.get("/definitions/", response={200: list[Definition], **ERRORS}, summary="Définitions")
def definitions(request):
    """Les indicateurs calculés : intitulé, unité, méthode et sources."""
    return list(IndicatorDefinition.objects.order_by("order", "code"))


@router.get(
    "/valeurs/{level}/{code}/", response={200: ZoneFigures, **ERRORS}, summary="Les chiffres d’un territoire"
)
def zone_figures(request, level: Level, code: str, calcul: int | None = Query(None, ge=1, le=MAX_RUN_ID)):
    """L’APL officielle de la DREES (dernier millésime publié, classe comme le zonage ARS) puis
    les valeurs du calcul courant (ou du calcul ``calcul``) : chaque valeur dit son unité, si
    c’est une estimation ou un proxy, ses jeux de données et le calcul."""
    zone = get_zone(level, code)
    run = chosen_run(calcul, request)
    official = official_apl(zone, parent_zones(zone))
    measured = computed_measurements(
        list(IndicatorDefinition.objects.order_by("order").values_list("code", flat=True)), zone, {"run": run}
    )
    proxy = supply_is_proxy(run)  # the SIRENE establishments stand for doctors
    values = []
    if official:
        values.append(
            {
                "indicator": "apl_mg",
                "label": f"APL aux médecins généralistes (DREES {official['millesime']})",
                "value": as_published("apl_mg", official["value"]),
                "unit": "consultations / hab. / an",
                "is_official": True,
                "is_estimate": official["is_synthetic"],
                "is_proxy": False,
                "millesime": official["millesime"],
                "source": " ; ".join(f"{d.title} ({d.millesime}, {d.licence})" for d in official["datasets"]),
                "note": "valeur publiée" if not official["aggregated"] else official["weight"],
                "run": None,
            }
        )
    for code_, m in measured.items():
        if m is None:
            continue
        values.append(
            {
                "indicator": code_,
                "label": m.label + (" (calcul du portail)" if code_ == "apl_mg" else ""),
                "value": as_published(code_, m.value),
                "unit": m.unit_label,
                "is_official": False,
                "is_estimate": m.is_estimate,
                "is_proxy": proxy and code_ in SUPPLY_CODES,
                "millesime": None,
                "source": m.source,
                "note": m.note,
                "run": run.pk,
            }
        )
    return {
        "territory": ref(zone),
        "official_apl": _official(official) if official else None,
        "values": values,
        "run": run_ref(run),
    }


def _official(o) -> dict:
    basis = o["class_basis"]
    return published_row(
        {
            "millesime": o["millesime"],
            "value": o["value"],
            "previous_millesime": o["previous_millesime"],
            "previous": o["previous"],
            "change": o["change"],
            "classe": o["class"],
            "classe_basis": f"{basis[0]} (APL {basis[1]:.2f})" if basis else None,
            "share_underserved": o["share_underserved"],
            "share_fragile": o["share_fragile"],
            "communes": o["communes"],
            "weight": o["weight"],
            "datasets": [dataset_ref(d) for d in o["datasets"]],
        }
    )


# --- Ranking -----------------------------------------------------------------------------------


class RankingRow(Schema):
    rank: int | None = None
    level: str
    code: str
    name: str
    population: int | None = None
    apl: float | None = None
    apl_previous: float | None = None
    apl_change: float | None = None
    classe: str | None = None
    share_underserved: float | None = None
    densite_mg: float | None = None
    temps_mg: float | None = None
    temps_urgences: float | None = None
    part_pop_urgences_30min: float | None = None
    densite_officielle_mg: float | None = None
    zonage: str | None = None


class Column(Schema):
    key: str
    label: str
    unit: str
    badge: str


class Ranking(Page[RankingRow]):
    territory: TerritoryRef
    member_level: str
    sort: str
    columns: list[Column]
    run: RunRef | None
    apl_millesime: str | None


SortKey = Literal[
    "apl",
    "apl_change",
    "share_underserved",
    "densite_mg",
    "temps_mg",
    "temps_urgences",
    "part_pop_urgences_30min",
    "densite_officielle_mg",
    "population",
    "name",
]
RANKING_FIELDS = list(RankingRow.model_fields)


@router.get(
    "/classement/{level}/{code}/",
    response={200: Ranking, **ERRORS},
    summary="Classement des membres d’un territoire",
    openapi_extra=CSV_EXTRA,
)
def ranking_view(
    request,
    level: Level,
    code: str,
    niveau: Literal["commune", "bassin-de-vie", "epci", "departement"] = "commune",
    indicateur: SortKey = "apl",
    ordre: Literal["asc", "desc"] = "asc",
    page: int = Query(1, ge=1),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    format: Format = "json",
):
    """Les communes (ou EPCI, bassins de vie, départements) d’un territoire, classées par un
    indicateur ; les valeurs inconnues en dernier, sans rang."""
    zone = get_zone(level, code)
    if niveau not in member_levels(zone):
        raise ApiError(
            404,
            f"niveau « {niveau} » : pas de classement dans ce territoire "
            f"(possibles : {', '.join(member_levels(zone)) or 'aucun'})",
            "niveau",
        )
    # sorted on one column; the figures read for the rows of the page only (as the site's page)
    descending = ordre == "desc"
    rows, cols, run, millesimes = ranking(zone, niveau, indicateur, descending, complete=False)
    data = tabular(
        request,
        rows,
        page,
        page_size,
        format,
        RANKING_FIELDS,
        f"classement-{level}-{code}",
        convert=published_row,  # as on the page: APL to 2 decimals, shares to 0.1 %
        prepare=lambda shown: fill(shown, run, millesimes),
    )
    if isinstance(data, HttpResponse):
        return data
    return {
        **data,
        "territory": ref(zone),
        "member_level": niveau,
        "sort": f"{indicateur} {ordre}",
        "columns": [{"key": c.key, "label": c.label, "unit": c.unit, "badge": c.badge} for c in cols],
        "run": run_ref(run),
        "apl_millesime": millesimes[0] if millesimes else None,
    }


# --- Classes per commune, with the ARS zonage ---------------------------------------------------


class CommuneClass(Schema):
    code: str
    name: str
    population: int | None
    apl_officielle: float | None
    classe_officielle: str | None
    classe_basis: str | None
    apl_calculee: float | None
    classe_calculee: str | None
    tvs_calcul: str | None
    apl_tvs_calculee: float | None
    classe_tvs_calculee: str | None
    urgences_eloignees: bool | None
    zonage_ars: str | None


CLASS_FIELDS = list(CommuneClass.model_fields)


@router.get(
    "/classes/{level}/{code}/",
    response={200: Page[CommuneClass], **ERRORS},
    summary="Classe de chaque commune d’un territoire, et le zonage ARS",
    openapi_extra=CSV_EXTRA,
)
def commune_classes(
    request,
    level: Level,
    code: str,
    page: int = Query(1, ge=1),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    format: Format = "json",
):
    """La classe officielle (APL DREES du bassin de vie, comme le zonage ARS), la classe du
    calcul courant (APL de la commune), l’éloignement des urgences et la zone ZIP / ZAC de l’ARS."""
    from territories.models import Commune

    zone = get_zone(level, code)
    atoms = sorted(atoms_of_zone(zone))
    data = paginate(request, atoms, page, page_size)
    codes = data["results"]
    run = ComputationRun.current()
    official, basis = official_commune_classes(codes)
    classes = {}
    computed = {}
    if run is not None:
        classes = {
            c.zone_code: c
            for c in Classification.objects.filter(run=run, level="commune", zone_code__in=codes)
        }
        computed = dict(
            IndicatorValue.objects.filter(
                run=run, level="commune", zone_code__in=codes, indicator_id="apl_mg"
            ).values_list("zone_code", "value")
        )
    labels = dict(Classification.AplClass.choices)
    rows = []
    for c in Commune.objects.filter(code__in=codes).order_by("code").only("code", "name", "population"):
        cls = classes.get(c.code)
        value, _key, label = official.get(c.code, (None, None, None))
        rows.append(
            {
                "code": c.code,
                "name": c.name,
                "population": c.population,
                "apl_officielle": value,
                "classe_officielle": label,
                "classe_basis": basis if label else None,
                "apl_calculee": computed.get(c.code),
                "classe_calculee": labels.get(cls.apl_class) if cls else None,
                # the commune's TVS (or bassin de vie, said on the run) and its class, as the ARS zonage
                "tvs_calcul": (cls.mesh_zone or None) if cls else None,
                "apl_tvs_calculee": cls.mesh_apl if cls else None,
                "classe_tvs_calculee": labels.get(cls.mesh_class) if cls and cls.mesh_class else None,
                "urgences_eloignees": cls.emergency_far if cls else None,
                "zonage_ars": (cls.ars_zone or None) if cls else None,
            }
        )
    rows = [published_row(r) for r in rows]
    if format == "csv":
        from territories.web.exports import csv_response

        return csv_response(rows, [(f, f) for f in CLASS_FIELDS], f"classes-{level}-{code}-page{page}.csv")
    return {**data, "results": rows}


# --- Runs --------------------------------------------------------------------------------------


class RunSummary(Schema):
    id: int
    status: str
    is_current: bool
    trigger: str
    review: str
    created_at: datetime
    finished_at: datetime | None
    duration: float | None
    url: str


class Run(RunSummary):
    parameters: dict
    rule: dict | None
    datasets: list[DatasetRef]
    france: dict
    summary: dict
    diff: dict
    error: str


def run_summary(run) -> dict:
    return {
        "id": run.pk,
        "status": run.status,
        "is_current": run.is_current,
        "trigger": run.trigger,
        "review": run.review,
        "created_at": run.created_at,
        "finished_at": run.finished_at,
        "duration": run.duration,
        "url": run.get_absolute_url(),
    }


@router.get("/calculs/", response={200: Page[RunSummary], **ERRORS}, summary="Les calculs")
def runs(
    request,
    statut: Literal["succeeded", "failed", "running", "pending", "superseded"] | None = None,
    page: int = Query(1, ge=1),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
):
    """Les calculs des indicateurs, du plus récent au plus ancien."""
    qs = ComputationRun.objects.order_by("-pk")
    if statut:
        qs = qs.filter(status=statut)
    return tabular(request, qs, page, page_size, "json", [], "calculs", run_summary)


@router.get("/calculs/{run_id}/", response={200: Run, **ERRORS}, summary="Un calcul")
def run_detail(request, run_id: int):
    """Paramètres, règle de classement, jeux de données, résultats nationaux et écarts avec le
    calcul précédent (les classes qui ont changé, 200 communes au plus)."""
    run = ComputationRun.objects.select_related("rule").filter(pk=run_id).first()
    if run is None or not can_see_run(request.user, run):
        raise Http404(f"Calcul n° {run_id} introuvable")
    diff = run.diff or {}
    summary = {k: v for k, v in (run.summary or {}).items() if k != "france"}
    return {
        **run_summary(run),
        "parameters": {k: v for k, v in run.parameters.items() if k not in PRIVATE_PARAMETERS},
        "rule": run.rule.as_dict() if run.rule else None,
        "datasets": [dataset_ref(d) for d in run.datasets.order_by("pk")],
        "france": (run.summary or {}).get("france", {}),
        "summary": summary,
        "diff": {**diff, "changed": (diff.get("changed") or [])[:200]},
        "error": run.error if run.status == ComputationRun.Status.FAILED else "",
    }


# --- GeoJSON of a zone's communes --------------------------------------------------------------

MapIndicator = Literal["apl", *RUN_CODES]


@router.get(
    "/carte/{level}/{code}/",
    response={200: dict, **ERRORS},
    summary="GeoJSON des communes d’un territoire, avec un indicateur",
)
def zone_map(request, level: Level, code: str, indicateur: MapIndicator = "apl"):
    """Contours simplifiés (coordonnées arrondies) des communes, leur classe et la valeur de
    l’indicateur choisi (``apl`` : l’APL officielle quand elle est publiée)."""
    zone = get_zone(level, code)
    atoms = atoms_of_zone(zone)  # a région at most: about 5,000 communes
    from indicators.views.maps import classes_payload

    data = classes_payload(atoms)
    values = {}
    if indicateur != "apl" and data["run"]:
        values = dict(
            IndicatorValue.objects.filter(
                run_id=data["run"], level="commune", zone_code__in=atoms, indicator_id=indicateur
            ).values_list("zone_code", "value")
        )
    for f in data["features"]:
        properties = f["properties"]
        properties["indicateur"] = indicateur
        properties["valeur"] = as_published(
            indicateur, properties["apl"] if indicateur == "apl" else values.get(properties["code"])
        )
    data["indicateurs"] = ["apl", *RUN_CODES]
    return data
