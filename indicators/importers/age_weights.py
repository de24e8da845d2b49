"""Importers of the consumption weights per age band: a CSV, or the weights the DREES publishes with
its APL.
"""

from pathlib import Path

from indicators.importers.age_structure import MAX_BAND_LENGTH, _band_sort_key, _read_age_csv
from indicators.importers.drees_apl import _parse_number, normalize_header
from indicators.models import AgeWeight
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    note_ignored_columns,
    run_import,
    sync_rows,
)
from territories.importing.workbooks import open_workbook

AGE_WEIGHTS_SOURCE = "poids-age-consommation"


def age_weights_source(*, title, publisher, licence, millesime, url="", synthetic=False) -> SourceInfo:
    if synthetic:
        title = "Échantillon synthétique — " + title
    return SourceInfo(
        source=AGE_WEIGHTS_SOURCE,
        title=title,
        publisher=publisher,
        licence=licence,
        millesime=str(millesime),
        url=url,
        is_synthetic=synthetic,
    )


def import_age_weights(path: Path, *, info: SourceInfo, dry_run=False):
    """Import the relative consumption of GP care per age band (CSV ``tranche_age;poids``).

    No default weights exist in the code: the source, licence and millésime come with the file
    (command-line options). Weights are numbers ≥ 0, at least one > 0. A new file replaces the set.
    """
    path = Path(path)
    return run_import(info, [path], lambda dataset: _import_age_weights(dataset, path), dry_run=dry_run)


def _import_age_weights(dataset, path):
    frame = _read_age_csv(
        path,
        {"tranche_age": ("tranche_age", "tranche", "band"), "poids": ("poids", "weight")},
        unique=["tranche_age"],
    )
    dataset.rows_read = len(frame)
    problems, rows = [], []
    for band, raw, line in frame[["tranche_age", "poids", "_line"]].itertuples(index=False):
        line = int(line)
        if len(band) > MAX_BAND_LENGTH:
            problems.append(
                Problem(path.name, line, "tranche_age", f"libellé trop long (> {MAX_BAND_LENGTH})")
            )
            continue
        try:
            value = _parse_number(raw)
            if value is None or value < 0:
                raise ValueError
        except ValueError:
            problems.append(
                Problem(path.name, line, "poids", f"poids invalide « {raw} » (nombre ≥ 0 attendu)")
            )
            continue
        rows.append({"band": band, "weight": value})
    if not problems and not any(r["weight"] > 0 for r in rows):
        problems.append(Problem(path.name, None, "poids", "tous les poids sont nuls"))
    if problems:
        raise ImportRejected(problems)
    dataset.report = {"tranches": sorted((r["band"] for r in rows), key=_band_sort_key)}
    counts, _ = sync_rows(
        AgeWeight, rows, fields=["weight"], key="band", dataset=dataset, obsolete_missing=True
    )
    return counts


DREES_WEIGHTS_SOURCE = AGE_WEIGHTS_SOURCE


def drees_band(label) -> str | None:
    """« Moins de 5 ans » → "0-4", « de 5 à 9 ans » → "5-9", « Plus de 90 ans » → "90+"."""
    import re

    text = normalize_header(label)
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    if text.startswith("moins de") and len(numbers) == 1:
        return f"0-{numbers[0] - 1}"
    if text.startswith("plus de") and len(numbers) == 1:
        return f"{numbers[0]}+"
    if len(numbers) == 2 and numbers[0] < numbers[1]:
        return f"{numbers[0]}-{numbers[1]}"
    return None


def import_drees_age_weights(path: Path, *, millesime=None, dry_run=False):
    """Import the age weights of one millésime (default: the latest) from the « Paramètres » sheet
    of the DREES APL workbook as the demand weights (an age-weight dataset with provenance).
    Bands are named as the age-structure imports name them ("0-4" … "90+")."""
    path = Path(path)
    try:
        year, rows, where, ignored = _read_drees_weights(path, millesime)
    except ImportRejected as exc:
        if not path.exists():
            raise
        refused = exc

        def refuse(dataset):
            raise refused

        info = _drees_weights_source(str(millesime or "non déterminé"))
        return run_import(info, [path], refuse, dry_run=dry_run)

    def work(dataset):
        from indicators.models import AgeWeight

        dataset.rows_read = len(rows)
        note_ignored_columns(where, ignored)
        dataset.report = {
            "feuille": "Paramètres",
            "tranches": [f"{r['band']} : {r['weight']:g}" for r in rows],
        }
        counts, _ = sync_rows(
            AgeWeight, rows, fields=["weight"], key="band", dataset=dataset, obsolete_missing=True
        )
        return counts

    return run_import(_drees_weights_source(year), [path], work, dry_run=dry_run)


def _drees_weights_source(year) -> SourceInfo:
    return SourceInfo(
        source=DREES_WEIGHTS_SOURCE,
        title=f"Poids de consommation de soins de médecine générale par tranche d’âge (APL {year})",
        publisher="DREES (Cnam, DCIR ; Insee, populations municipales)",
        licence="Licence Ouverte / Open Licence 2.0",
        millesime=str(year),
        url="https://data.drees.solidarites-sante.gouv.fr/explore/dataset/530_l-accessibilite-potentielle-localisee-apl/",
        attribution="DREES, APL aux médecins généralistes, feuille « Paramètres »",
    )


def _read_drees_weights(path: Path, millesime=None):
    """The weights of one year of the « Paramètres » sheet: (year, rows, where, the headers not read)."""
    import re

    workbook = open_workbook(path)
    if "Paramètres" not in workbook.sheetnames:
        raise ImportRejected.single(path.name, "feuille « Paramètres » absente")
    sheet = workbook.rows("Paramètres")
    where = f"{path.name}, feuille « Paramètres »"
    header = next(
        (i for i, r in enumerate(sheet) if r and r[0] and normalize_header(r[0]).startswith("tranche d age")),
        None,
    )
    if header is None:
        raise ImportRejected.single(where, "ligne « Tranche d'âge » introuvable")
    columns = {}
    for j, cell in enumerate(sheet[header]):
        found = re.search(r"(19|20)\d{2}", str(cell or ""))
        if j and found and "poids" in normalize_header(cell):
            columns[found.group(0)] = j
    if not columns:
        raise ImportRejected.single(where, "aucune colonne « Poids de la tranche d'âge en AAAA »")
    year = str(millesime or max(columns))
    if year not in columns:
        raise ImportRejected.single(
            where, f"pas de poids pour {year} (années : {', '.join(sorted(columns))})"
        )
    read = {0, columns[year]}
    ignored = [c for j, c in enumerate(sheet[header]) if j not in read and c is not None]
    rows, problems = [], []
    for i in range(header + 1, len(sheet)):
        line = sheet[i]
        if not line or line[0] is None:
            break
        band = drees_band(line[0])
        if band is None:
            break  # the notes under the table
        raw = line[columns[year]] if columns[year] < len(line) else None
        try:
            weight = _parse_number(raw)
            if weight is None or weight < 0:
                raise ValueError
        except ValueError:
            problems.append(Problem(where, i + 1, f"Poids {year}", f"poids invalide « {raw} »"))
            continue
        rows.append({"band": band, "weight": weight})
    if problems:
        raise ImportRejected(problems)
    if len(rows) < 2:
        raise ImportRejected.single(where, "moins de deux tranches d’âge lues")
    return year, rows, where, ignored
