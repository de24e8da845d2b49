"""The ARS zonage médecins of any zone in one line of plain French, read from the stored zonage of
its communes (a département or bassin de vie sums its communes; a commune reads its own or its
arrondissements'). Used by the class card of territory pages."""

from django.db.models import Q

from territories.models import Commune, Dataset

from .importers import current_zoning_rows
from .models import DoctorZoning

SHORT = {"ZIP": "en ZIP", "ZAC": "en ZAC", "HZ": "hors zonage", "ZAR": "en ZAR"}


def zoning_line(zone) -> str:
    if isinstance(zone, Commune):
        rows, total = _commune_rows(zone), 1
    else:
        codes = list(zone.communes().values_list("code", flat=True))
        rows, total = current_zoning_rows(codes), len(codes)
    if not rows:
        return "zonage ARS médecins : non chargé pour ce territoire"
    labels = dict(DoctorZoning.Zone.choices)
    if isinstance(zone, Commune) and zone.code in rows:
        kind, zrr = rows[zone.code]
        return f"zonage ARS médecins : {labels[kind].lower()} ({kind})" + (", commune en ZRR" if zrr else "")
    counts = {}
    for kind, _zrr in rows.values():
        counts[kind] = counts.get(kind, 0) + 1
    parts = [f"{counts[k]} {SHORT[k]}" for k in DoctorZoning.Zone.values if k in counts]
    what = "arrondissements" if isinstance(zone, Commune) else "communes"
    if isinstance(zone, Commune) or len(rows) == total:
        return f"zonage ARS médecins : {', '.join(parts)} ({len(rows)} {what})"
    return f"zonage ARS médecins (chargé pour {_n(len(rows))} communes sur {_n(total)}) : {', '.join(parts)}"


def _n(number) -> str:
    return f"{number:,}".replace(",", "\u202f")


def _commune_rows(commune) -> dict:
    """The zonage of a commune and of its arrondissements, in one query (latest import wins, as
    :func:`offers.importers.current_zoning_rows`)."""
    rows = DoctorZoning.objects.filter(dataset__status=Dataset.Status.SUCCEEDED).filter(
        Q(commune_id=commune.code) | Q(commune__parent_id=commune.code)
    )
    return {
        code: (kind, zrr)
        for code, kind, zrr in rows.order_by("dataset__started_at", "dataset_id").values_list(
            "commune_id", "zone", "zrr"
        )
    }
