"""Tables (CSV of any separator, XLSX): the header found among title lines, required columns, unique
and non-empty fields, codes kept as text; every problem by file, line and field.
"""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from territories.importing.contract import (
    ImportRejected,
    Problem,
    capped_rows,
    import_cap,
    note_ignored_columns,
    note_reading,
)
from territories.importing.files import (
    ENCODING_NAMES,
    MAX_FIELD_CHARS,
    MAX_TABLE_ROWS,
    MAX_TITLE_LINES,
    SEPARATOR_NAMES,
    SEPARATORS,
    TEXT_ENCODINGS,
    Payload,
    _check_line_lengths,
    _n,
    check_row_count,
    open_payload,
    sniff_text,
)


def _cells(line: str, sep: str) -> list[str]:
    try:
        row = next(csv.reader([line], delimiter=sep), [])
    except csv.Error:
        row = line.split(sep)
    return [_header_name(c) for c in row]


def _header_name(value) -> str:
    return unicodedata.normalize("NFC", str(value if value is not None else "")).strip().strip('"').strip()


def _find_header(rows: list[list[str]], required: list[tuple[str, ...]]):
    """(index, cells) of the first row holding every required column (any of its accepted names),
    or (None, best row)."""
    best = (0, None, None)
    for index, cells in enumerate(rows):
        found = sum(1 for names in required if any(n in cells for n in names))
        if required and found == len(required):
            return index, cells
        if found > best[0]:
            best = (found, index, cells)
    return None, best


def _missing_columns(name: str, required: list[tuple[str, ...]], best, rows) -> ImportRejected:
    _, index, cells = best
    if cells is None:
        index, cells = 0, rows[0] if rows else []
    missing = [" ou ".join(names) for names in required if not any(n in cells for n in names)]
    shown = ", ".join(c for c in cells[:15] if c) or "aucune"
    return ImportRejected.single(
        name,
        f"colonne(s) manquante(s) : {', '.join(missing)} ; colonnes trouvées : {shown} "
        f"(en-tête cherché dans les {MAX_TITLE_LINES} premières lignes)",
        line=index + 1,
    )


def read_csv(
    path: Path,
    *,
    required: list[str | tuple[str, ...]],
    sep: str | None = None,
    encodings=TEXT_ENCODINGS,
    unique: str | list[str] | None = None,
    not_empty: list[str] | None = None,
    min_rows: int = 1,
    codes: list[str] | dict[str, int] | None = None,
    sheet: str | None = None,
    optional: Iterable[str] | None = (),
) -> pd.DataFrame:
    """Read a table (CSV in any of the usual encodings and separators, or XLSX) as strings.

    ``sep`` is the producer's separator, tried first; the others are sniffed. Title lines above
    the header are skipped. The returned frame has a ``_line`` column with the physical line
    (or sheet row) number, values stripped of surrounding blanks; ``codes`` are INSEE code columns
    (a list, 5 characters, or a dict column → width) whose leading zeros a spreadsheet removed
    (``1001`` → ``01001``). A file with fewer than
    ``min_rows`` data rows (a header alone: truncated) is refused.

    A required column given as a tuple accepts any of its names (layouts of several producers);
    the frame names it by the first, and ``frame.attrs["columns"]`` maps that name to the file's.

    ``optional`` are the other columns the importer reads when they are there; every other column
    of the file is reported as ignored (``colonnes_ignorees`` of the dataset report). An importer
    that maps its columns itself passes ``optional=None`` and reports with ``note_ignored_columns``.
    """
    path = Path(path)
    required = [(c,) if isinstance(c, str) else tuple(c) for c in required]
    payload = open_payload(path)
    name = payload.name
    if payload.kind == "xlsx":
        frame, notes = _xlsx_frame(payload, required, sheet)
        name = notes.pop("_name")
    elif payload.kind != "text":
        raise ImportRejected.single(
            name, f"un tableau CSV ou XLSX est attendu, pas un fichier {payload.kind}"
        )
    else:
        frame, notes = _csv_frame(payload, required, sep, encodings)
    notes = {**payload.notes, **notes}
    del payload  # the file's bytes: the frame holds everything from here
    found = {names[0]: next(n for n in names if n in frame.columns) for names in required}
    frame = frame.rename(columns={actual: canonical for canonical, actual in found.items()})
    if optional is not None:
        note_ignored_columns(name, frame.columns, [*found, *optional])
    frame = frame[(frame.drop(columns="_line") != "").any(axis=1)] if len(frame.columns) > 1 else frame
    if len(frame) < min_rows:
        raise ImportRejected.single(
            name,
            "aucune ligne de données (fichier vide ou tronqué ?)",
            line=notes.get("_en_tete_ligne", 1) + 1,
        )
    _check_field_lengths(frame, name, found)
    filled = _restore_leading_zeros(frame, codes)
    if filled:
        notes["codes_completes_par_des_zeros"] = filled
    problems = _empty_or_duplicated(frame, name, found, not_empty, unique)
    if problems:
        raise ImportRejected(problems)
    note_reading(name, notes)
    frame.attrs["name"] = name
    frame.attrs["columns"] = found
    return frame


def _check_field_lengths(frame, name, found):
    """Refuses a value longer than MAX_FIELD_CHARS (an unclosed quote swallows lines)."""
    problems = []
    for column in frame.columns:
        if column == "_line":
            continue
        lengths = frame[column].str.len().to_numpy()
        for i in np.flatnonzero(lengths > MAX_FIELD_CHARS)[:5]:
            problems.append(
                Problem(
                    name,
                    int(frame["_line"].iat[i]),
                    found.get(column, str(column)),
                    f"valeur de {_n(int(lengths[i]))} caractères, au-delà de la limite de "
                    f"{_n(MAX_FIELD_CHARS)} (guillemet non fermé ou fichier corrompu ?)",
                )
            )
    if problems:
        raise ImportRejected(problems)


def _restore_leading_zeros(frame, codes) -> int:
    """INSEE codes a spreadsheet stripped of their leading zeros get them back; returns how many."""
    filled = 0
    widths = codes if isinstance(codes, dict) else dict.fromkeys(codes or [], 5)
    for column, width in widths.items():
        if column in frame.columns:
            short = frame[column].str.fullmatch(rf"\d{{1,{width - 1}}}")
            filled += int(short.sum())
            frame.loc[short, column] = frame.loc[short, column].str.zfill(width)
    return filled


def _empty_or_duplicated(frame, name, found, not_empty, unique) -> list:
    """Problems of the columns that must be filled and of the keys that must be unique."""
    problems = []
    for column in not_empty or []:
        empty = frame[frame[column] == ""]
        problems += [
            Problem(name, int(line), found.get(column, column), "valeur vide (ligne tronquée ?)")
            for line in empty["_line"][:20]
        ]
    if unique:
        keys = [unique] if isinstance(unique, str) else list(unique)
        dup = frame[frame.duplicated(keys, keep="first")]
        for _, row in dup.head(20).iterrows():
            same = (frame[keys] == row[keys]).all(axis=1)
            first = int(frame.loc[same, "_line"].iloc[0])
            value = " / ".join(row[k] for k in keys)
            problems.append(
                Problem(
                    name,
                    int(row["_line"]),
                    found.get(keys[0], keys[0]),
                    f"code en double « {value} » (déjà vu ligne {first})",
                )
            )
    return problems


def _csv_frame(payload: Payload, required, sep, encodings):
    name = payload.name
    text, encoding = sniff_text(name, payload.data, encodings)
    if not text.strip():
        raise ImportRejected.single(name, "fichier vide")
    _check_line_lengths(name, text)
    check_row_count(name, text)
    head = [line.rstrip("\r") for line in _head(text).split("\n")[:MAX_TITLE_LINES]]
    # pandas parses the bytes themselves (an io.StringIO of the text would hold it as 4 bytes per
    # character): the decoded text is only kept for the checks above.
    codec = PANDAS_CODECS.get(encoding)
    data = payload.data if codec else text.encode("utf-8")
    del text
    order = [sep] if sep else []
    order += [s for s in SEPARATORS if s != sep]
    index = None
    if required:
        best = (0, None, None)
        for separator in order:
            rows = [
                _cells(line, separator) if separator in line or len(required) == 1 else [] for line in head
            ]
            found, candidate = _find_header(rows, required)
            if found is not None:
                if index is None or found < index:
                    index, sep_found = found, separator
            elif candidate[0] > best[0]:
                best = candidate
        if index is None:
            raise _missing_columns(name, required, best, [_cells(head[0], _most_frequent(head[0], order))])
        sep = sep_found
    else:
        index = 0
        first = head[0]
        sep = sep if sep and sep in first else _most_frequent(first, order)
    try:
        frame = pd.read_csv(
            io.BytesIO(data),
            encoding=codec or "utf-8",
            sep=sep,
            skiprows=index,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise _parser_error(name, exc, index) from exc
    except pd.errors.EmptyDataError as exc:
        raise ImportRejected.single(name, "fichier vide") from exc
    frame.columns = [_header_name(c) for c in frame.columns]
    frame = frame.apply(lambda column: column.str.strip())
    frame["_line"] = np.arange(index + 2, index + 2 + len(frame))
    notes = {
        "format": "CSV",
        "encodage": encoding,
        "separateur": SEPARATOR_NAMES[sep],
        "_en_tete_ligne": index + 1,
    }
    if index:
        notes["lignes_de_titre_ignorees"] = index
    return frame, notes


# The encodings sniff_text names whose bytes pandas reads as they are (UTF-16 is re-encoded).
PANDAS_CODECS = {
    ENCODING_NAMES["utf-8"]: "utf-8",
    f"{ENCODING_NAMES['utf-8']} avec BOM": "utf-8-sig",
    ENCODING_NAMES["cp1252"]: "cp1252",
    ENCODING_NAMES["latin-1"]: "latin-1",
}


def _head(text: str) -> str:
    """The first MAX_TITLE_LINES lines of ``text`` (where the header is looked for), without
    copying the rest."""
    end = -1
    for _ in range(MAX_TITLE_LINES):
        end = text.find("\n", end + 1)
        if end < 0:
            return text
    return text[:end]


def _most_frequent(line: str, order) -> str:
    return max(order, key=line.count)


def _parser_error(name, exc, skipped):
    unclosed = re.search(r"EOF inside string starting at row (\d+)", str(exc))
    if unclosed:
        return ImportRejected.single(
            name,
            "guillemet ouvert jamais fermé : la valeur court jusqu’à la fin du fichier",
            line=int(unclosed.group(1)) + skipped + 1,
        )
    match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
    if match:
        expected, line, saw = map(int, match.groups())
        return ImportRejected.single(
            name,
            f"{saw} champs au lieu de {expected} (séparateur dans une valeur non protégée par des "
            "guillemets, ou lignes mélangées ?)",
            line=line + skipped,
        )
    return ImportRejected.single(name, f"structure CSV invalide ({exc})")


def _xlsx_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _xlsx_frame(payload: Payload, required, sheet):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = load_workbook(io.BytesIO(payload.data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise ImportRejected.single(payload.name, f"classeur XLSX illisible ({exc})") from exc
    try:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise ImportRejected.single(
                payload.name, f"feuille « {sheet} » absente ; feuilles : {', '.join(workbook.sheetnames)}"
            )
        sheets = [workbook[sheet]] if sheet is not None else workbook.worksheets
        best_overall = None
        for worksheet in sheets:
            # A sheet read as a table holds no more lines than a CSV would (MAX_TABLE_ROWS).
            limit = import_cap("MAX_TABLE_ROWS", MAX_TABLE_ROWS) + 1
            rows = capped_rows(payload.name, worksheet.iter_rows(values_only=True), limit=limit)
            head = []
            for row in rows:
                head.append([_header_name(_xlsx_text(v)) for v in row])
                if len(head) >= MAX_TITLE_LINES:
                    break
            index, best = _find_header(head, required) if required else (0, None)
            if index is None:
                if best_overall is None or best[0] > best_overall[1][0]:
                    best_overall = (worksheet.title, best, head)
                continue
            cells = head[index]
            body = head[index + 1 :] + [[_xlsx_text(v) for v in row] for row in rows]
            width = len(cells)
            data = [[_xlsx_text(v) if not isinstance(v, str) else v for v in row[:width]] for row in body]
            data = [row + [""] * (width - len(row)) for row in data]
            frame = pd.DataFrame(
                data, columns=[c or f"colonne_{i + 1}" for i, c in enumerate(cells)], dtype=str
            )
            frame = frame.apply(lambda column: column.str.strip())
            frame["_line"] = np.arange(index + 2, index + 2 + len(frame))
            notes = {
                "_name": f"{payload.name}, feuille « {worksheet.title} »",
                "format": "XLSX",
                "feuille": worksheet.title,
                "_en_tete_ligne": index + 1,
            }
            if index:
                notes["lignes_de_titre_ignorees"] = index
            return frame, notes
        title, best, head = best_overall
        raise _missing_columns(f"{payload.name}, feuille « {title} »", required, best, head)
    finally:
        workbook.close()
