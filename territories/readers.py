"""The one reading layer of every importer: files as the producers publish them and as people
re-save them, every problem named by file, line (or object) and field.

* **Containers**, recognised by their content, not their name: gzip, xz, a zip holding one data
  file (or one Shapefile), XLSX workbooks. Decompression is streamed and capped (bombs).
* **Text**: UTF-8 (with or without BOM), UTF-16 (Excel « Texte Unicode »), Windows-1252 and
  Latin-1; a mix of encodings, a doubly encoded text or binary garbage is refused with its line.
* **Tables** (CSV or XLSX): the separator is sniffed (``,`` ``;`` tab ``|``), title lines above
  the header are skipped until the expected columns are found (and counted), over-long lines and
  fields are refused with their line and length, INSEE codes stripped of their leading zeros by a
  spreadsheet get them back.
* **Geometries** (GeoJSON, GeoPackage, Shapefile) through pyogrio, reprojected to WGS84 with pyproj
  from the declared CRS; metric coordinates without a declared CRS are refused with how to declare it.

What was done to read a file (encoding, separator, skipped lines, reprojection…) is recorded in the
dataset report (``lecture``) through :func:`territories.importing.note_reading`.
Every function here is linear in the size of its input.
"""

import csv
import dataclasses
import gzip
import io
import json
import lzma
import re
import tempfile
import unicodedata
import warnings
import zipfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from .importing import ImportRejected, Problem, capped_rows, check_xlsx, note_reading

# Decompression bombs: a compressed file is read as a stream, in chunks, and refused as soon as
# its content passes either cap (the shipped files expand at most ×15, to 25 MB).
MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 32 * 1024 * 1024  # below this size the ratio is not checked (small, very regular files)
CHUNK = 1024 * 1024

# No published line or field comes near these: a longer one is a corrupt or mis-cut file.
MAX_LINE_CHARS = 65_536
MAX_FIELD_CHARS = 4_096
# Title lines an INSEE or ARS file may carry above its header.
MAX_TITLE_LINES = 30
SEPARATORS = (",", ";", "\t", "|")
SEPARATOR_NAMES = {",": "virgule", ";": "point-virgule", "\t": "tabulation", "|": "barre verticale"}
TEXT_ENCODINGS = ("utf-8", "cp1252", "latin-1")
ENCODING_NAMES = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1 (ISO-8859-1)"}

# "Ã©" for "é": UTF-8 bytes read as Windows-1252 or Latin-1 then saved again as UTF-8.
MOJIBAKE = re.compile(
    "Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2013-\u203a\u2122]|Â[\u00a0-\u00bf]"
)
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]+")
_CONTROL = re.compile("[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_CONTROL_BYTE = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")

GZIP_MAGIC, XZ_MAGIC, ZIP_MAGIC = b"\x1f\x8b", b"\xfd7zXZ\x00", b"PK\x03\x04"
SQLITE_MAGIC = b"SQLite format 3\x00"
COMPRESSED_SUFFIXES = {".gz", ".xz", ".zip"}
SHAPEFILE_PARTS = {".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qmd"}


@dataclasses.dataclass
class Payload:
    """The content of a file once out of its container."""

    name: str  # shown in messages: "archive.zip › communes.csv"
    inner: str  # the data file's own name (its suffix says little: content decides)
    data: bytes
    kind: str  # "text", "xlsx", "gpkg", "shapefile"
    notes: dict = dataclasses.field(default_factory=dict)


def open_payload(path: Path) -> Payload:
    """Read a file, out of its gzip, xz or zip container; say what it holds."""
    path = Path(path)
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportRejected.single(name, f"fichier illisible ({exc.strerror or exc})") from exc
    notes = {}
    try:
        if raw.startswith(XZ_MAGIC):
            raw, notes["compression"] = _read_capped(name, len(raw), lzma.open(io.BytesIO(raw))), "xz"
        elif raw.startswith(GZIP_MAGIC):
            raw, notes["compression"] = _read_capped(name, len(raw), gzip.open(io.BytesIO(raw))), "gzip"
    except (EOFError, lzma.LZMAError, gzip.BadGzipFile, OSError, zlib.error) as exc:
        raise ImportRejected.single(name, f"fichier compressé illisible ou tronqué ({exc})") from exc
    inner = _strip_compression(name)
    if raw.startswith(ZIP_MAGIC):
        try:
            archive = zipfile.ZipFile(io.BytesIO(raw))
            members = [m for m in archive.infolist() if not _is_noise(m.filename)]
            names = {m.filename for m in members}
            if "xl/workbook.xml" in names:
                check_xlsx(name, raw)
                return Payload(name, inner, raw, "xlsx", {**notes, "format": "XLSX"})
            shapefiles = [m for m in members if m.filename.lower().endswith(".shp")]
            if len(shapefiles) == 1 and all(
                Path(m.filename).suffix.lower() in SHAPEFILE_PARTS for m in members
            ):
                return Payload(
                    name, shapefiles[0].filename, raw, "shapefile", {**notes, "format": "Shapefile (zip)"}
                )
            if len(members) != 1:
                listed = ", ".join(m.filename for m in members[:10]) or "aucun"
                raise ImportRejected.single(
                    name,
                    f"l’archive zip doit contenir un seul fichier de données ; elle en contient "
                    f"{len(members)} ({listed})",
                )
            member = members[0]
            notes["compression"] = "zip"
            inner = Path(member.filename).name
            raw = _read_capped(name, max(member.compress_size, 1), archive.open(member))
            name = f"{name} › {inner}"
        except (zipfile.BadZipFile, EOFError, OSError, zlib.error) as exc:
            raise ImportRejected.single(name, f"archive zip illisible ou tronquée ({exc})") from exc
        if raw.startswith(ZIP_MAGIC) and b"xl/workbook.xml" in raw[:65536] + raw[-65536:]:
            check_xlsx(name, raw)
            return Payload(name, inner, raw, "xlsx", {**notes, "format": "XLSX"})
    if raw.startswith(SQLITE_MAGIC):
        return Payload(name, inner, raw, "gpkg", {**notes, "format": "GeoPackage"})
    return Payload(name, inner, raw, "text", notes)


def _is_noise(member: str) -> bool:
    parts = Path(member).parts
    return member.endswith("/") or any(p == "__MACOSX" or p.startswith(".") for p in parts)


def _strip_compression(name: str) -> str:
    path = Path(name)
    return path.stem if path.suffix.lower() in COMPRESSED_SUFFIXES else name


def _read_capped(name: str, compressed: int, stream) -> bytes:
    compressed = max(compressed, 1)
    parts, total = [], 0
    with stream:
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if total > MAX_DECOMPRESSED_BYTES:
                raise ImportRejected.single(
                    name,
                    f"fichier compressé refusé : son contenu dépasse {MAX_DECOMPRESSED_BYTES // 2**20} Mio "
                    "une fois décompressé",
                )
            if total > RATIO_FLOOR and total / compressed > MAX_RATIO:
                raise ImportRejected.single(
                    name,
                    f"fichier compressé refusé : taux de compression supérieur à {MAX_RATIO} "
                    "(archive piégée ou fichier anormal)",
                )
            parts.append(chunk)
    return b"".join(parts)


def _n(number) -> str:
    """A count as French readers write it: 65 536."""
    return f"{number:,}".replace(",", "\u202f")


def read_bytes(path: Path) -> bytes:
    """The content of a file, out of its container (gzip, xz, zip of one file)."""
    return open_payload(path).data


# --- Text ---------------------------------------------------------------------------------------


def sniff_text(name: str, raw: bytes, encodings=TEXT_ENCODINGS) -> tuple[str, str]:
    """Decode ``raw``: returns (text, encoding name). Refuses binary data, a mix of encodings and
    doubly encoded text, naming the line."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text, encoding = raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise ImportRejected.single(name, f"encodage UTF-16 invalide ({exc.reason})") from exc
    else:
        control = _CONTROL_BYTE.search(raw)
        if control is not None:
            raise ImportRejected.single(
                name,
                f"fichier binaire ou corrompu : octet de contrôle {control.group()!r} (un fichier texte est "
                "attendu)",
                line=raw[: control.start()].count(b"\n") + 1,
            )
        text = encoding = None
        for candidate in encodings:
            try:
                text = raw.decode(candidate)
            except UnicodeDecodeError as exc:
                if candidate == "utf-8" and _UTF8_SEQUENCE.search(raw[: exc.start]):
                    # Valid UTF-8 accents before an invalid byte: two encodings in one file.
                    line = raw[: exc.start].count(b"\n") + 1
                    raise ImportRejected.single(
                        name,
                        f"encodage mixte : octet {raw[exc.start : exc.start + 1]!r} invalide en UTF-8 alors "
                        "que le début du fichier est en UTF-8 (fichier assemblé de morceaux d’encodages "
                        "différents ?)",
                        line=line,
                    ) from exc
                error = exc
                continue
            encoding = ENCODING_NAMES.get(candidate, candidate)
            if text.startswith("\ufeff"):
                text, encoding = text[1:], f"{encoding} avec BOM"
            break
        if text is None:
            line = raw[: error.start].count(b"\n") + 1
            raise ImportRejected.single(
                name,
                f"encodage invalide : octet {raw[error.start : error.start + 1]!r} non valide en "
                f"{' / '.join(ENCODING_NAMES.get(e, e) for e in encodings)}",
                line=line,
            )
    control = _CONTROL.search(text)
    if control is not None:
        line = text[: control.start()].count("\n") + 1
        raise ImportRejected.single(
            name,
            f"fichier binaire ou corrompu : caractère de contrôle U+{ord(control.group()):04X} "
            "(un fichier texte est attendu)",
            line=line,
        )
    if (match := MOJIBAKE.search(text)) is not None:
        raise ImportRejected.single(
            name,
            f"encodage incorrect : texte doublement encodé (« {match.group()} » pour un caractère accentué)",
            line=text[: match.start()].count("\n") + 1,
        )
    return text, encoding


def decode_text(path: Path, raw: bytes, encodings=TEXT_ENCODINGS) -> str:
    """Decode a text file (see :func:`sniff_text`)."""
    return sniff_text(Path(path).name, raw, encodings)[0]


def _check_line_lengths(name: str, text: str) -> None:
    start, line = 0, 1
    length = len(text)
    while start < length:
        end = text.find("\n", start)
        end = length if end < 0 else end
        if end - start > MAX_LINE_CHARS:
            raise ImportRejected.single(
                name,
                f"ligne de {_n(end - start)} caractères, au-delà de la limite de {_n(MAX_LINE_CHARS)} "
                "(fichier corrompu, ou sans fins de ligne ?)",
                line=line,
            )
        start, line = end + 1, line + 1


# --- Tables -------------------------------------------------------------------------------------


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
    found = {names[0]: next(n for n in names if n in frame.columns) for names in required}
    frame = frame.rename(columns={actual: canonical for canonical, actual in found.items()})
    frame = frame[(frame.drop(columns="_line") != "").any(axis=1)] if len(frame.columns) > 1 else frame
    if len(frame) < min_rows:
        raise ImportRejected.single(
            name,
            "aucune ligne de données (fichier vide ou tronqué ?)",
            line=notes.get("_en_tete_ligne", 1) + 1,
        )
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
    filled = 0
    widths = codes if isinstance(codes, dict) else dict.fromkeys(codes or [], 5)
    for column, width in widths.items():
        if column in frame.columns:
            short = frame[column].str.fullmatch(rf"\d{{1,{width - 1}}}")
            filled += int(short.sum())
            frame.loc[short, column] = frame.loc[short, column].str.zfill(width)
    if filled:
        notes["codes_completes_par_des_zeros"] = filled
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
    if problems:
        raise ImportRejected(problems)
    note_reading(name, notes)
    frame.attrs["name"] = name
    frame.attrs["columns"] = found
    return frame


def _csv_frame(payload: Payload, required, sep, encodings):
    name = payload.name
    text, encoding = sniff_text(name, payload.data, encodings)
    if not text.strip():
        raise ImportRejected.single(name, "fichier vide")
    _check_line_lengths(name, text)
    head = [line.rstrip("\r") for line in text.split("\n", MAX_TITLE_LINES)[:MAX_TITLE_LINES]]
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
            io.StringIO(text),
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
            rows = capped_rows(payload.name, worksheet.iter_rows(values_only=True))
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


# --- Numbers ------------------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def parse_numbers(
    name: str,
    frame: pd.DataFrame,
    column: str,
    *,
    integer: bool = False,
    minimum: float | None = None,
    maximum: float | None = None,
    allow_empty: bool = False,
    expected: str = "nombre attendu",
) -> tuple[np.ndarray, list[Problem]]:
    """Parse a column of numbers written as producers and spreadsheets do (``1 234,5``, ``1234.5``);
    returns the values (NaN where empty) and a problem per bad value with its line and value."""
    raw = frame[column].astype(str)
    cleaned = raw.str.replace("\u202f", "", regex=False).str.replace("\u00a0", "", regex=False)
    cleaned = cleaned.str.replace(" ", "", regex=False)
    empty = cleaned == ""
    valid = cleaned.str.fullmatch(_NUMBER.pattern) | empty
    values = pd.to_numeric(cleaned.where(valid & ~empty).str.replace(",", ".", regex=False), errors="coerce")
    values = values.to_numpy(dtype=float)
    bad = ~valid.to_numpy()
    reasons = np.full(len(frame), "", dtype=object)
    reasons[bad] = expected
    if not allow_empty:
        reasons[empty.to_numpy()] = "valeur vide"
    finite = ~np.isnan(values)
    if integer:
        reasons[finite & (values % 1 != 0) & (reasons == "")] = "nombre entier attendu"
    if minimum is not None:
        reasons[finite & (values < minimum) & (reasons == "")] = f"doit être supérieur ou égal à {minimum:g}"
    if maximum is not None:
        reasons[finite & (values > maximum) & (reasons == "")] = f"doit être inférieur ou égal à {maximum:g}"
    problems = [
        Problem(name, int(frame["_line"].iat[i]), column, f"{reasons[i]}, lu « {raw.iat[i][:40]} »")
        for i in np.flatnonzero(reasons != "")[:20]
    ]
    return values, problems


def parse_count(name: str, code: str, field: str, value, index: int) -> tuple[int | None, Problem | None]:
    """An integer count from a JSON entry (population…): None when absent, a problem when invalid."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None, Problem(
            name, None, field, f"entrée n° {index} ({code}) : nombre attendu, lu « {value!r} »"
        )
    text = str(value).replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return None, Problem(
            name, None, field, f"entrée n° {index} ({code}) : nombre attendu, lu « {value} »"
        )
    if not number.is_integer() or number < 0 or number > 1e8:
        return None, Problem(
            name, None, field, f"entrée n° {index} ({code}) : entier positif attendu, lu « {value} »"
        )
    return int(number), None


# --- JSON ---------------------------------------------------------------------------------------


def read_json_array(path: Path) -> list[dict]:
    path = Path(path)
    payload = open_payload(path)
    if payload.kind != "text":
        raise ImportRejected.single(
            payload.name, "une liste JSON d’objets est attendue (fichier non textuel)"
        )
    text, encoding = sniff_text(payload.name, payload.data)
    if not text.strip():
        raise ImportRejected.single(payload.name, "fichier vide")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected.single(
            payload.name, f"JSON invalide ou tronqué : {exc.msg}", line=exc.lineno
        ) from exc
    if not isinstance(data, list):
        raise ImportRejected.single(payload.name, "une liste JSON d’objets est attendue")
    note_reading(payload.name, {**payload.notes, "format": "JSON", "encodage": encoding})
    return data


def check_entries(path: Path, entries: list[dict], required: list[str], key: str = "code") -> None:
    """Check required keys and duplicate codes in a JSON list (entry numbers are 1-based)."""
    problems, seen = [], {}
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(Problem(Path(path).name, None, None, f"entrée n° {index} : objet attendu"))
            continue
        for field in required:
            value = entry.get(field)
            if value not in (None, "") and not isinstance(value, str | list):
                problems.append(
                    Problem(
                        Path(path).name,
                        None,
                        field,
                        f"entrée n° {index} ({str(entry.get(key, '?'))[:20]}) : texte attendu, "
                        f"lu « {repr(value)[:40]} »",
                    )
                )
            if value in (None, ""):
                problems.append(
                    Problem(
                        Path(path).name,
                        None,
                        field,
                        f"entrée n° {index} ({entry.get(key, '?')}) : valeur manquante",
                    )
                )
            elif isinstance(entry.get(field), str) and len(entry[field]) > MAX_FIELD_CHARS:
                problems.append(
                    Problem(
                        Path(path).name,
                        None,
                        field,
                        f"entrée n° {index} ({str(entry.get(key, '?'))[:20]}) : valeur de "
                        f"{_n(len(entry[field]))} caractères, au-delà de la limite de {_n(MAX_FIELD_CHARS)}",
                    )
                )
        code = entry.get(key)
        if code in seen:
            problems.append(
                Problem(
                    Path(path).name,
                    None,
                    key,
                    f"entrée n° {index} : code en double « {code} » (déjà vu entrée n° {seen[code]})",
                )
            )
        if isinstance(code, str | int):
            seen.setdefault(code, index)
        if len(problems) >= 30:
            break
    if problems:
        raise ImportRejected(problems)


# --- Geometries ---------------------------------------------------------------------------------

WGS84_EPSG = 4326


def _gpkg_to_geojson(name: str, source: Path) -> Path:
    """A GeoPackage is an SQLite file: GDAL's SQLite must not run beside the SpatiaLite already
    loaded in this process (the embedded default), they crash each other. A child process converts
    it to GeoJSON (with its CRS), read here like any GeoJSON."""
    import subprocess
    import sys

    target = source.with_suffix(".geojson")
    script = (
        "import sys, warnings, pyogrio; warnings.simplefilter('ignore'); "
        "pyogrio.write_dataframe(pyogrio.read_dataframe(sys.argv[1]), sys.argv[2], driver='GeoJSON')"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(source), str(target)], capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["erreur inconnue"])[-1]
        last = re.sub(r"^[\w.]*(Error|Exception): ", "", last)  # the reason, not the class
        last = last.rsplit("; ", 1)[-1] if "failed: " in last else last
        raise ImportRejected.single(name, f"GeoPackage illisible ou tronqué ({last[:300]})")
    return target


def _declares_crs(name: str, text: str) -> bool:
    """Whether a GeoJSON text carries a top-level « crs » member (parsed, not searched)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected.single(
            name, f"GeoJSON illisible ou tronqué : {exc.msg}", line=exc.lineno
        ) from exc
    return isinstance(data, dict) and isinstance(data.get("crs"), dict)


def read_geo(path: Path, *, required: list[str]):
    """Read a vector file (GeoJSON, GeoPackage, zipped Shapefile) into a GeoDataFrame in WGS84.

    The declared CRS is honoured (reprojected with pyproj); metric coordinates with no declared
    CRS are refused with how to declare it. ``required`` attributes must be present.
    """
    import pyogrio

    payload = open_payload(Path(path))
    name = payload.name
    notes = dict(payload.notes)
    declared_crs = True
    try:
        with tempfile.TemporaryDirectory() as directory:
            if payload.kind == "shapefile":
                archive = zipfile.ZipFile(io.BytesIO(payload.data))
                declared = sum(member.file_size for member in archive.infolist())
                if declared > MAX_DECOMPRESSED_BYTES or declared > MAX_RATIO * max(
                    len(payload.data), RATIO_FLOOR
                ):
                    raise ImportRejected.single(
                        name,
                        "archive refusée : son contenu décompressé dépasse les limites (archive piégée ?)",
                    )
                archive.extractall(directory)  # member paths are sanitised by zipfile
                source = Path(directory) / payload.inner
            else:
                suffix = {"gpkg": ".gpkg", "text": ".geojson"}.get(payload.kind, ".dat")
                data = payload.data
                if payload.kind == "text":
                    text, encoding = sniff_text(name, payload.data)
                    notes.update(format="GeoJSON", encodage=encoding)
                    declared_crs = _declares_crs(name, text)
                    data = text.encode("utf-8")
                else:
                    notes.setdefault("format", "GeoPackage")
                source = Path(directory) / f"data{suffix}"
                source.write_bytes(data)
                if payload.kind == "gpkg":
                    source = _gpkg_to_geojson(name, source)
            with warnings.catch_warnings():  # GDAL's warnings on broken files: the refusal says it
                warnings.simplefilter("ignore")
                frame = pyogrio.read_dataframe(source)
    except ImportRejected:
        raise
    except Exception as exc:  # pyogrio raises DataSourceError & co for truncated or invalid files
        raise ImportRejected.single(name, f"fichier géographique illisible ou tronqué ({exc})") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ImportRejected.single(
            name,
            f"propriété(s) « {', '.join(missing)} » manquante(s) dans les objets ; propriétés trouvées : "
            f"{', '.join(c for c in frame.columns if c != 'geometry')[:200] or 'aucune'}",
        )
    declared = frame.crs.to_epsg() if frame.crs is not None else None
    bounds = frame.total_bounds if len(frame) else np.zeros(4)
    # Degrees never pass a few hundred: beyond 1,000 the coordinates are metres (or feet). A few
    # objects out of the WGS84 bounds are refused one by one by the importer, not here.
    in_degrees = bool(np.all(np.abs(bounds) <= 1000))
    # GDAL guesses Lambert-93 for metric GeoJSON without a « crs » member: a guess is not a declaration.
    if (declared in (None, WGS84_EPSG) or not declared_crs) and not in_degrees:
        raise ImportRejected.single(
            name,
            f"coordonnées métriques (jusqu’à x = {_n(round(bounds[2]))}, y = {_n(round(bounds[3]))}) "
            "sans système de coordonnées déclaré : déclarez-le (GeoJSON : membre « crs », par exemple "
            '{"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}} pour le '
            "Lambert-93 ; ou livrez un GeoPackage ou un Shapefile avec son .prj), ou reprojetez en WGS84 "
            "(EPSG:4326)",
        )
    if frame.crs is not None and declared != WGS84_EPSG:
        shown = f"EPSG:{declared}" if declared else frame.crs.name
        try:
            frame = frame.to_crs(WGS84_EPSG)
        except Exception as exc:  # noqa: BLE001 — pyproj errors are many; the message says which CRS
            raise ImportRejected.single(name, f"reprojection impossible depuis {shown} ({exc})") from exc
        notes["reprojete_depuis"] = shown
        frame.attrs["reprojected"] = shown
    for column in required:
        frame[column] = frame[column].astype(str).str.strip()
    note_reading(name, notes)
    frame.attrs["name"] = name
    return frame
