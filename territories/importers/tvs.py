"""Importer of the territoires de vie-santé (one line per commune)."""

from pathlib import Path

from territories.importers.coverage import check_coverage, refuse_unknown, split_unknown
from territories.importers.sources import CodeResolver
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    SyncCounts,
    run_import,
    sync_rows,
)
from territories.importing.readers import (
    read_csv,
)
from territories.models import (
    Commune,
    TerritoireVieSante,
)
from territories.text import normalize_name

# The names met in DREES / ARS tables (one line per commune with its TVS code and name).
TVS_COLUMNS = {
    "commune": ("CODGEO", "code_commune", "DEPCOM"),
    "tvs": ("TVS", "code_tvs", "CODE_TVS"),
    "name": ("LIBTVS", "libelle_tvs", "LIB_TVS"),
}


def tvs_source(millesime: str = "", *, synthetic: bool = False, licence: str = "", publisher: str = ""):
    return SourceInfo(
        source="tvs",
        title="Territoires de vie-santé (TVS) des communes"
        + (" — échantillon synthétique" if synthetic else ""),
        publisher=publisher or ("échantillon synthétique des tests" if synthetic else "DREES / ARS"),
        licence=licence or ("sans objet (synthétique)" if synthetic else "Licence Ouverte / Etalab 2.0"),
        millesime=millesime or "non précisé",
        is_synthetic=synthetic,
    )


def import_tvs(
    path: Path,
    dry_run: bool = False,
    partial: bool = False,
    ignore_unknown: bool = False,
    info: SourceInfo | None = None,
    sheet=None,
):
    """The TVS of each commune (one line per commune: commune code, TVS code, TVS name)."""
    path = Path(path)
    if info is None:
        lowered = path.name.lower()
        info = tvs_source(synthetic="synthetique" in lowered or "synthetic" in lowered)
    return run_import(
        info,
        [path],
        lambda ds: _import_tvs(ds, path, partial=partial, ignore_unknown=ignore_unknown, sheet=sheet),
        dry_run=dry_run,
    )


def _import_tvs(dataset, path, partial=False, ignore_unknown=False, sheet=None) -> SyncCounts:
    commune, tvs, label = (names[0] for names in TVS_COLUMNS.values())
    frame = read_csv(
        path,
        required=list(TVS_COLUMNS.values()),
        not_empty=[commune, tvs],
        unique=commune,
        codes=[commune],
        sheet=sheet,
    )
    name, column = frame.attrs["name"], frame.attrs["columns"]
    frame = frame.rename(columns={commune: "commune", tvs: "tvs", label: "name"})
    problems, names = [], {}
    for code, tvs_name, line in zip(frame["tvs"], frame["name"], frame["_line"], strict=True):
        if len(code) > 10:
            problems.append(
                Problem(name, int(line), column[tvs], f"code TVS de plus de 10 caractères « {code[:20]} »")
            )
        elif code in names and tvs_name and names[code][0] != tvs_name:
            problems.append(
                Problem(
                    name,
                    int(line),
                    column[label],
                    f"TVS {code} nommé « {tvs_name} », mais « {names[code][0]} » ligne {names[code][1]}",
                )
            )
        elif tvs_name or code not in names:
            names.setdefault(code, (tvs_name or code, int(line)))
        if len(problems) >= 20:
            break
    if problems:
        raise ImportRejected(problems)
    resolver = CodeResolver.load()
    resolved = [resolver.resolve(code) for code in frame["commune"]]
    coverage = check_coverage(
        name,
        [c for c in resolved if c],
        partial=partial,
        consequence=" ; importé tel quel, il retirerait leur TVS aux communes des autres départements",
    )
    unmatched = {
        c: int(line)
        for c, line, t in zip(frame["commune"], frame["_line"], resolved, strict=True)
        if t is None
    }
    unknown, outside = split_unknown(unmatched, loaded=coverage.loaded)
    if unknown and not ignore_unknown:
        refuse_unknown(name, unknown, unmatched, column[commune])
    dataset.rows_read = len(frame)
    counts, _ = sync_rows(
        TerritoireVieSante,
        [{"code": c, "name": n, "name_normalized": normalize_name(n)} for c, (n, _line) in names.items()],
        fields=["name", "name_normalized"],
        dataset=dataset,
        obsolete_missing=coverage.scope is None,
    )
    tvs_of = {target: tvs for target, tvs in zip(resolved, frame["tvs"], strict=True) if target}
    communes = Commune.objects.filter(is_active=True)
    if coverage.scope is not None:
        communes = communes.filter(departement_id__in=sorted(coverage.scope))
    rows = []
    for code, kind, parent in communes.values_list("code", "kind", "parent_id"):
        tvs = tvs_of.get(code) or (tvs_of.get(parent) if kind == Commune.Kind.ARRONDISSEMENT else None)
        rows.append({"code": code, "tvs_id": tvs})
    c, _ = sync_rows(Commune, rows, fields=["tvs_id"], dataset=None, create=False)
    counts.add(c)
    dataset.report = {
        **coverage.report(),
        "territoires_de_vie_sante": len(names),
        "communes_sans_tvs": sorted(r["code"] for r in rows if r["tvs_id"] is None),
        "codes_inconnus_ignores": unknown,
        "codes_hors_des_departements_charges": outside,
    }
    return counts
