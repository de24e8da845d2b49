"""Issue 24, item 6 (caps): an XLSX workbook is refused before openpyxl unfolds it beyond the caps
(total size, ratio per member), and while a sheet is read (rows, cell length) — as gzip, xz and
zip already are — with the file, line and reason in French."""

import zipfile

import pytest
from openpyxl import Workbook

from territories.importing import contract as importing
from territories.importing.contract import ImportRejected
from territories.importing.readers import open_payload, read_csv
from tests.conftest import TEST_DATA

SHIPPED = TEST_DATA / "indicators" / "drees_apl_synthetique.xlsx"


def _workbook(path, rows):
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _bomb(path, member_bytes):
    """A workbook whose sheet is ``member_bytes`` of blanks: a few kilobytes compressed."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b" " * (1024 * 1024)
            for _ in range(member_bytes // len(chunk)):
                member.write(chunk)
    return path


def test_shipped_workbooks_pass_the_caps():
    assert open_payload(SHIPPED).kind == "xlsx"


def test_a_highly_compressed_sheet_is_refused(tmp_path):
    path = _bomb(tmp_path / "bombe.xlsx", 8 * 1024 * 1024)
    assert path.stat().st_size < 100_000
    with pytest.raises(ImportRejected, match="se décompresse plus de 100 fois") as exc:
        open_payload(path)
    assert exc.value.problems[0].file == "bombe.xlsx"


def test_a_workbook_unfolding_beyond_the_total_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(importing, "MAX_XLSX_BYTES", 3 * 1024 * 1024)
    monkeypatch.setattr(importing, "MAX_XLSX_RATIO", 10**9)
    with pytest.raises(ImportRejected, match="au-delà de la limite de 3 Mio"):
        open_payload(_bomb(tmp_path / "gros.xlsx", 4 * 1024 * 1024))


def test_rows_and_cells_are_capped_while_reading(tmp_path, monkeypatch):
    path = _workbook(tmp_path / "t.xlsx", [("code", "nom")] + [(f"2309{i}", "x") for i in range(8)])
    assert len(read_csv(path, required=["code", "nom"])) == 8
    monkeypatch.setattr(importing, "MAX_XLSX_ROWS", 5)
    with pytest.raises(ImportRejected, match="plus de 5 lignes"):
        read_csv(path, required=["code", "nom"])
    monkeypatch.undo()
    long_cell = _workbook(tmp_path / "long.xlsx", [("code", "nom"), ("23096", "x"), ("23097", "y" * 5000)])
    with pytest.raises(ImportRejected) as exc:
        read_csv(long_cell, required=["code", "nom"])
    problem = exc.value.problems[0]
    assert problem.line == 3 and "5000 caractères" in problem.reason
