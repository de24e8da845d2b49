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
dataset report (``lecture``) through :func:`territories.importing.contract.note_reading`.
Every function here is linear in the size of its input.
"""

from territories.importing.files import (
    CHUNK,
    COMPRESSED_SUFFIXES,
    ENCODING_NAMES,
    MAX_DECOMPRESSED_BYTES,
    MAX_FIELD_CHARS,
    MAX_LINE_CHARS,
    MAX_RATIO,
    MAX_TABLE_ROWS,
    MAX_TITLE_LINES,
    MOJIBAKE,
    RATIO_FLOOR,
    SEPARATOR_NAMES,
    SEPARATORS,
    SHAPEFILE_PARTS,
    SQLITE_MAGIC,
    TEXT_ENCODINGS,
    Payload,
    check_row_count,
    open_payload,
    read_bytes,
    sniff_text,
)
from territories.importing.geo import WGS84_EPSG, read_geo
from territories.importing.tables import read_csv
from territories.importing.values import (
    check_entries,
    note_ignored_keys,
    parse_count,
    parse_numbers,
    read_json_array,
)

__all__ = [
    "CHUNK",
    "COMPRESSED_SUFFIXES",
    "ENCODING_NAMES",
    "MAX_DECOMPRESSED_BYTES",
    "MAX_FIELD_CHARS",
    "MAX_LINE_CHARS",
    "MAX_RATIO",
    "MAX_TABLE_ROWS",
    "MAX_TITLE_LINES",
    "MOJIBAKE",
    "Payload",
    "RATIO_FLOOR",
    "SEPARATORS",
    "SEPARATOR_NAMES",
    "SHAPEFILE_PARTS",
    "SQLITE_MAGIC",
    "TEXT_ENCODINGS",
    "WGS84_EPSG",
    "check_entries",
    "check_row_count",
    "note_ignored_keys",
    "open_payload",
    "parse_count",
    "parse_numbers",
    "read_bytes",
    "read_csv",
    "read_geo",
    "read_json_array",
    "sniff_text",
]
