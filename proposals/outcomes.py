"""Targets against measured outcomes: what a measure promised beside what the portal measures."""

from dataclasses import dataclass

from proposals.indicators import indicator_label, measure, measure_many
from proposals.models import Measure


@dataclass
class Outcome:
    measurement: object | None  # indicators.api.measures.Measurement, or None: « pas encore mesuré »
    reached: bool | None  # None when there is no quantified target, no measurement or other units
    comparable: bool = True  # False: the value is context, in another unit than the target


def comparable_units(target_unit: str, measured_unit: str) -> bool:
    """A verdict needs the same unit: 400 GPs is not comparable with a density per 100,000."""
    target, measured = (target_unit or "").strip().lower(), (measured_unit or "").strip().lower()
    if target.startswith("%") and measured.startswith("%"):
        return True
    return target == measured


def outcome(m: Measure, zone=None, memo: dict | None = None) -> Outcome:
    """Target against measurement; ``memo`` shares measurements of one code and zone within a page."""
    measurement = None
    if m.indicator_code:
        key = (m.indicator_code, type(zone).__name__, getattr(zone, "pk", None))
        if memo is not None and key in memo:
            measurement = memo[key]
        else:
            measurement = measure(m.indicator_code, zone)
            if memo is not None:
                memo[key] = measurement
    return judge(m, measurement)


def judge(m: Measure, measurement) -> Outcome:
    """The measure's target against one measurement (None: not measured yet)."""
    reached = None
    comparable = (
        measurement is None or m.target_value is None or comparable_units(m.target_unit, measurement.unit)
    )
    if (
        comparable
        and measurement is not None
        and measurement.value is not None
        and m.target_value is not None
    ):
        if m.target_direction == Measure.Direction.AT_MOST:
            reached = measurement.value <= float(m.target_value)
        else:
            reached = measurement.value >= float(m.target_value)
    return Outcome(measurement, reached, comparable)


def tracked_measures():
    """Measures whose progress the portal measures (an indicator code), with their programme."""
    return (
        Measure.objects.exclude(indicator_code="")
        .select_related("programme__source", "axis")
        .order_by("programme__order", "number")
    )


def outcome_rows(zone=None, measures=None):
    """One row per measure; every indicator of a zone is read at once (a few queries per zone)."""
    measures = list(measures if measures is not None else tracked_measures())
    codes = [m.indicator_code for m in measures if m.indicator_code]
    cache = {}  # the current run, definitions and registry dates, read once for the page
    national = measure_many(codes, None, cache)
    local = measure_many(codes, zone, cache) if zone is not None else {}
    return [
        {
            "measure": m,
            "indicator_label": indicator_label(m.indicator_code),
            "national": judge(m, national.get(m.indicator_code)),
            "local": judge(m, local.get(m.indicator_code)) if zone is not None else None,
        }
        for m in measures
    ]
