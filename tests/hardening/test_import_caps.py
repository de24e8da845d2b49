"""Issue 24 (Low: « the largest allowed compressed upload takes ~1.7 GB of memory »): every file
is held to caps sized on memory, set in the settings — its size once out of its container (plain
files too), the lines of a text table, the unfolded size of a workbook — and refused before the
memory is spent, with the file, the limit and the reason in French; nothing is written. The caps
are tested small here; the last tests check that the default caps accept every shipped file with
a margin."""

import gzip
import io
import lzma
import zipfile

import pytest
from openpyxl import Workbook

from indicators.importers import import_time_matrix, matrix_source
from indicators.models import TravelTime
from offers.importers import import_finess
from offers.models import Offer
from territories.importing import contract, files
from territories.importing.contract import ImportRejected
from territories.importing.readers import open_payload, read_csv
from territories.models import Dataset
from tests.conftest import TEST_DATA

ROOT = TEST_DATA.parent.parent
CAP = 64 * 1024  # IMPORT_MAX_DECOMPRESSED_BYTES of these tests

CODES = ["23096", "23008", "48095", "75101", "75102", "75103"]
PAIRS = [(o, d) for o in CODES for d in CODES if o != d]


def matrix_text(size: int) -> bytes:
    """A valid time matrix of about ``size`` bytes: 30 pairs, padded with an ignored column."""
    header = b"origin,destination,minutes,note\n"
    lines = [f"{o},{d},{10 + i},".encode() for i, (o, d) in enumerate(PAIRS)]
    pad = (size - len(header) - sum(len(line) + 1 for line in lines)) // len(lines)
    body = b"".join(
        line + bytes(97 + (i + j) % 26 for j in range(pad)) + b"\n" for i, line in enumerate(lines)
    )
    return header + body


def write(tmp_path, container: str, data: bytes):
    path = tmp_path / f"distancier.csv{container}"
    if container == ".gz":
        path.write_bytes(gzip.compress(data))
    elif container == ".xz":
        path.write_bytes(lzma.compress(data))
    elif container == ".zip":
        path = tmp_path / "distancier.zip"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("distancier.csv", data)
    else:
        path.write_bytes(data)
    return path


@pytest.fixture
def small_caps(settings):
    settings.IMPORT_MAX_DECOMPRESSED_BYTES = CAP
    settings.IMPORT_MAX_TABLE_ROWS = 100
    settings.IMPORT_MAX_XLSX_BYTES = CAP
    return settings


@pytest.mark.django_db
@pytest.mark.parametrize("container", ["", ".gz", ".xz", ".zip"])
def test_a_file_just_over_the_cap_is_refused_and_nothing_written(tmp_path, small_caps, container):
    over = write(tmp_path, container, matrix_text(CAP + 100))
    with pytest.raises(ImportRejected) as exc:
        import_time_matrix(over, info=matrix_source(synthetic=True))
    problem = exc.value.problems[0]
    assert problem.file.startswith("distancier")
    assert "au-delà de la limite de 0.1 Mio" in problem.reason or "dépasse 0.1 Mio" in problem.reason
    assert "tienne en mémoire" in problem.reason and "IMPORT_MAX_DECOMPRESSED_BYTES" in problem.reason
    assert not TravelTime.objects.exists()
    assert Dataset.objects.get(source="distancier-communes").status == Dataset.Status.FAILED


@pytest.mark.django_db
@pytest.mark.parametrize("container", ["", ".gz", ".xz", ".zip"])
def test_a_file_just_under_the_cap_is_accepted(tmp_path, small_caps, container):
    under = write(tmp_path, container, matrix_text(CAP - 100))
    dataset = import_time_matrix(under, info=matrix_source(synthetic=True))
    assert dataset.status == Dataset.Status.SUCCEEDED and TravelTime.objects.count() == len(PAIRS)


def test_a_compressed_file_is_read_no_further_than_the_cap(tmp_path, small_caps, monkeypatch):
    """A stream of 100 times the cap: refused after reading about the cap, not the whole of it."""
    path = tmp_path / "gros.csv.gz"
    path.write_bytes(gzip.compress(bytes(range(256)) * (100 * CAP // 256)))
    monkeypatch.setattr(files, "CHUNK", 1024)
    read = []
    real_open = gzip.open

    def counting_open(*args, **kwargs):
        stream = real_open(*args, **kwargs)
        original = stream.read

        def reading(size=-1):
            chunk = original(size)
            read.append(len(chunk))
            return chunk

        stream.read = reading
        return stream

    monkeypatch.setattr(files.gzip, "open", counting_open)
    with pytest.raises(ImportRejected, match="dépasse 0.1 Mio une fois décompressé"):
        open_payload(path)
    assert CAP < sum(read) <= CAP + 1024


def test_a_zip_member_declared_over_the_cap_is_refused_before_inflating(tmp_path, small_caps, monkeypatch):
    path = write(tmp_path, ".zip", matrix_text(2 * CAP))
    monkeypatch.setattr(files, "_read_capped", lambda *a: pytest.fail("inflated"))
    with pytest.raises(ImportRejected, match="dépasse 0.1 Mio") as exc:
        open_payload(path)
    assert exc.value.problems[0].file == "distancier.zip › distancier.csv"


def test_a_plain_file_over_the_cap_is_refused_before_it_is_read(tmp_path, small_caps, monkeypatch):
    path = write(tmp_path, "", matrix_text(CAP + 100))
    monkeypatch.setattr(type(path), "read_bytes", lambda self: pytest.fail("read"))
    with pytest.raises(ImportRejected, match="au-delà de la limite de 0.1 Mio"):
        open_payload(path)


@pytest.mark.django_db
def test_a_table_over_the_row_cap_is_refused_with_its_line(tmp_path, small_caps):
    small_caps.IMPORT_MAX_TABLE_ROWS = 5
    rows = "origin,destination,minutes\n" + "".join(f"23096,{c},5\n" for c in ("23008", "48095", "75101"))
    ok = tmp_path / "ok.csv"
    ok.write_text(rows)
    assert len(read_csv(ok, required=["origin"])) == 3
    long = tmp_path / "long.csv"
    long.write_text(rows + "".join(f"23096,{c},5\n" for c in ("75102", "75103", "75104")))
    with pytest.raises(ImportRejected) as exc:
        import_time_matrix(long, info=matrix_source(synthetic=True))
    problem = exc.value.problems[0]
    assert problem.file == "long.csv" and problem.line == 6
    assert "plus de 5 lignes" in problem.reason and "IMPORT_MAX_TABLE_ROWS" in problem.reason
    assert not TravelTime.objects.exists()


def test_a_sheet_read_as_a_table_has_the_row_cap_of_a_csv(tmp_path, settings):
    book = Workbook()
    for row in [("origin", "destination", "minutes"), *[("23096", c, 5) for c in CODES[1:]]]:
        book.active.append(row)
    path = tmp_path / "distancier.xlsx"
    book.save(path)
    settings.IMPORT_MAX_TABLE_ROWS = 5
    assert len(read_csv(path, required=["origin"])) == 5
    settings.IMPORT_MAX_TABLE_ROWS = 4
    with pytest.raises(ImportRejected, match="plus de 5 lignes"):
        read_csv(path, required=["origin"])


@pytest.mark.django_db
def test_a_finess_extract_over_the_row_cap_is_refused(tmp_path, small_caps):
    small_caps.IMPORT_MAX_TABLE_ROWS = 5
    source = (TEST_DATA / "offers" / "finess_etalab_synthetique.csv").read_text(encoding="utf-8")
    assert source.count("\n") > 5
    path = tmp_path / "finess_synthetique.csv"
    path.write_text(source, encoding="utf-8")
    with pytest.raises(ImportRejected, match="plus de 5 lignes"):
        import_finess(path)
    assert not Offer.objects.exists()


@pytest.mark.django_db
def test_a_finess_extract_keeping_too_many_establishments_is_refused(tmp_path, settings):
    path = tmp_path / "finess_synthetique.csv"
    path.write_bytes((TEST_DATA / "offers" / "finess_etalab_synthetique.csv").read_bytes())
    assert import_finess(path, dry_run=True).status == Dataset.Status.DRY_RUN
    settings.IMPORT_MAX_FINESS_STRUCTURES = 2
    with pytest.raises(ImportRejected) as exc:
        import_finess(path)
    problem = exc.value.problems[0]
    assert problem.file == "finess_synthetique.csv" and problem.line == 4
    assert "plus de 2 établissements retenus" in problem.reason
    assert "IMPORT_MAX_FINESS_STRUCTURES" in problem.reason
    assert not Offer.objects.exists()


def test_a_workbook_over_the_xlsx_cap_from_the_settings_is_refused(tmp_path, settings):
    book = Workbook()
    for i in range(3000):
        book.active.append([f"code {i}", f"une valeur assez longue numéro {i}"])
    path = tmp_path / "classeur.xlsx"
    book.save(path)
    assert open_payload(path).kind == "xlsx"
    settings.IMPORT_MAX_XLSX_BYTES = 64 * 1024
    with pytest.raises(ImportRejected, match="au-delà de la limite de 0.1 Mio") as exc:
        open_payload(path)
    assert "IMPORT_MAX_XLSX_BYTES" in str(exc.value) and exc.value.problems[0].file == "classeur.xlsx"


SHIPPED = [
    *sorted((ROOT / "fixtures").glob("*/*.*")),
    *sorted((TEST_DATA / "territories").glob("*.*")),
    *sorted((TEST_DATA / "offers").glob("*.*")),
    *sorted((TEST_DATA / "indicators").glob("*.*")),
]


def unfolded(path) -> int:
    payload = open_payload(path)
    if payload.kind == "xlsx":
        return sum(m.file_size for m in zipfile.ZipFile(io.BytesIO(payload.data)).infolist())
    return len(payload.data)


def test_the_default_caps_accept_every_shipped_file_with_a_margin():
    """The largest real files (outlines 25 MB, the DREES workbook 22.6 MB unfolded) stay under half
    of their cap: a newer millésime a little larger is still accepted."""
    data = [p for p in SHIPPED if p.suffix not in {".md", ".py"} and p.parent.name != "sources"]
    assert len(data) > 15
    for path in data:
        size = unfolded(path)
        cap = contract.MAX_XLSX_BYTES if open_payload(path).kind == "xlsx" else files.MAX_DECOMPRESSED_BYTES
        assert size < cap / 1.9, path
        if open_payload(path).kind == "text" and path.suffix != ".json" and ".json" not in path.name:
            text = open_payload(path).data
            assert text.count(b"\n") < files.MAX_TABLE_ROWS / 10, path


@pytest.mark.django_db
def test_the_shipped_tables_are_read_under_the_default_caps():
    frame = read_csv(
        TEST_DATA / "territories" / "table_appartenance_com_2024.csv.gz", required=[], optional=None
    )
    assert len(frame) > 100
    frame = read_csv(
        ROOT / "fixtures" / "territories" / "table_appartenance_com_2024.csv.gz", required=[], optional=None
    )
    assert len(frame) > 30_000
