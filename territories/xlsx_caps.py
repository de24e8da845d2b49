"""Caps on XLSX workbooks, which are zip archives of XML: a small upload could otherwise unfold
into gigabytes inside openpyxl (a decompression bomb), as gzip, xz and zip are refused in
``readers.open_payload``. Checked from the archive's directory before any XML is parsed (zipfile
never inflates a member beyond its declared size), then row by row while a sheet is read.

The shipped workbooks stay far below: the DREES APL workbook is 3.8 MB unfolding to 22.6 MB
(×6.8 at most per member), 36,000 rows."""

import io
import zipfile

from .importing import ImportRejected

MAX_XLSX_BYTES = 100 * 1024 * 1024  # the whole unfolded workbook
MAX_XLSX_RATIO = 100  # per member, above RATIO_FLOOR
RATIO_FLOOR = 4 * 1024 * 1024
MAX_XLSX_MEMBERS = 2_000
MAX_XLSX_ROWS = 1_048_576  # Excel's own limit
MAX_CELL_CHARS = 4_096  # as readers.MAX_FIELD_CHARS


def _mib(size: int) -> str:
    return f"{size / 2**20:.0f} Mio"


def check_xlsx(name: str, data: bytes) -> None:
    """Refuse (ImportRejected, in French) a workbook that would unfold beyond the caps."""
    try:
        members = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise ImportRejected.single(name, f"classeur XLSX illisible ({exc})") from exc
    if len(members) > MAX_XLSX_MEMBERS:
        raise ImportRejected.single(
            name, f"classeur XLSX refusé : {len(members)} parties, {MAX_XLSX_MEMBERS} au plus"
        )
    total = sum(member.file_size for member in members)
    if total > MAX_XLSX_BYTES:
        raise ImportRejected.single(
            name,
            f"classeur XLSX refusé : son contenu décompressé ferait {_mib(total)}, au-delà de la "
            f"limite de {_mib(MAX_XLSX_BYTES)} (enregistrez-le en CSV, éventuellement compressé)",
        )
    for member in members:
        if (
            member.file_size > RATIO_FLOOR
            and member.file_size / max(member.compress_size, 1) > MAX_XLSX_RATIO
        ):
            raise ImportRejected.single(
                name,
                f"classeur XLSX refusé : la partie « {member.filename} » se décompresse plus de "
                f"{MAX_XLSX_RATIO} fois (bombe de décompression ?)",
            )


def capped_rows(name: str, rows, start: int = 1):
    """The rows of a sheet (openpyxl ``values_only``), refused beyond MAX_XLSX_ROWS or at the first
    text cell longer than MAX_CELL_CHARS, naming its line."""
    for number, row in enumerate(rows, start=start):
        if number > MAX_XLSX_ROWS:
            raise ImportRejected.single(name, f"plus de {MAX_XLSX_ROWS:,} lignes".replace(",", "\u202f"))
        for value in row:
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                raise ImportRejected.single(
                    name,
                    f"cellule de {len(value)} caractères, au-delà de la limite de {MAX_CELL_CHARS} "
                    "(fichier corrompu ?)",
                    line=number,
                )
        yield row
