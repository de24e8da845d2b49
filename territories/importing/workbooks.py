"""XLSX workbooks read whole sheets at a time, fast: the sheet is parsed by calamine (Rust) instead
of openpyxl (35,000 rows × 10 columns in ~0.3 s instead of ~10 s, the shared strings table
included), within the caps of the reading layer.

* the container: the file is read through :func:`territories.importing.files.open_payload`
  (gzip / xz / zip of one file, capped), which checks the workbook's parts against the XLSX caps
  (:func:`territories.importing.contract.check_xlsx`: total unfolded size, ratio per part, number
  of parts) before anything is inflated;
* the rows: at most ``MAX_XLSX_ROWS`` rows per sheet;
* the cells: a text longer than ``MAX_CELL_CHARS`` is refused with its line and column.

Cells come back as openpyxl's ``values_only`` rows did: ``None`` for an empty cell, numbers as
int (a whole number) or float, text as str, dates as ``datetime``; rows are tuples, line 1 is the
sheet's row 1.
"""

import contextlib
import contextvars
import io
from pathlib import Path

from territories.importing import contract
from territories.importing.contract import ImportRejected, Problem
from territories.importing.files import _n, open_payload


class Workbook:
    """An opened workbook: its sheet names and the rows of one sheet."""

    def __init__(self, name: str, book):
        self.name, self._book = name, book
        self.sheetnames = list(book.sheet_names)
        self._rows = {}

    def rows(self, sheet: str) -> list[tuple]:
        """Every row of ``sheet`` (from row 1), empty cells as None; refuses a sheet over the caps.
        A sheet is parsed once per opened workbook (a new list of the same rows each call)."""
        if sheet not in self._rows:
            self._rows[sheet] = self._read(sheet)
        return list(self._rows[sheet])

    def _read(self, sheet: str) -> list[tuple]:
        from python_calamine import CalamineError

        if sheet not in self.sheetnames:
            raise ImportRejected.single(
                self.name, f"feuille « {sheet} » absente (feuilles : {', '.join(self.sheetnames)})"
            )
        try:
            raw = self._book.get_sheet_by_name(sheet).to_python(skip_empty_area=False)
        except (CalamineError, ValueError, OSError) as exc:
            raise ImportRejected.single(
                f"{self.name}, feuille « {sheet} »", f"feuille illisible ({_reason(exc)})"
            ) from exc
        cap = contract.import_cap("MAX_XLSX_ROWS", contract.MAX_XLSX_ROWS)
        if len(raw) > cap:
            raise ImportRejected.single(
                f"{self.name}, feuille « {sheet} »",
                f"{_n(len(raw))} lignes, au-delà de la limite de {_n(cap)} (réglage IMPORT_MAX_XLSX_ROWS)",
            )
        return [_row(self.name, sheet, number, row) for number, row in enumerate(raw, start=1)]


def _row(name, sheet, number, row) -> tuple:
    out = []
    for column, value in enumerate(row):
        if value == "":
            value = None
        elif type(value) is float and value.is_integer() and abs(value) < 2**53:
            value = int(value)  # as openpyxl reads « 806 »
        elif isinstance(value, str) and len(value) > contract.MAX_CELL_CHARS:
            raise ImportRejected(
                [
                    Problem(
                        f"{name}, feuille « {sheet} »",
                        number,
                        _column_letter(column),
                        f"cellule de {_n(len(value))} caractères, au-delà de la limite de "
                        f"{_n(contract.MAX_CELL_CHARS)} (fichier corrompu ?)",
                    )
                ]
            )
        out.append(value)
    return tuple(out)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return f"colonne {letters}"


def _reason(exc) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


# Inside ``reusing_workbooks()``, the last workbook opened, by its path and file identity (inode,
# size, modification time): the importers of one workbook (the DREES APL of two millésimes, then
# its age weights) read and parse it once. A file changed in between has another identity and is
# read again. Outside, nothing is kept (a worker does not hold a workbook between two uploads).
_last_opened = contextvars.ContextVar("last_opened_workbook", default=None)


@contextlib.contextmanager
def reusing_workbooks():
    token = _last_opened.set({})
    try:
        yield
    finally:
        _last_opened.reset(token)


def open_workbook(path: Path) -> Workbook:
    """Open an XLSX workbook (possibly inside a gzip, xz or zip container) within the caps; refuses
    anything else with a French message naming the file."""
    path = Path(path)
    if not path.exists():
        raise ImportRejected.single(path.name, "fichier introuvable")
    kept = _last_opened.get()
    if kept is None:
        return _open_workbook(path)
    stat = path.stat()
    identity = (str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns)
    if identity not in kept:
        workbook = _open_workbook(path)
        kept.clear()
        kept[identity] = workbook
    return kept[identity]


def _open_workbook(path: Path) -> Workbook:
    from python_calamine import CalamineError, CalamineWorkbook

    payload = open_payload(path)
    if payload.kind != "xlsx":
        raise ImportRejected.single(payload.name, "fichier illisible : ce n’est pas un classeur Excel .xlsx")
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(payload.data))
    except (CalamineError, ValueError, OSError) as exc:
        raise ImportRejected.single(
            payload.name, f"fichier illisible : ce n’est pas un classeur Excel .xlsx ({_reason(exc)})"
        ) from exc
    return Workbook(payload.name, book)
