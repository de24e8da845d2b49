"""Table exports shared by every app (the lowest app owns them): CSV for French spreadsheets and
XLSX with typed cells and a « Sources » sheet.

CSV: UTF-8 with a byte-order mark (accents intact in Excel), ``;`` as separator, decimal comma,
and formula-safe (a text cell starting with ``=``, ``+``, ``-``, ``@``… is quoted: CSV injection).
XLSX (openpyxl): numbers stay numbers (typed cells, French number format shown by the
spreadsheet), text cells are formula-safe too, and a second sheet lists dataset, millésime,
licence and run of every figure.
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


def csv_response(rows, columns, filename):
    """``rows``: dicts; ``columns``: [(key, label)]."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([label for _key, label in columns])
    for row in rows:
        writer.writerow([_csv_cell(row.get(key)) for key, _label in columns])
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
    sheet.append([label for _key, label in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        values = []
        for key, _label in columns:
            value = row.get(key)
            if isinstance(value, bool):
                value = "oui" if value else "non"
            elif not isinstance(value, int | float) and value is not None:
                value = safe_text(str(value))
            values.append(value)
        sheet.append(values)
    sheet.freeze_panes = "A2"
    for j, (_key, label) in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(1, j).column_letter].width = max(12, min(48, len(label) + 2))
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
