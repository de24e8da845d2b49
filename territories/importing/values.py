"""Numbers (French or English decimal marks) and JSON arrays of records, checked field by field."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd

from territories.importing.contract import ImportRejected, Problem, note_ignored_columns, note_reading
from territories.importing.files import MAX_FIELD_CHARS, _n, open_payload, sniff_text

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


def note_ignored_keys(path: Path, entries: list, used) -> list[str]:
    """The keys of the objects of a JSON list that the import does not read, reported as ignored
    (``colonnes_ignorees``), in their order of first appearance."""
    keys = {}
    for entry in entries:
        if isinstance(entry, dict):
            keys.update(dict.fromkeys(entry))
    return note_ignored_columns(Path(path).name, keys, used)


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
