"""What the offer importers share: writing offers with their history and conflicts (``sync_offers``),
field values between JSON and models, commune points.
"""

import datetime as dt

from django.contrib.gis.geos import Point
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from offers.models import (
    ImportConflict,
    Offer,
)
from territories.constants import WGS84
from territories.importing.contract import (
    SyncCounts,
)
from territories.models import Commune

IMPORTED_FIELDS = [
    "kind",
    "subkind",
    "name",
    "finess_ej",
    "address",
    "commune",
    "location",
    "location_precision",
    "status",
    "opened_on",
    "emergency_basis",
]


def _json_value(field, value):
    """The comparable, JSON-serialisable form of a field value (as stored in imported_values)."""
    if field == "location":
        return None if value is None else [round(value.x, 6), round(value.y, 6)]
    if field == "commune":
        return value if isinstance(value, str) or value is None else value.pk
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _current_value(offer, field):
    if field == "commune":
        return offer.commune_id
    return _json_value(field, getattr(offer, field))


def _python_value(field, value):
    if field == "location":
        return None if value is None else Point(value[0], value[1], srid=WGS84)
    if field == "opened_on":
        return dt.date.fromisoformat(value) if value else None
    return value


def apply_value(offer, field, json_value):
    """Set a field on an offer from its imported_values form."""
    if field == "commune":
        offer.commune_id = json_value
    else:
        setattr(offer, field, _python_value(field, json_value))


def sync_offers(dataset, rows: list[dict], reason: str) -> SyncCounts:
    """Upsert offers keyed by FINESS établissement; hand edits are never overwritten silently.

    ``rows`` hold IMPORTED_FIELDS (JSON form, commune as code) plus ``finess_et``.
    """
    counts = SyncCounts()
    existing = {o.finess_et: o for o in Offer.objects.filter(finess_et__in=[r["finess_et"] for r in rows])}
    open_conflicts = {
        (c.offer_id, c.field): c.imported_value
        for c in ImportConflict.objects.filter(
            offer__in=existing.values(), resolution=ImportConflict.Resolution.OPEN
        )
    }
    creates, updates, conflicts = [], [], []
    for row in rows:
        incoming = {f: row[f] for f in IMPORTED_FIELDS}
        offer = existing.get(row["finess_et"])
        if offer is None:
            offer = Offer(finess_et=row["finess_et"], dataset=dataset, imported_values=incoming)
            for field, value in incoming.items():
                apply_value(offer, field, value)
            creates.append(offer)
            continue
        changed = False
        for field, value in incoming.items():
            current = _current_value(offer, field)
            if current == value:
                continue
            last_imported = offer.imported_values.get(field, current)
            if value == last_imported:
                continue  # the source did not change: the hand edit stands, nothing to review
            if current == last_imported:
                apply_value(offer, field, value)  # not edited by hand since the last import
                changed = True
            elif open_conflicts.get((offer.pk, field), object()) != value:
                conflicts.append(
                    ImportConflict(
                        offer=offer,
                        dataset=dataset,
                        field=field,
                        current_value=current,
                        imported_value=value,
                    )
                )
        if offer.imported_values != incoming:
            offer.imported_values = incoming
            changed = True
        if changed:
            offer.dataset = dataset
            offer.version += 1
            offer.updated_by = None
            updates.append(offer)
        else:
            counts.unchanged += 1
    if creates:
        bulk_create_with_history(creates, Offer, batch_size=1000, default_change_reason=reason)
        counts.created = len(creates)
    if updates:
        bulk_update_with_history(
            updates,
            Offer,
            fields=[*IMPORTED_FIELDS, "imported_values", "dataset", "version", "updated_by"],
            batch_size=1000,
            default_change_reason=reason,
        )
        counts.updated = len(updates)
    ImportConflict.objects.bulk_create(conflicts, batch_size=1000)
    dataset.report["conflits"] = [f"{c.offer.finess_et} {c.offer.name} : {c.field}" for c in conflicts[:200]]
    dataset.report["nombre_conflits"] = len(conflicts)
    return counts


def _commune_points(codes) -> dict[str, list[float] | None]:
    return {
        code: (None if point is None else [round(point.x, 6), round(point.y, 6)])
        for code, point in Commune.objects.filter(code__in=set(codes)).values_list("code", "point")
    }


class _Row(dict):
    """Attribute access to a CSV record (keeps the ``_line`` column itertuples would rename)."""

    __getattr__ = dict.__getitem__


def _address(*parts) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())[:255]
