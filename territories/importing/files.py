"""Opening a file as its producer published it or as someone re-saved it: compressed (gz, xz, zip)
within limits against bombs, its kind sniffed, its text decoded (encoding guessed, mojibake and
control characters refused).
"""

import dataclasses
import gzip
import io
import lzma
import re
import zipfile
import zlib
from pathlib import Path

from territories.importing.contract import ImportRejected, _mib, check_xlsx, import_cap

# What a file may hold once out of its container, plain files included: a compressed file is read
# as a stream, in chunks, and refused as soon as its content passes the cap or the ratio (bombs); a
# plain file is refused from its size, before it is read. Sized on memory: a table costs up to
# five times its text while it is read (bytes, text, parsed frame), so the largest accepted file
# stays a few hundred MB above the worker's own (README, « Import caps and memory »). The largest
# real files: 25 MB (the outlines, xz), 8 MB (the table d'appartenance, gzip), a national FINESS
# extract about 50 MB. Settings: IMPORT_MAX_DECOMPRESSED_BYTES, IMPORT_MAX_TABLE_ROWS.
MAX_DECOMPRESSED_BYTES = 96 * 1024 * 1024


# Physical lines of a text table (a CSV, a FINESS extract), counted before any row is parsed: a
# parsed row costs hundreds of bytes whatever its length. The largest real table has 35,000 rows.
MAX_TABLE_ROWS = 500_000


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


SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC, XZ_MAGIC, ZIP_MAGIC = b"\x1f\x8b", b"\xfd7zXZ\x00", b"PK\x03\x04"


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
    """Read a file, out of its gzip, xz or zip container, within the caps; say what it holds."""
    path = Path(path)
    name = path.name
    cap = import_cap("MAX_DECOMPRESSED_BYTES", MAX_DECOMPRESSED_BYTES)
    try:
        size = path.stat().st_size
        with open(path, "rb") as handle:
            magic = handle.read(len(XZ_MAGIC))
    except OSError as exc:
        raise ImportRejected.single(name, f"fichier illisible ({exc.strerror or exc})") from exc
    notes = {}
    try:
        if magic.startswith(XZ_MAGIC):
            raw, notes["compression"] = _read_capped(name, size, lzma.open(path), cap), "xz"
        elif magic.startswith(GZIP_MAGIC):
            raw, notes["compression"] = _read_capped(name, size, gzip.open(path), cap), "gzip"
        elif size > cap:
            raise ImportRejected.single(
                name,
                f"fichier refusé : {_mib(size)}, au-delà de la limite de {_mib(cap)} fixée pour que "
                f"l’import tienne en mémoire ({TOO_BIG_HINT})",
            )
        else:
            raw = path.read_bytes()
    except (EOFError, lzma.LZMAError, gzip.BadGzipFile, OSError, zlib.error) as exc:
        raise ImportRejected.single(name, f"fichier compressé illisible ou tronqué ({exc})") from exc
    inner = _strip_compression(name)
    if raw.startswith(ZIP_MAGIC):
        return _open_zip(name, inner, raw, notes, cap)
    if raw.startswith(SQLITE_MAGIC):
        return Payload(name, inner, raw, "gpkg", {**notes, "format": "GeoPackage"})
    return Payload(name, inner, raw, "text", notes)


def _open_zip(name: str, inner: str, raw: bytes, notes: dict, cap: int) -> Payload:
    """A zip: an XLSX workbook, a zipped Shapefile, or one data file read out of it within ``cap``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
        members = [m for m in archive.infolist() if not _is_noise(m.filename)]
        names = {m.filename for m in members}
        if "xl/workbook.xml" in names:
            check_xlsx(name, raw)
            return Payload(name, inner, raw, "xlsx", {**notes, "format": "XLSX"})
        shapefiles = [m for m in members if m.filename.lower().endswith(".shp")]
        if len(shapefiles) == 1 and all(Path(m.filename).suffix.lower() in SHAPEFILE_PARTS for m in members):
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
        if member.file_size > cap:  # declared: refused before anything is inflated
            raise _too_big(f"{name} › {inner}", cap)
        raw = _read_capped(f"{name} › {inner}", max(member.compress_size, 1), archive.open(member), cap)
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


TOO_BIG_HINT = (
    "réglage IMPORT_MAX_DECOMPRESSED_BYTES ; retirez du fichier les colonnes et les lignes que l’import "
    "ne lit pas"
)


def _too_big(name: str, cap: int) -> ImportRejected:
    return ImportRejected.single(
        name,
        f"fichier compressé refusé : son contenu dépasse {_mib(cap)} une fois décompressé, limite fixée "
        f"pour que l’import tienne en mémoire ({TOO_BIG_HINT})",
    )


def _read_capped(name: str, compressed: int, stream, cap: int) -> bytes:
    """The content of ``stream``, read in chunks and refused as soon as it passes ``cap`` or
    ``MAX_RATIO`` times the ``compressed`` size (past ``RATIO_FLOOR``): never more than ``cap``
    plus one chunk in memory, and no second copy (a BytesIO hands its buffer over)."""
    compressed = max(compressed, 1)
    total, buffer = 0, io.BytesIO()
    with stream:
        while chunk := stream.read(CHUNK):
            total += len(chunk)
            if total > cap:
                raise _too_big(name, cap)
            if total > RATIO_FLOOR and total / compressed > MAX_RATIO:
                raise ImportRejected.single(
                    name,
                    f"fichier compressé refusé : taux de compression supérieur à {MAX_RATIO} "
                    "(archive piégée ou fichier anormal)",
                )
            buffer.write(chunk)
    return buffer.getvalue()


def check_row_count(name: str, text: str) -> None:
    """Refuses a text table of more than MAX_TABLE_ROWS lines before any row is parsed."""
    cap = import_cap("MAX_TABLE_ROWS", MAX_TABLE_ROWS)
    if text.count("\n", 0, len(text) - 1) < cap:
        return
    raise ImportRejected.single(
        name,
        f"fichier refusé : plus de {_n(cap)} lignes, limite fixée pour que l’import tienne en mémoire "
        "(réglage IMPORT_MAX_TABLE_ROWS ; retirez les lignes que l’import ne lit pas)",
        line=cap + 1,
    )


def _n(number) -> str:
    """A count as French readers write it: 65 536."""
    return f"{number:,}".replace(",", "\u202f")


def read_bytes(path: Path) -> bytes:
    """The content of a file, out of its container (gzip, xz, zip of one file)."""
    return open_payload(path).data


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
