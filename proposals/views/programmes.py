"""Pages of the programmes: the list, a programme, a measure with its target against the measured
outcome, the source documents, the comparison and the export of the measures.
"""

from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from proposals.consultations import member_consultations
from proposals.indicators import indicator_label
from proposals.models import (
    Fact,
    Measure,
    Programme,
    SourceDocument,
    WorkingGroup,
)
from proposals.outcomes import outcome, outcome_rows
from proposals.views import exports
from proposals.views.contributions import _public_contributions, _ranked
from territories.picker import TerritoryError
from territories.picker import label as territory_label
from territories.picker import resolve as resolve_territory
from territories.zones import level_of

# Comparison rows: the installation debate reads incitation, then régulation, then salariat.
LEVER_ORDER = [
    Measure.Lever.INCENTIVE,
    Measure.Lever.REGULATION,
    Measure.Lever.SALARIED,
    Measure.Lever.ORGANISATION,
    Measure.Lever.FUNDING,
    Measure.Lever.TRAINING,
    Measure.Lever.PREVENTION,
    Measure.Lever.DIGITAL,
    Measure.Lever.GOVERNANCE,
    Measure.Lever.UNSPECIFIED,
]


@require_GET
def index(request):
    programmes = Programme.objects.select_related("source").annotate(measure_total=Count("measures"))
    return render(
        request,
        "proposals/index.html",
        {
            "programmes": programmes,
            "themes": Measure.Theme.choices,
            "groups": WorkingGroup.objects.annotate(consultation_total=Count("consultations")),
            "rows": outcome_rows(),
            "my_consultations": member_consultations(request.user),
        },
    )


@require_GET
def programme_detail(request, slug):
    programme = get_object_or_404(Programme.objects.select_related("source"), slug=slug)
    measures = programme.measures.select_related("axis").order_by("number")
    axes = list(programme.axes.all())
    grouped = [(axis, [m for m in measures if m.axis_id == axis.pk]) for axis in axes]
    loose = [m for m in measures if m.axis_id is None]
    facts = list(programme.facts.all())
    return render(
        request,
        "proposals/programme_detail.html",
        {
            "programme": programme,
            "grouped": grouped,
            "loose": loose,
            "measure_total": len(measures),
            "calendar": [f for f in facts if f.kind == Fact.Kind.CALENDAR],
            "governance": [f for f in facts if f.kind == Fact.Kind.GOVERNANCE],
            "facts": [_fact_row(f) for f in facts if f.kind == Fact.Kind.FACT],
            "groups": programme.working_groups.all(),
        },
    )


def _fact_row(fact):
    return {
        "fact": fact,
        "outcome": outcome_for_code(fact.indicator_code) if fact.indicator_code else None,
        "indicator_label": indicator_label(fact.indicator_code) if fact.indicator_code else "",
    }


def outcome_for_code(code, zone=None):
    from proposals.indicators import measure

    return measure(code, zone)


@require_GET
def measure_detail(request, slug, number):
    measure = get_object_or_404(
        Measure.objects.select_related("programme__source", "axis"), programme__slug=slug, number=number
    )
    zone, zone_error = None, ""
    territory = request.GET.get("territoire", "").strip()
    if territory:
        try:
            zone = resolve_territory(territory)
        except TerritoryError as exc:
            zone_error = str(exc)
    reference_facts = (
        [_fact_row(f) for f in measure.programme.facts.filter(indicator_code=measure.indicator_code)]
        if measure.indicator_code
        else []
    )
    contributions = _ranked(_public_contributions(measure.contributions.all()))
    return render(
        request,
        "proposals/measure_detail.html",
        {
            "measure": measure,
            "programme": measure.programme,
            "indicator_label": indicator_label(measure.indicator_code) if measure.indicator_code else "",
            "national": outcome(measure),
            "zone": zone,
            "zone_level": level_of(zone) if zone else "",
            "local": outcome(measure, zone) if zone is not None else None,
            "territory": territory_label(zone) if zone is not None else territory,
            "zone_error": zone_error,
            "reference_facts": reference_facts,
            "contributions": contributions[:50],
            "same_theme": Measure.objects.filter(theme=measure.theme)
            .exclude(programme=measure.programme)
            .select_related("programme")[:20],
        },
    )


@require_GET
def source_document(request, key):
    document = get_object_or_404(SourceDocument, key=key)
    from proposals.seed import SOURCES_DIR

    path = SOURCES_DIR / document.file_name
    if not path.is_file():
        raise Http404("Texte source absent")
    return render(
        request,
        "proposals/source_document.html",
        {
            "document": document,
            "text": path.read_text(encoding="utf-8"),
            "programmes": document.programmes.all(),
        },
    )


@require_GET
def compare(request):
    themes = dict(Measure.Theme.choices)
    theme = request.GET.get("theme") or Measure.Theme.INSTALLATION
    if theme not in themes:
        raise Http404("Thème inconnu")
    measures = list(
        Measure.objects.filter(theme=theme).select_related("programme").order_by("programme__order", "number")
    )
    programmes = list(dict.fromkeys(m.programme for m in measures))
    labels = dict(Measure.Lever.choices)
    levers = [(value, labels[value]) for value in LEVER_ORDER if any(m.lever == value for m in measures)]
    table = [
        {
            "lever": label,
            "cells": [
                [m for m in measures if m.lever == value and m.programme_id == p.pk] for p in programmes
            ],
        }
        for value, label in levers
    ]
    counts = dict(Measure.objects.values_list("theme").annotate(n=Count("pk")))
    return render(
        request,
        "proposals/compare.html",
        {
            "theme": theme,
            "theme_label": themes[theme],
            "themes": [(value, label, counts.get(value, 0)) for value, label in Measure.Theme.choices],
            "programmes": programmes,
            "table": table,
            "measure_total": len(measures),
        },
    )


@require_GET
def measures_export(request, fmt):
    if fmt not in ("csv", "json"):
        raise Http404("Format inconnu")
    return exports.measures_csv() if fmt == "csv" else exports.measures_json()
