"""Evolution of a territory's figures: the official APL of every published millésime and the
portal's indicators across its successful computation runs (with the millésimes of the datasets
that fed them), the class changes from run to run; a small line chart and its table twin, CSV and
XLSX exports. Where one millésime only exists, the page says so instead of drawing a flat line."""

from django.urls import reverse

from indicators.api.values import all_definitions, key_of
from indicators.models import (
    Classification,
    ComputationRun,
    IndicatorValue,
    PublishedZoneValue,
)
from indicators.official.published import APL, MAIN_VARIANT
from territories.zones import level_of

MAX_RUNS = 12
RUN_CODES = ["apl_mg", "densite_mg", "temps_mg", "temps_urgences", "part_pop_urgences_30min"]


def evolution(zone):
    """{"official": [(millésime, value)], "runs": [...], "class_changes": [...], "chart": ...}."""
    key = key_of(zone)
    if key is None:
        return None
    official = list(
        PublishedZoneValue.objects.filter(
            indicator_code=APL, variant=MAIN_VARIANT, level=key[0], zone_code=key[1]
        )
        .order_by("millesime")
        .values_list("millesime", "value")
    )
    runs = list(
        ComputationRun.objects.filter(status=ComputationRun.Status.SUCCEEDED)
        .exclude(review__in=("held", "discarded"))
        .order_by("-finished_at", "-pk")
        .defer("summary", "parameters")  # JSON documents of ~20 kB each, never shown here
        .prefetch_related("datasets")[:MAX_RUNS]
    )[::-1]
    values = {}
    for run_id, code, value in IndicatorValue.objects.filter(
        run__in=runs, level=key[0], zone_code=key[1], indicator_id__in=RUN_CODES
    ).values_list("run_id", "indicator_id", "value"):
        values[(run_id, code)] = value
    classes = {
        c.run_id: c for c in Classification.objects.filter(run__in=runs, level=key[0], zone_code=key[1])
    }
    labels = {d.code: d.short_label for d in all_definitions() if d.code in RUN_CODES}
    labels["apl_mg"] = "APL recalculée par le portail (officielle : 1re ligne)"
    run_rows, changes, previous = [], [], None
    for run in runs:
        run_rows.append(
            {
                "run": run,
                "values": [values.get((run.pk, code)) for code in RUN_CODES],
                "cells": [(labels.get(code, code), values.get((run.pk, code))) for code in RUN_CODES],
                "datasets": ", ".join(f"{d.title} ({d.millesime})" for d in run.datasets.all()),
                "class": classes[run.pk].get_apl_class_display() if run.pk in classes else None,
            }
        )
        current = classes.get(run.pk)
        if previous is not None and current is not None and previous.apl_class != current.apl_class:
            changes.append(
                f"classe passée de « {previous.get_apl_class_display()} » à "
                f"« {current.get_apl_class_display()} » au calcul n° {run.pk} "
                f"du {run.finished_at:%d/%m/%Y}"
            )
        previous = current or previous
    return {
        "official": official,
        "chart": _chart(official) if len(official) > 1 else None,
        "runs": run_rows,
        "codes": [(code, labels.get(code, code)) for code in RUN_CODES],
        "class_changes": changes,
        "export_csv": reverse("indicators:evolution_export", args=[level_of(zone), zone.pk, "csv"]),
        "export_xlsx": reverse("indicators:evolution_export", args=[level_of(zone), zone.pk, "xlsx"]),
    }


def _chart(series):
    """An SVG polyline of the official APL by millésime (coordinates as plain strings)."""
    values = [v for _, v in series if v is not None]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    width, height, pad = 220, 60, 8
    step = (width - 2 * pad) / (len(series) - 1)
    points = []
    for i, (millesime, value) in enumerate(series):
        x = pad + i * step
        y = pad + (height - 2 * pad) * (1 - (value - low) / span)
        points.append({"x": f"{x:.1f}", "y": f"{y:.1f}", "label": millesime, "value": value})
    return {
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "width": width,
        "height": height,
    }


def evolution_section(request, zone):
    data = evolution(zone)
    if data is None or (not data["official"] and not data["runs"]):
        return None
    return {"title": "Évolution", "template": "indicators/evolution.html", "context": data, "order": 35}


DECIMALS = {"apl_mg": 2, "densite_mg": 0, "temps_mg": 1, "temps_urgences": 1, "part_pop_urgences_30min": 1}


def evolution_rows(zone):
    """Rows for the exports: one per (source, millésime or run). The official APL and the portal's
    estimate sit in separate, labelled columns (never one series jumping from one to the other);
    figures are rounded as published."""
    data = evolution(zone)
    rows = []
    for millesime, value in data["official"]:
        rows.append({"source": "APL officielle DREES", "millesime": millesime, "apl_officielle": value})
    for row in data["runs"]:
        run = row["run"]
        record = {
            "source": f"Calcul n° {run.pk} du portail ({'estimation' if run.is_estimate else 'calcul'})",
            "millesime": f"{run.finished_at:%d/%m/%Y}",
            "datasets": row["datasets"],
            "classe": row["class"],
        }
        record.update(dict(zip(RUN_CODES, row["values"], strict=True)))
        rows.append(record)
    labels = dict(data["codes"])
    labels["apl_mg"] = "APL recalculée par le portail (estimation)"
    columns = [
        ("source", "Source"),
        ("millesime", "Millésime ou date"),
        ("apl_officielle", "APL officielle DREES (consultations / hab. / an)", 2),
        *[(code, labels.get(code, code), DECIMALS[code]) for code in RUN_CODES],
    ]
    columns += [("classe", "Classe du calcul"), ("datasets", "Jeux de données (millésime)")]
    return rows, columns
