"""Validated readers for the open-data layouts: every problem names file, line and field.

Codes are always read as ``str`` (leading zeros matter: 01001, 2A004). Compressed files
(.gz, .xz) are read transparently.
"""

import gzip
import io
import json
import lzma
from pathlib import Path

import pandas as pd

from .importing import ImportRejected, Problem

# Decompression bombs: a compressed file is read as a stream, in chunks, and refused as soon as
# its content passes either cap (the shipped files expand at most ×15, to 25 MB).
MAX_DECOMPRESSED_BYTES = 512 * 1024 * 1024
MAX_RATIO = 100
RATIO_FLOOR = 32 * 1024 * 1024  # below this size the ratio is not checked (small, very regular files)
CHUNK = 1024 * 1024


def read_bytes(path: Path) -> bytes:
    path = Path(path)
    try:
        if path.suffix == ".xz":
            return _read_capped(path, lzma.open(path))
        if path.suffix == ".gz":
            return _read_capped(path, gzip.open(path))
        return path.read_bytes()
    except (EOFError, lzma.LZMAError, gzip.BadGzipFile, OSError) as exc:
        raise ImportRejected.single(path.name, f"fichier compressé illisible ou tronqué ({exc})") from exc


def _read_capped(path: Path, stream) -> bytes:
    compressed = max(path.stat().st_size, 1)
    parts, total = [], 0
    with stream:
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if total > MAX_DECOMPRESSED_BYTES:
                raise ImportRejected.single(
                    path.name,
                    f"fichier compressé refusé : son contenu dépasse {MAX_DECOMPRESSED_BYTES // 2**20} Mio "
                    "une fois décompressé",
                )
            if total > RATIO_FLOOR and total / compressed > MAX_RATIO:
                raise ImportRejected.single(
                    path.name,
                    f"fichier compressé refusé : taux de compression supérieur à {MAX_RATIO} "
                    "(archive piégée ou fichier anormal)",
                )
            parts.append(chunk)
    return b"".join(parts)


def decode_text(path: Path, raw: bytes, encodings=("utf-8",)) -> str:
    """Decode with the first encoding that works; otherwise name the line of the first bad byte."""
    for encoding in encodings:
        try:
            text = raw.decode(encoding)
            return text.removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            error = exc
    line = raw[: error.start].count(b"\n") + 1
    raise ImportRejected.single(
        Path(path).name,
        f"encodage invalide : octet {raw[error.start : error.start + 1]!r} non valide en "
        f"{' / '.join(encodings)}",
        line=line,
    )


def read_csv(
    path: Path,
    *,
    required: list[str],
    sep: str = ",",
    encodings=("utf-8",),
    unique: str | list[str] | None = None,
    not_empty: list[str] | None = None,
    min_rows: int = 1,
) -> pd.DataFrame:
    """Read a delimited file as strings; check columns, emptiness and uniqueness.

    The returned frame has a ``_line`` column with the physical line number (header = line 1).
    A file with fewer than ``min_rows`` data rows (a header alone: truncated) is refused.
    """
    path = Path(path)
    name = path.name
    text = decode_text(path, read_bytes(path), encodings)
    if not text.strip():
        raise ImportRejected.single(name, "fichier vide")
    header = text.split("\n", 1)[0]
    if sep not in header:
        other = next((s for s in (";", ",", "\t", "|") if s != sep and s in header), None)
        hint = f" (le fichier semble séparé par « {other} »)" if other else ""
        raise ImportRejected.single(name, f"séparateur attendu « {sep} » absent de l’en-tête{hint}", line=1)
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False, na_filter=False)
    except pd.errors.ParserError as exc:
        raise ImportRejected.single(name, f"structure CSV invalide ({exc})") from exc
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise ImportRejected.single(
            name,
            f"colonne(s) manquante(s) : {', '.join(missing)} ; colonnes trouvées : "
            f"{', '.join(map(str, frame.columns[:15]))}",
            line=1,
        )
    frame["_line"] = range(2, len(frame) + 2)
    # Rows made only of separators (",,,,") are blank lines, not data.
    frame = frame[(frame.drop(columns="_line") != "").any(axis=1)]
    if len(frame) < min_rows:
        raise ImportRejected.single(name, "aucune ligne de données (fichier vide ou tronqué ?)", line=2)
    problems = []
    for column in not_empty or []:
        empty = frame[frame[column].str.strip() == ""]
        problems += [
            Problem(name, int(line), column, "valeur vide (ligne tronquée ?)") for line in empty["_line"][:20]
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
                    name, int(row["_line"]), keys[0], f"code en double « {value} » (déjà vu ligne {first})"
                )
            )
    if problems:
        raise ImportRejected(problems)
    return frame


def read_json_array(path: Path) -> list[dict]:
    path = Path(path)
    text = decode_text(path, read_bytes(path))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ImportRejected.single(
            path.name, f"JSON invalide ou tronqué : {exc.msg}", line=exc.lineno
        ) from exc
    if not isinstance(data, list):
        raise ImportRejected.single(path.name, "une liste JSON d’objets est attendue")
    return data


def check_entries(path: Path, entries: list[dict], required: list[str], key: str = "code") -> None:
    """Check required keys and duplicate codes in a JSON list (entry numbers are 1-based)."""
    problems, seen = [], {}
    for index, entry in enumerate(entries, start=1):
        if not isinstance(entry, dict):
            problems.append(Problem(Path(path).name, None, None, f"entrée n° {index} : objet attendu"))
            continue
        for field in required:
            if entry.get(field) in (None, ""):
                problems.append(
                    Problem(
                        Path(path).name,
                        None,
                        field,
                        f"entrée n° {index} ({entry.get(key, '?')}) : valeur manquante",
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
        seen.setdefault(code, index)
        if len(problems) >= 30:
            break
    if problems:
        raise ImportRejected(problems)
