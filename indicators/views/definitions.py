"""Pages of the indicators and their definitions (method, source, the official figure beside the
computed one).
"""

from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from indicators.api.values import (
    FRANCE,
    estimate_flags,
    supply_is_proxy,
    unit_label,
)
from indicators.models import ComputationRun, IndicatorDefinition, IndicatorValue
from indicators.official.published import published_apl
from indicators.runs.access import visible_run
from territories.models import Commune


@require_GET
def index(request):
    run = ComputationRun.current()
    definitions = list(IndicatorDefinition.objects.all())
    france = {}
    if run:
        france = {
            v.indicator_id: v
            for v in IndicatorValue.objects.filter(run=run, level=FRANCE[0], zone_code=FRANCE[1])
        }
    rows = [
        {"definition": d, "france": france.get(d.code), "unit": unit_label(d.code, d.unit, run)}
        for d in definitions
    ]
    return render(
        request,
        "indicators/index.html",
        {"rows": rows, "run": run, "flags": estimate_flags(run) if run else {}},
    )


@require_GET
def definition_detail(request, code):
    definition = get_object_or_404(IndicatorDefinition, code=code)
    run = None
    if request.GET.get("calcul"):
        run = visible_run(request, request.GET["calcul"])
    run = run or ComputationRun.current()
    france = None
    datasets = []
    if run:
        france = IndicatorValue.objects.filter(
            run=run, level=FRANCE[0], zone_code=FRANCE[1], indicator=definition
        ).first()
        ids = run.summary.get("datasets_by_indicator", {}).get(code, [])
        datasets = list(run.datasets.filter(pk__in=ids)) if ids else list(run.datasets.all())
    published = _published_context(code, request.GET.get("commune", ""), run, france)
    return render(
        request,
        "indicators/definition_detail.html",
        {
            **published,
            "definition": definition,
            "run": run,
            "france": france,
            "datasets": datasets,
            "is_estimate": estimate_flags(run).get(code) if run else None,
            "unit": unit_label(code, definition.unit, run),
            "is_proxy_density": code == "densite_mg" and supply_is_proxy(run),
        },
    )


def _published_context(code, commune_code, run, france):
    """DREES-published APL for ``?commune=CODE`` (else every published commune, weighted)."""
    if code != "apl_mg":
        return {}
    commune = (
        Commune.objects.filter(code=commune_code.strip()[:5], is_active=True).first()
        if commune_code
        else None
    )
    computed = getattr(france, "value", None)
    if commune is not None and run is not None:
        computed = (
            IndicatorValue.objects.filter(run=run, level="commune", zone_code=commune.code, indicator_id=code)
            .values_list("value", flat=True)
            .first()
        )
    return {
        "published": published_apl(commune),
        "published_place": commune.name if commune else "l’ensemble des communes publiées",
        "published_commune": commune,
        "published_computed": computed,
    }
