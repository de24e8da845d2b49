"""The fast workbook reader (calamine) under the DREES importers: it reads what openpyxl read, and
refuses what the openpyxl path refused (truncated file, wrong sheet, bad cell) plus the caps of the
reading layer (parts inflating past the caps, too many rows, over-long cells), with nothing written."""

import pytest
from openpyxl import Workbook, load_workbook

from indicators.importers import import_drees_age_weights, import_drees_apl
from indicators.models import AgeWeight, PublishedIndicatorValue
from territories.importing import contract
from territories.importing.contract import MAX_CELL_CHARS, ImportRejected
from territories.importing.workbooks import open_workbook
from territories.models import Dataset

from ..conftest import TEST_DATA

pytestmark = pytest.mark.django_db

SAMPLE = TEST_DATA / "indicators" / "drees_apl_synthetique.xlsx"
HEADER = ["Code commune INSEE", "Commune", "APL aux médecins généralistes", "Population totale 2020"]


def write_book(path, rows, sheet="APL 2022"):
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    ws.append(["Titre — fichier de test synthétique"])
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    workbook.save(path)
    return path


def test_reads_every_cell_as_openpyxl_did():
    book = open_workbook(SAMPLE)
    reference = load_workbook(SAMPLE, read_only=True, data_only=True)
    assert book.sheetnames == reference.sheetnames
    for sheet in book.sheetnames:
        ours = book.rows(sheet)
        theirs = [tuple(r) for r in reference[sheet].iter_rows(values_only=True)]
        width = max(len(r) for r in ours + theirs)

        def padded(r, width=width):
            return tuple(r) + (None,) * (width - len(r))

        theirs = [padded(r) for r in theirs]
        while theirs and not any(c is not None for c in theirs[-1]):
            theirs.pop()  # openpyxl may yield empty rows past the last filled one
        assert [padded(r) for r in ours] == theirs, sheet
        # same types too: whole numbers as int, others as float, text as str
        assert [tuple(map(type, padded(r))) for r in ours] == [tuple(map(type, r)) for r in theirs]
    reference.close()


def test_truncated_workbook_is_refused_and_recorded(tmp_path):
    good = write_book(tmp_path / "ok.xlsx", [["23096", "Guéret", 4.1, 12955]])
    truncated = tmp_path / "apl_tronque.xlsx"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ImportRejected, match="apl_tronque.xlsx.*(tronquée|pas un classeur Excel)"):
        import_drees_apl(truncated)
    assert not PublishedIndicatorValue.objects.exists()
    assert Dataset.objects.get(source="drees-apl").status == Dataset.Status.FAILED


def test_bad_cell_and_over_long_cell_are_refused_with_line_and_column(tmp_path):
    bad = write_book(tmp_path / "apl.xlsx", [["23096", "Guéret", "quatre", 12955]])
    with pytest.raises(ImportRejected, match="ligne 3.*non numérique « quatre »"):
        import_drees_apl(bad)
    long = write_book(tmp_path / "long.xlsx", [["23096", "x" * (MAX_CELL_CHARS + 1), 4.1, 12955]])
    with pytest.raises(ImportRejected) as exc:
        import_drees_apl(long)
    message = str(exc.value)
    assert "ligne 3" in message and "colonne B" in message and "au-delà de la limite" in message
    assert not PublishedIndicatorValue.objects.exists()


def test_caps_on_inflated_size_and_rows(tmp_path, monkeypatch):
    path = write_book(tmp_path / "apl.xlsx", [["23096", "Guéret", 4.1, 12955]] * 2000)
    monkeypatch.setattr(contract, "XLSX_RATIO_FLOOR", 1024)
    monkeypatch.setattr(contract, "MAX_XLSX_RATIO", 2)
    with pytest.raises(ImportRejected, match="se décompresse plus de 2 fois"):
        import_drees_apl(path)
    monkeypatch.undo()
    monkeypatch.setattr(contract, "MAX_XLSX_BYTES", 1024)
    with pytest.raises(ImportRejected, match="au-delà de la limite"):
        open_workbook(path)
    monkeypatch.undo()
    monkeypatch.setattr(contract, "MAX_XLSX_ROWS", 100)
    with pytest.raises(ImportRejected, match="2\u202f002 lignes, au-delà de la limite de 100"):
        import_drees_apl(path)
    assert not PublishedIndicatorValue.objects.exists()


def test_age_weights_need_their_sheet(tmp_path):
    path = write_book(tmp_path / "apl.xlsx", [["23096", "Guéret", 4.1, 12955]])
    with pytest.raises(ImportRejected, match="feuille « Paramètres » absente"):
        import_drees_age_weights(path)
    assert not AgeWeight.objects.exists()
