"""Importer of the ARS zonage médecins (ZIP / ZAC / HZ / ZAR, ZRR) per commune, and the current
zoning read back.
"""

from pathlib import Path

from offers.importers.sources import DEFAULT_DIR, ZONAGE, ZONAGE_FILE
from offers.importers.sync import _Row
from offers.models import (
    DoctorZoning,
)
from territories.importers import CodeResolver, check_coverage, refuse_unknown, split_unknown
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    SyncCounts,
    run_import,
)
from territories.importing.readers import read_csv
from territories.models import Commune, Dataset

ZONE_CODES = {
    "1_ZIP": "ZIP",
    "2_ZAC": "ZAC",
    "3_HZ": "HZ",
    "4_ZAR": "ZAR",
    "ZIP": "ZIP",
    "ZAC": "ZAC",
    "HZ": "HZ",
    "ZAR": "ZAR",
}


def _zrr(value: str):
    value = value.strip()
    if not value:
        return None, True
    head = value.split(" ", 1)[0].upper()
    if head == "C":
        return True, True
    if head == "NC":
        return False, True
    return None, False


def import_zonage(
    path: Path | None = None,
    dry_run: bool = False,
    millesime: str = "",
    partial: bool = False,
    ignore_unknown: bool = False,
) -> Dataset:
    """The ARS zonage of the communes of the file. A file covering only some départements is refused
    unless ``partial`` (the others keep their zonage); unknown codes refuse it unless
    ``ignore_unknown`` (they are then listed)."""
    path = Path(path or DEFAULT_DIR / ZONAGE_FILE)
    info = SourceInfo(**{**ZONAGE.__dict__})
    if millesime:
        info.millesime = millesime
    return run_import(
        info,
        [path],
        lambda ds: _import_zonage(ds, path, partial=partial, ignore_unknown=ignore_unknown),
        dry_run=dry_run,
    )


def _import_zonage(dataset, path, partial=False, ignore_unknown=False) -> SyncCounts:
    frame = read_csv(
        path,
        required=["code_insee", "zonage_medecins", "zrr"],
        not_empty=["code_insee", "zonage_medecins"],
        codes=["code_insee"],
    )
    name = frame.attrs["name"]
    resolver = CodeResolver.load()
    resolved = [resolver.resolve(code) for code in frame["code_insee"]]
    problems, by_commune = [], {}
    for r in frame.to_dict("records"):
        r = _Row(r)
        line = int(r._line)
        zone = ZONE_CODES.get(r.zonage_medecins.strip())
        if zone is None:
            problems.append(Problem(name, line, "zonage_medecins", f"zonage inconnu « {r.zonage_medecins} »"))
        zrr, ok = _zrr(r.zrr)
        if not ok:
            problems.append(Problem(name, line, "zrr", f"valeur ZRR inconnue « {r.zrr} »"))
        code = resolver.resolve(r.code_insee)
        if code is None:
            continue  # unknown (ignored on request) or outside the loaded départements: listed
        if code in by_commune and by_commune[code][:2] != (zone, zrr):
            problems.append(
                Problem(
                    name,
                    line,
                    "zonage_medecins",
                    f"commune {code} classée différemment ligne {by_commune[code][2]}",
                )
            )
        by_commune.setdefault(code, (zone, zrr, line))
        if len(problems) >= 50:
            break
    if problems:
        raise ImportRejected(problems)
    coverage = check_coverage(name, [c for c in resolved if c], partial=partial, uploadable=True)
    unmatched = {
        code: int(line)
        for code, line, target in zip(frame["code_insee"], frame["_line"], resolved, strict=True)
        if target is None
    }
    unknown, outside = split_unknown(unmatched, loaded=coverage.loaded)
    if unknown and not ignore_unknown:
        refuse_unknown(name, unknown, unmatched, "code_insee")
    current = current_zoning_rows(list(by_commune))
    writes = [
        DoctorZoning(dataset=dataset, commune_id=code, zone=zone, zrr=zrr)
        for code, (zone, zrr, _line) in by_commune.items()
        if current.get(code) != (zone, zrr)
    ]
    DoctorZoning.objects.bulk_create(writes, batch_size=2000)
    departements = sorted(
        set(Commune.objects.filter(code__in=list(by_commune)).values_list("departement_id", flat=True))
    )
    dataset.rows_read = len(frame)
    dataset.report = {
        **coverage.report(),
        "departements": departements,
        "communes": len(by_commune),
        "codes_inconnus_ignores": unknown,
        "codes_hors_des_departements_charges": outside,
        "par_zone": {z: sum(1 for v in by_commune.values() if v[0] == z) for z in DoctorZoning.Zone.values},
    }
    updated = sum(1 for w in writes if w.commune_id in current)
    return SyncCounts(created=len(writes) - updated, updated=updated, unchanged=len(by_commune) - len(writes))


def current_zoning_rows(codes=None) -> dict[str, tuple[str, bool | None]]:
    """Commune code → (zone, zrr) from the latest successful import covering each commune."""
    rows = DoctorZoning.objects.filter(dataset__status=Dataset.Status.SUCCEEDED)
    if codes is not None:
        rows = rows.filter(commune_id__in=codes)
    result = {}
    for code, zone, zrr in rows.order_by("dataset__started_at", "dataset_id").values_list(
        "commune_id", "zone", "zrr"
    ):
        result[code] = (zone, zrr)
    return result
