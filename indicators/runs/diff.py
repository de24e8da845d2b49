"""What changed between two runs: the communes whose class or emergency flag moved."""

from indicators.models import Classification


def compute_diff(previous, run, limit=2000) -> dict:
    """(The stored list is capped at ``limit``; ``truncated`` says so and the run page offers the
    complete list, recomputed from the rows, as CSV.)"""
    return _diff(previous, run, limit)


def full_diff(previous, run) -> list[dict]:
    return _diff(previous, run, None)["changed"]


def _diff(previous, run, limit) -> dict:
    """Communes whose class (APL class or emergency flag) changed since the previous current run."""
    fields = ("zone_code", "apl_class", "emergency_far")
    before = {
        r[0]: r[1:] for r in Classification.objects.filter(run=previous, level="commune").values_list(*fields)
    }
    after = {
        r[0]: r[1:] for r in Classification.objects.filter(run=run, level="commune").values_list(*fields)
    }
    labels = dict(Classification.AplClass.choices)
    changed = []
    for code in sorted(set(before) | set(after)):
        if before.get(code) != after.get(code):
            changed.append(
                {
                    "code": code,
                    "before": _class_label(before.get(code), labels),
                    "after": _class_label(after.get(code), labels),
                }
            )
    shown = changed if limit is None else changed[:limit]
    return {
        "previous_run": previous.pk,
        "count": len(changed),
        "changed": shown,
        "truncated": len(shown) < len(changed),
    }


def _class_label(value, labels):
    if value is None:
        return "absente"
    text = labels.get(value[0], value[0])
    if value[1]:
        text += " ; urgences éloignées"
    return text
