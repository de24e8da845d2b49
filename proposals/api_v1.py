"""Public API of the programmes (``/api/v1/programmes/…``): programmes, measures, their targets
against the measured outcome of a territory, and the contributions that are public and not
refused (published or retained). Drafts awaiting publication and refused (« écartées »)
contributions never appear; no author, email or membership is exposed."""

from datetime import date, datetime

from django.db.models import Count, Max
from django.http import Http404
from ninja import Query, Router, Schema

from proposals.indicators import indicator_label
from proposals.models import Contribution, Measure, Programme
from proposals.outcomes import outcome
from territories.api_v1 import TerritoryRef, ref
from territories.web.api_common import (
    CSV_EXTRA,
    DEFAULT_PAGE_SIZE,
    ERRORS,
    MAX_PAGE_SIZE,
    WITHIN_HELP,
    WITHIN_PATTERN,
    Format,
    Page,
    tabular,
    zone_of,
)
from territories.web.caching import register_state

router = Router(tags=["Programmes et contributions"])
# Published and retained: public and not refused (a discarded contribution stays readable on its
# page with the moderators' reason, but the API never redistributes it).
API_STATUSES = (Contribution.Status.PUBLISHED, Contribution.Status.RETAINED)


def proposals_state():
    """Moderation publishes or withdraws contributions without any import or run."""
    c = Contribution.objects.aggregate(last=Max("updated_at"), count=Count("pk"))
    m = Measure.objects.aggregate(count=Count("pk"))
    last = c["last"]
    return f"c{c['count']}-{last.timestamp() if last else 0}-m{m['count']}", last


register_state("proposals", proposals_state)


class ProgrammeRow(Schema):
    slug: str
    title: str
    author: str
    author_kind: str
    date: date | None
    date_text: str
    summary: str
    measures: int
    source: str | None
    url: str


class MeasureRow(Schema):
    programme: str
    number: int
    title: str
    theme: str
    lever: str
    status: str
    target_text: str
    target_value: float | None
    target_unit: str
    target_direction: str
    deadline: date | None
    deadline_text: str
    indicator: str
    indicator_label: str
    url: str


class ProgrammeDetail(ProgrammeRow):
    measures_list: list[MeasureRow]


class Measured(Schema):
    indicator: str
    label: str
    value: float | None
    unit: str
    zone: str
    measured_at: datetime
    source: str
    is_estimate: bool
    note: str
    missing: str


class Outcome(Schema):
    territory: TerritoryRef | None
    measured: Measured | None
    reached: bool | None
    comparable: bool


class MeasureDetail(MeasureRow):
    quote: str
    target_note: str
    indicator_note: str
    outcome_france: Outcome
    outcome_territory: Outcome | None


class ContributionRow(Schema):
    id: int
    title: str
    body: str
    status: str
    status_reason: str
    programme: str
    measure: int
    consultation: str
    consultation_title: str
    zone_level: str
    zone_code: str
    zone_name: str
    created_at: datetime
    url: str


def programme_row(p) -> dict:
    return {
        "slug": p.slug,
        "title": p.title,
        "author": p.author,
        "author_kind": p.author_kind,
        "date": p.date,
        "date_text": p.date_text,
        "summary": p.summary,
        "measures": p.measure_count,
        "source": p.source.title if p.source_id else None,
        "url": p.get_absolute_url(),
    }


def measure_row(m) -> dict:
    return {
        "programme": m.programme.slug,
        "number": m.number,
        "title": m.title,
        "theme": m.theme,
        "lever": m.lever,
        "status": m.status,
        "target_text": m.target_text,
        "target_value": float(m.target_value) if m.target_value is not None else None,
        "target_unit": m.target_unit,
        "target_direction": m.target_direction,
        "deadline": m.deadline,
        "deadline_text": m.deadline_text,
        "indicator": m.indicator_code,
        "indicator_label": indicator_label(m.indicator_code) if m.indicator_code else "",
        "url": m.get_absolute_url(),
    }


def outcome_dict(result, zone) -> dict:
    m = result.measurement
    measured = None
    if m is not None:
        measured = {
            "indicator": m.indicator,
            "label": m.label,
            "value": m.value,
            "unit": m.unit_label,
            "zone": m.zone_label,
            "measured_at": m.measured_at,
            "source": m.source,
            "is_estimate": m.is_estimate,
            "note": m.note,
            "missing": m.missing,
        }
    return {
        "territory": ref(zone) if zone is not None else None,
        "measured": measured,
        "reached": result.reached,
        "comparable": result.comparable,
    }


def programmes_qs():
    return Programme.objects.select_related("source").annotate(measure_count=Count("measures"))


@router.get("/", response={200: list[ProgrammeRow], **ERRORS}, summary="Les programmes")
def programmes(request):
    """Pacte territoire santé, plan d’égal accès aux soins, Ma santé 2022, propositions du PS et
    de LFI : auteur, date, source et nombre de mesures."""
    return [programme_row(p) for p in programmes_qs().order_by("order", "slug")]


@router.get(
    "/contributions/",
    response={200: Page[ContributionRow], **ERRORS},
    summary="Les contributions publiées",
    openapi_extra=CSV_EXTRA,
)
def contributions(
    request,
    programme: str | None = Query(None, max_length=80),
    mesure: int | None = Query(None, ge=1, description="numéro de la mesure (dans le programme donné)"),
    territoire: str | None = Query(None, pattern=WITHIN_PATTERN, description=WITHIN_HELP),
    page: int = Query(1, ge=1),
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    format: Format = "json",
):
    """Les contributions publiées ou retenues des groupes de travail (jamais les brouillons ni les
    contributions écartées), en Markdown tel qu’écrit, sans leur auteur."""
    qs = (
        Contribution.objects.filter(status__in=API_STATUSES)
        .select_related("measure__programme", "consultation")
        .order_by("-created_at", "-pk")
    )
    if programme:
        qs = qs.filter(measure__programme__slug=programme)
    if mesure is not None:
        qs = qs.filter(measure__number=mesure)
    if territoire:
        zone = zone_of("territoire", territoire)
        qs = qs.filter(zone_level=territoire.partition(":")[0], zone_code=zone.pk)
    return tabular(
        request,
        qs,
        page,
        page_size,
        format,
        list(ContributionRow.model_fields),
        "contributions",
        contribution_row,
    )


def contribution_row(c) -> dict:
    return {
        "id": c.pk,
        "title": c.title,
        "body": c.body,
        "status": c.status,
        "status_reason": c.status_reason,
        "programme": c.measure.programme.slug,
        "measure": c.measure.number,
        "consultation": c.consultation.slug,
        "consultation_title": c.consultation.title,
        "zone_level": c.zone_level,
        "zone_code": c.zone_code,
        "zone_name": c.zone_name,
        "created_at": c.created_at,
        "url": c.get_absolute_url(),
    }


@router.get("/{slug}/", response={200: ProgrammeDetail, **ERRORS}, summary="Un programme et ses mesures")
def programme_detail(request, slug: str):
    programme = programmes_qs().filter(slug=slug).first()
    if programme is None:
        raise Http404(f"Programme « {slug} » introuvable")
    measures = programme.measures.select_related("programme").order_by("number")
    return {**programme_row(programme), "measures_list": [measure_row(m) for m in measures]}


@router.get(
    "/{slug}/mesures/{number}/",
    response={200: MeasureDetail, **ERRORS},
    summary="Une mesure : sa cible et le résultat mesuré",
)
def measure_detail(
    request,
    slug: str,
    number: int,
    territoire: str | None = Query(None, pattern=WITHIN_PATTERN, description=WITHIN_HELP),
):
    """La cible de la mesure face à la valeur mesurée en France et, si demandé, dans un territoire
    (même calcul que la page de la mesure)."""
    measure = Measure.objects.select_related("programme").filter(programme__slug=slug, number=number).first()
    if measure is None:
        raise Http404(f"Mesure {number} du programme « {slug} » introuvable")
    zone = zone_of("territoire", territoire) if territoire else None
    return {
        **measure_row(measure),
        "quote": measure.quote,
        "target_note": measure.target_note,
        "indicator_note": measure.indicator_note,
        "outcome_france": outcome_dict(outcome(measure), None),
        "outcome_territory": outcome_dict(outcome(measure, zone), zone) if zone is not None else None,
    }
