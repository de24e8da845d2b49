"""Table exports shared by every app (the lowest app owns them): CSV for French spreadsheets and
XLSX with typed cells and a « Sources » sheet.

CSV: UTF-8 with a byte-order mark (accents intact in Excel), ``;`` as separator, decimal comma,
and formula-safe (a text cell starting with ``=``, ``+``, ``-``, ``@``… is quoted: CSV injection).
XLSX (openpyxl): numbers stay numbers (typed cells, French number format shown by the
spreadsheet), text cells are formula-safe too, and a second sheet lists dataset, millésime,
licence and run of every figure.

Figures are rounded as published: a column given as ``(key, label, decimals)`` (or a row carrying
``"_decimals"``, for tables with one indicator per row) is rounded to that many decimals in the CSV
(``2,95``) and the XLSX (the value ``2.95`` and the number format ``0.00``), never
``2.950000000000001``.
"""

import csv
import io

from django.http import HttpResponse

# A cell starting with one of these is a formula for a spreadsheet (CSV injection): quote it.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def safe_text(value):
    if isinstance(value, list):
        value = "\n".join(
            " — ".join(str(v) for v in item.values()) if isinstance(item, dict) else str(item)
            for item in value
        )
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _csv_cell(value):
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, float):
        return f"{value:.6g}".replace(".", ",")  # a number we wrote: no formula guard needed
    if isinstance(value, int):
        return str(value)
    return "" if value is None else safe_text(value)


def rounded(value, decimals):
    """A number rounded as published (None and text unchanged; 0 decimals gives an int)."""
    if decimals is None or isinstance(value, bool) or not isinstance(value, int | float):
        return value
    if value != value:  # NaN: no figure
        return None
    return int(round(value)) if decimals == 0 else round(float(value), decimals)


def _decimals(column, row):
    return row.get("_decimals", column[2] if len(column) > 2 else None)


def csv_response(rows, columns, filename):
    """``rows``: dicts; ``columns``: [(key, label)] or [(key, label, decimals)]."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([column[1] for column in columns])
    for row in rows:
        cells = []
        for column in columns:
            value, decimals = row.get(column[0]), _decimals(column, row)
            if decimals and isinstance(value, int | float) and not isinstance(value, bool):
                value = rounded(value, decimals)
                cells.append(None if value is None else f"{value:.{decimals}f}".replace(".", ","))
            else:
                cells.append(_csv_cell(rounded(value, decimals)))
        writer.writerow(["" if c is None else c for c in cells])
    response = HttpResponse(
        ("\ufeff" + buffer.getvalue()).encode("utf-8"), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(rows, columns, filename, *, title="Données", sources=(), notes=()):
    """``sources``: [(dataset or label, millésime, licence, run/details)] for the « Sources » sheet;
    ``notes``: lines written above the sources (proxy, estimate labels…)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append([column[1] for column in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for i, row in enumerate(rows, start=2):
        values, formats = [], []
        for column in columns:
            value, decimals = row.get(column[0]), _decimals(column, row)
            if isinstance(value, bool):
                value = "oui" if value else "non"
            elif not isinstance(value, int | float) and value is not None:
                value = safe_text(str(value))
            else:
                value = rounded(value, decimals)
            values.append(value)
            formats.append("0" if decimals == 0 else f"0.{'0' * decimals}" if decimals else None)
        sheet.append(values)
        for j, number_format in enumerate(formats, start=1):
            if number_format and isinstance(values[j - 1], int | float):
                sheet.cell(i, j).number_format = number_format
    sheet.freeze_panes = "A2"
    for j, column in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(1, j).column_letter].width = max(12, min(48, len(column[1]) + 2))
    info = workbook.create_sheet("Sources")
    info.append(["Source", "Millésime", "Licence", "Calcul ou précision"])
    for cell in info[1]:
        cell.font = Font(bold=True)
    for source in sources:
        info.append([safe_text(str(v)) if v is not None else "" for v in source])
    if notes:
        info.append([])
        for note in notes:
            info.append([safe_text(note)])
    info.column_dimensions["A"].width = 80
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
