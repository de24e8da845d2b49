"""Importer of the official DREES APL per commune (the workbook as published, one sheet per
millésime).
"""

from dataclasses import dataclass, field
from pathlib import Path

from territories.importers import CodeResolver
from territories.importing.contract import (
    ImportRejected,
    Problem,
    SourceInfo,
    note_ignored_columns,
    run_import,
    sync_rows,
)
from territories.importing.workbooks import open_workbook

DREES_APL_SOURCE = "drees-apl"


HEADER_SEARCH_ROWS = 30


APL_CODE = "apl_mg"


def drees_apl_source(millesime, synthetic=False) -> SourceInfo:
    title = "Indicateur d’accessibilité potentielle localisée (APL) aux médecins généralistes, par commune"
    if synthetic:
        title = "Échantillon synthétique — " + title
    return SourceInfo(
        source=DREES_APL_SOURCE,
        title=title,
        publisher="DREES" + (" (format imité ; valeurs inventées pour les tests)" if synthetic else ""),
        licence="Licence Ouverte / Open Licence 2.0" + (" (échantillon synthétique)" if synthetic else ""),
        millesime=str(millesime),
        url="https://data.drees.solidarites-sante.gouv.fr/explore/dataset/530_l-accessibilite-potentielle-localisee-apl/",
        attribution="DREES, indicateur d’accessibilité potentielle localisée (APL)",
        is_synthetic=synthetic,
    )


def normalize_header(text) -> str:
    """« APL aux médecins  Généralistes (sans borne d'âge) »
    → "apl aux medecins generalistes sans borne d age"."""
    import re
    import unicodedata

    text = unicodedata.normalize("NFKD", str(text or ""))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text).split())


def _column_role(header: str) -> str | None:
    """Role of a normalised DREES header: code, name, an APL variant, or a population."""
    from indicators.models import PublishedIndicatorValue as P

    if not header:
        return None
    if header.startswith("code") and ("commune" in header or "insee" in header) or header == "codgeo":
        return "code"
    if header in ("commune", "nom commune", "libelle commune", "libelle de la commune", "nom de la commune"):
        return "name"
    if header.startswith("apl") and "generaliste" in header:
        if "65 ans" in header:
            return P.Variant.MAX_65
        if "62 ans" in header:
            return P.Variant.MAX_62
        if "ans" in header and "sans borne" not in header:
            return None  # another age bound: not a variant we store (listed in the report)
        return P.Variant.NO_AGE_LIMIT
    if header.startswith("population"):
        if "standardis" in header:
            return "population_standardisee"
        if "totale" in header or "municipale" in header:
            return "population_totale"
    return None


def _parse_number(raw):
    """A cell value as a float; None for an empty cell; raises ValueError otherwise."""
    import math

    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise ValueError
    if isinstance(raw, int | float):
        value = float(raw)
    else:
        value = float(
            str(raw).strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
        )
    if math.isnan(value) or math.isinf(value):
        raise ValueError
    return value


def _commune_code(raw) -> str | None:
    """An INSEE code as text, zero-padded to 5 (Excel stores 01001 as the number 1001)."""
    import re

    if raw is None:
        return None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = str(raw).strip().upper()
    if text.isdigit() and len(text) < 5:
        text = text.zfill(5)
    return text if re.fullmatch(r"\d[0-9AB]\d{3}", text) else None


def import_drees_apl(path: Path, *, sheet=None, millesime=None, dry_run=False, synthetic=None):
    """Import the DREES APL aux médecins généralistes per commune (official .xlsx layout).

    One sheet per millésime (« APL 2022 »…): ``sheet`` picks one, else the sheet with the latest
    year. ``millesime`` overrides the year read from the sheet name. ``synthetic`` (default: the
    file name says « synthetique ») marks a hand-made sample. The values are stored as published
    (``PublishedIndicatorValue``); they feed no computation.
    """
    path = Path(path)
    if synthetic is None:
        lowered = path.name.lower()
        synthetic = "synthetique" in lowered or "synthetic" in lowered
    try:
        table = _read_drees_workbook(path, sheet)
        year = str(millesime or table.get("year") or "")
        if not year:
            raise ImportRejected.single(
                table["where"], "millésime introuvable dans le nom de la feuille : indiquez --millesime"
            )
    except ImportRejected as exc:
        if not path.exists():
            raise
        refused = exc  # still recorded as a failed Dataset (the import contract)

        def refuse(dataset):
            raise refused

        info = drees_apl_source(str(millesime or "non déterminé"), synthetic=synthetic)
        return run_import(info, [path], refuse, dry_run=dry_run)
    info = drees_apl_source(year, synthetic=synthetic)
    return run_import(
        info, [path], lambda dataset: _import_drees_apl(dataset, path, table, year), dry_run=dry_run
    )


def _read_drees_workbook(path: Path, sheet_name=None) -> dict:
    """Read the chosen sheet: header row (searched in the first rows), mapped columns, data rows."""
    chosen, rows, years = _sheet_rows(path, sheet_name)
    where = f"{path.name}, feuille « {chosen} »"
    header_index = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(_column_role(normalize_header(c)) == "code" for c in row if c is not None):
            header_index = i
            break
    if header_index is None:
        raise ImportRejected.single(
            where,
            "ligne d’en-tête introuvable : aucune colonne « Code commune » dans les "
            f"{HEADER_SEARCH_ROWS} premières lignes",
        )
    header = rows[header_index]
    columns, ignored, problems = _header_columns(where, header, header_index)
    variants = [
        r for r in columns if r not in ("code", "name", "population_standardisee", "population_totale")
    ]
    if not variants:
        problems.append(
            Problem(
                where,
                header_index + 1,
                None,
                "aucune colonne « APL aux médecins généralistes » dans l’en-tête",
            )
        )
    if problems:
        raise ImportRejected(problems)
    year = years[chosen].group(0) if years.get(chosen) else None
    return {
        "sheet": chosen,
        "where": where,
        "year": year,
        "header_line": header_index + 1,
        "header": header,
        "columns": columns,
        "variants": variants,
        "ignored": ignored,
        "rows": [(header_index + 2 + k, row) for k, row in enumerate(rows[header_index + 1 :])],
    }


def _sheet_rows(path: Path, sheet_name=None):
    """The rows of the chosen sheet (the given one, else the latest dated one), its name, and the
    year found in each sheet name."""
    import re

    workbook = open_workbook(path)
    names = workbook.sheetnames
    years = {n: re.search(r"(19|20)\d{2}", n) for n in names}
    if sheet_name:
        chosen = sheet_name  # an absent sheet is refused by rows(), with the sheets it holds
    else:
        dated = [n for n in names if years[n]]
        if not dated and len(names) != 1:
            raise ImportRejected.single(
                path.name,
                f"aucune feuille datée (« APL 2022 »…) : choisissez-en une avec --sheet ({', '.join(names)})",
            )
        chosen = max(dated, key=lambda n: years[n].group(0)) if dated else names[0]
    rows = workbook.rows(chosen)
    return chosen, rows, years


def _header_columns(where, header, header_index):
    """Column index of each role of the header, the ignored headers and the duplicated roles."""
    from openpyxl.utils import get_column_letter

    columns, ignored, problems = {}, [], []
    for j, cell in enumerate(header):
        text = normalize_header(cell)
        role = _column_role(text)
        if role is None:
            if text:
                ignored.append(str(cell).strip())
            continue
        if role in columns:
            problems.append(
                Problem(
                    where,
                    header_index + 1,
                    str(cell).strip(),
                    f"colonne en double : même rôle que la colonne {get_column_letter(columns[role] + 1)} "
                    f"« {header[columns[role]]} »",
                )
            )
            continue
        columns[role] = j
    return columns, ignored, problems


def _is_unit_row(row, columns) -> bool:
    """The DREES row under the header gives units in words: no code, only text in the value
    columns (« En nombre de consultations/visites accessibles par habitant standardisé »)."""
    texts = [row[j] for role, j in columns.items() if role not in ("code", "name") and j < len(row)]
    texts = [t for t in texts if t not in (None, "")]
    return bool(texts) and all(isinstance(t, str) and t.strip().lower().startswith("en ") for t in texts)


def _import_drees_apl(dataset, path, table, year):
    from indicators.models import PublishedIndicatorValue
    from territories.models import Commune

    where = table["where"]
    note_ignored_columns(where, table["ignored"])
    read = _read_apl_rows(table, CodeResolver.load())
    dataset.rows_read = read.count
    if read.problems:
        raise ImportRejected(read.problems)
    populations = dict(Commune.objects.filter(is_active=True).values_list("code", "population"))
    rows, merged, merge_without_population = _apl_rows(read.by_commune, populations, year)
    dataset.report = {
        "feuille": table["sheet"],
        "ligne_en_tete": table["header_line"],
        "variantes": [PublishedIndicatorValue.Variant(v).label for v in table["variants"]],
        "codes_non_apparies": sorted(read.unmatched),
        "nombre_codes_non_apparies": len(read.unmatched),
        "codes_fusionnes": {k: ", ".join(v) for k, v in sorted(merged.items())},
        "fusions_sans_population_non_importees": merge_without_population,
        "valeurs_vides": read.empty_values,
        "lignes_de_notes_ignorees": read.notes,
        "unites": read.units,
    }
    if not rows:
        raise ImportRejected.single(where, "aucune valeur d’APL rattachée à une commune connue")
    counts, _ = sync_rows(
        PublishedIndicatorValue,
        rows,
        fields=[
            "indicator_code",
            "millesime",
            "variant",
            "commune_id",
            "value",
            "population",
            "population_kind",
            "population_total",
            "source_codes",
        ],
        key="key",
        dataset=dataset,
        obsolete_missing=True,
        scope={"indicator_code": APL_CODE, "millesime": year},
    )
    from indicators.official.published import aggregate_published

    dataset.report["zones_agregees"] = aggregate_published(APL_CODE, year, dataset)
    return counts


@dataclass
class _AplRead:
    """What reading the APL table found: entries per resolved commune, and what was set aside."""

    problems: list = field(default_factory=list)
    notes: int = 0
    empty_values: int = 0
    count: int = 0
    unmatched: dict = field(default_factory=dict)
    seen: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    by_commune: dict = field(default_factory=dict)


class _Cells:
    """The cells of a row by role, and the header label of a role (for messages)."""

    def __init__(self, table):
        self.where, self.columns, self.header = table["where"], table["columns"], table["header"]

    def get(self, row, role):
        j = self.columns.get(role)
        return row[j] if j is not None and j < len(row) else None

    def label(self, role):
        return str(self.header[self.columns[role]]).strip()


def _read_apl_rows(table, resolver) -> _AplRead:
    cells, read = _Cells(table), _AplRead()
    where = table["where"]
    for line, row in table["rows"]:
        if row is None or all(c is None or (isinstance(c, str) and not c.strip()) for c in row):
            continue
        raw_code = cells.get(row, "code")
        code = _commune_code(raw_code)
        if code is None:
            if not any(cells.get(row, v) not in (None, "") for v in table["variants"]):
                read.notes += 1  # a note or source line under the table
            elif line == table["header_line"] + 1 and _is_unit_row(row, cells.columns):
                # the row of units under the header (« En nombre de consultations… »)
                read.units = {
                    cells.label(r): str(cells.get(row, r)).strip() for r in cells.columns if cells.get(row, r)
                }
            else:
                read.problems.append(
                    Problem(where, line, cells.label("code"), f"code commune invalide « {raw_code} »")
                )
            continue
        read.count += 1
        if code in read.seen:
            message = f"code {code} en double (ligne {read.seen[code]})"
            read.problems.append(Problem(where, line, cells.label("code"), message))
            continue
        read.seen[code] = line
        values = _row_values(cells, row, line, table["variants"], read)
        population, population_kind, population_total = _row_population(cells, row, line, read.problems)
        if len(read.problems) >= 50:
            break
        resolved = resolver.resolve(code)
        if resolved is None:
            read.unmatched[code] = line
            continue
        read.by_commune.setdefault(resolved, []).append(
            (code, line, values, population, population_kind, population_total)
        )
    return read


def _row_values(cells, row, line, variants, read) -> dict:
    values = {}
    for variant in variants:
        raw = cells.get(row, variant)
        try:
            value = _parse_number(raw)
        except ValueError:
            read.problems.append(
                Problem(cells.where, line, cells.label(variant), f"valeur non numérique « {raw} »")
            )
            continue
        if value is None:
            read.empty_values += 1
            continue
        if value < 0:
            message = f"valeur négative « {raw} » (APL ≥ 0)"
            read.problems.append(Problem(cells.where, line, cells.label(variant), message))
            continue
        values[variant] = value
    return values


def _row_population(cells, row, line, problems):
    """(population, its kind, total population) of a row: the weight of an APL mean is the
    standardised population (DREES note), else the total."""
    pops = {}
    for role in ("population_standardisee", "population_totale"):
        if role in cells.columns:
            raw = cells.get(row, role)
            try:
                number = _parse_number(raw)
            except ValueError:
                problems.append(
                    Problem(cells.where, line, cells.label(role), f"population non numérique « {raw} »")
                )
                continue
            if number is not None and number < 0:
                problems.append(
                    Problem(cells.where, line, cells.label(role), f"population négative « {raw} »")
                )
                continue
            if number is not None:
                pops[role] = number
    population_kind = next((r for r in ("population_standardisee", "population_totale") if r in pops), "")
    return pops.get(population_kind), population_kind, pops.get("population_totale")


def _apl_rows(by_commune, populations, year):
    """One row per (commune, variant); codes of communes merged since the file's COG year give a
    population-weighted mean (not imported when a population is missing)."""
    rows, merged, merge_without_population = [], {}, []
    for commune, entries in by_commune.items():
        if len(entries) > 1:
            codes = [e[0] for e in entries]
            if any(e[3] is None for e in entries):
                merge_without_population.append(f"{commune} ← {', '.join(codes)}")
                continue
            merged[commune] = codes
            values, population, kind, population_total = _merged_entry(entries)
            source_codes = ",".join(codes)
        else:
            code, _, values, population, kind, population_total = entries[0]
            source_codes = code
        if population is None and populations.get(commune) is not None:
            population, kind = float(populations[commune]), "population_municipale"
        for variant, value in values.items():
            rows.append(
                {
                    "key": f"{APL_CODE}:{year}:{variant}:{commune}",
                    "indicator_code": APL_CODE,
                    "millesime": year,
                    "variant": variant,
                    "commune_id": commune,
                    "value": value,
                    "population": population,
                    "population_kind": kind,
                    "population_total": population_total,
                    "source_codes": source_codes,
                }
            )
    return rows, merged, merge_without_population


def _merged_entry(entries):
    total = sum(e[3] for e in entries)
    variants = set.intersection(*(set(e[2]) for e in entries))
    values = {
        v: (
            sum(e[2][v] * e[3] for e in entries) / total
            if total
            else sum(e[2][v] for e in entries) / len(entries)
        )
        for v in variants
    }
    totals = [e[5] for e in entries]
    return values, total, entries[0][4], None if None in totals else sum(totals)
