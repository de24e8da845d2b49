"""A corpus of broken files: each is refused with a message naming file, line/entry and problem,
and the database is left exactly as it was."""

import gzip
import json
import lzma
import shutil

import pytest

from territories import importers
from territories.importing.contract import ImportRejected
from territories.models import Commune, Dataset

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_dir(territory_slice, tmp_path):
    for path in territory_slice.iterdir():
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def snapshot():
    return list(
        Commune.objects.order_by("code").values_list(
            "code", "name", "population", "bassin_de_vie_id", "epci_id", "geometry_hash", "is_active"
        )
    )


def rewrite_csv_gz(path, transform):
    text = gzip.open(path, "rt", encoding="utf-8").read()
    with gzip.open(path, "wb") as fh:
        fh.write(transform(text))


def assert_refused(step, directory, *expected):
    before = snapshot()
    with pytest.raises(ImportRejected) as info:
        step(directory)
    message = str(info.value)
    for fragment in expected:
        assert fragment in message, message
    assert snapshot() == before
    failed = Dataset.objects.latest("started_at")
    assert failed.status == Dataset.Status.FAILED and failed.message == message
    assert failed.rows_changed == 0
    return message


def test_missing_column(broken_dir):
    rewrite_csv_gz(
        broken_dir / "table_appartenance_com_2024.csv.gz",
        lambda t: t.replace("BV2022,LIBBV2022", "BV2020,LIBBV2022", 1).encode(),
    )
    assert_refused(
        importers.import_supracom,
        broken_dir,
        "table_appartenance_com_2024.csv.gz",
        "ligne 1",
        "colonne(s) manquante(s) : BV2022",
    )


def test_duplicate_code(broken_dir):
    def duplicate(text):
        lines = text.splitlines()
        return "\n".join([*lines, lines[5]]).encode()

    rewrite_csv_gz(broken_dir / "table_appartenance_com_2024.csv.gz", duplicate)
    assert_refused(importers.import_supracom, broken_dir, "code en double", "déjà vu ligne 6")


def test_truncated_compressed_file(broken_dir):
    path = broken_dir / "communes.json.xz"
    path.write_bytes(path.read_bytes()[:-200])
    assert_refused(importers.import_cog, broken_dir, "communes.json.xz", "tronqué")


def test_truncated_csv_line(broken_dir):
    rewrite_csv_gz(
        broken_dir / "table_appartenance_com_2024.csv.gz",
        lambda t: (t.rstrip("\n").rsplit(",", 20)[0] + "\n").encode(),
    )
    assert_refused(importers.import_supracom, broken_dir, "valeur vide (ligne tronquée ?)")


def test_truncated_json(broken_dir):
    path = broken_dir / "departements.json"
    path.write_text(path.read_text()[:-40])
    assert_refused(importers.import_cog, broken_dir, "departements.json", "JSON invalide ou tronqué", "ligne")


def test_duplicate_commune_in_json(broken_dir):
    entries = json.loads(lzma.open(broken_dir / "communes.json.xz").read())
    guer = next(e for e in entries if e["code"] == "23096")
    with lzma.open(broken_dir / "communes.json.xz", "wt") as fh:
        json.dump([*entries, guer], fh)
    assert_refused(importers.import_cog, broken_dir, "code en double « 23096 »")


def test_unknown_departement(broken_dir):
    entries = json.loads(lzma.open(broken_dir / "communes.json.xz").read())
    next(e for e in entries if e["code"] == "23096")["departement"] = "99"
    with lzma.open(broken_dir / "communes.json.xz", "wt") as fh:
        json.dump(entries, fh)
    assert_refused(importers.import_cog, broken_dir, "commune 23096 : département inconnu « 99 »")


def _rewrite_geojson(path, transform):
    data = json.loads(lzma.open(path).read())
    transform(data["features"])
    with lzma.open(path, "wt") as fh:
        json.dump(data, fh)


def test_invalid_geometry(broken_dir):
    def break_one(features):
        feature = next(f for f in features if f["properties"]["code"] == "23096")
        feature["geometry"] = {"type": "LineString", "coordinates": [[1.8, 46.1], [1.9, 46.2]]}

    _rewrite_geojson(broken_dir / "communes_contours_simplifies.geojson.xz", break_one)
    assert_refused(importers.import_geometries, broken_dir, "(23096)", "contour absent ou non polygonal")


def test_coordinates_out_of_range(broken_dir):
    def swap(features):
        feature = next(f for f in features if f["properties"]["code"] == "23096")
        feature["geometry"]["coordinates"] = [
            [[[x + 400, y] for x, y in ring] for ring in poly] for poly in feature["geometry"]["coordinates"]
        ]

    _rewrite_geojson(broken_dir / "communes_contours_simplifies.geojson.xz", swap)
    assert_refused(importers.import_geometries, broken_dir, "(23096)", "hors des bornes WGS84")


def test_self_intersection_is_refused_or_repaired_on_request(broken_dir, territory_slice):
    def bowtie(features):
        feature = next(f for f in features if f["properties"]["code"] == "23001")
        feature["geometry"] = {
            "type": "MultiPolygon",
            "coordinates": [[[[1.6, 46.2], [1.7, 46.3], [1.7, 46.2], [1.6, 46.3], [1.6, 46.2]]]],
        }

    _rewrite_geojson(broken_dir / "communes_contours_simplifies.geojson.xz", bowtie)
    assert_refused(
        importers.import_geometries, broken_dir, "commune 23001", "contour invalide", "--reparer-geometries"
    )
    dataset = importers.import_geometries(broken_dir, repair=True)
    assert dataset.report["contours_repares"] == ["23001"]
    commune = Commune.objects.get(code="23001")
    assert commune.geometry.valid and commune.geometry.num_geom == 2  # the two triangles of the bow-tie
    restored = importers.import_geometries(territory_slice)
    assert restored.rows_updated == 1
    assert Commune.objects.get(code="23001").geometry.num_geom == 1


def test_missing_file(broken_dir):
    (broken_dir / "epci.json.xz").unlink()
    with pytest.raises(ImportRejected, match="epci.json.xz : fichier introuvable"):
        importers.import_cog(broken_dir)


def test_town_hall_point_outside_its_commune_falls_back_to_the_interior_point(broken_dir, territory_slice):
    # The real source has a few town halls with the latitude copied into the longitude (60192: 49.58, 49.58).
    rewrite_csv_gz(
        broken_dir / "communes_centroides.csv.gz",
        lambda t: t.replace(",46.1696,1.87145,", ",46.1696,46.1696,").encode(),
    )
    text = gzip.open(broken_dir / "communes_centroides.csv.gz", "rt").read()
    assert ",46.1696,46.1696," in text  # Guéret's town hall moved to the Caucasus
    dataset = importers.import_geometries(broken_dir)
    misplaced = dataset.report["points_mairie_hors_commune_remplaces_par_point_interieur"]
    # The real slice already has a few town halls geocoded far away (Malleret 23119: ≈ 45 km).
    assert "23096" in misplaced and "23119" in misplaced
    gueret = Commune.objects.get(code="23096")
    assert gueret.point_source == Commune.PointSource.INTERIOR and gueret.geometry.contains(gueret.point)
    restored = importers.import_geometries(territory_slice)
    assert "23096" not in restored.report["points_mairie_hors_commune_remplaces_par_point_interieur"]
    assert Commune.objects.get(code="23096").point_source == Commune.PointSource.TOWN_HALL


def test_header_only_file_is_refused(broken_dir):
    rewrite_csv_gz(
        broken_dir / "table_appartenance_com_2024.csv.gz", lambda t: t.split("\n", 1)[0].encode() + b"\n"
    )
    assert_refused(importers.import_supracom, broken_dir, "aucune ligne de données", "ligne 2")


def test_compression_bombs_are_refused_while_streaming(tmp_path, monkeypatch):
    import gzip
    import lzma

    import psutil

    from territories.importing import readers
    from territories.importing.contract import ImportRejected

    bomb = tmp_path / "bombe.csv.gz"
    with gzip.open(bomb, "wb", compresslevel=9) as out:
        chunk = b"0" * (1024 * 1024)
        for _ in range(200):  # 200 MiB of zeros in about 200 kB
            out.write(chunk)
    assert bomb.stat().st_size < 400 * 1024
    before = psutil.Process().memory_info().rss
    with pytest.raises(ImportRejected, match="taux de compression supérieur à 100"):
        readers.read_bytes(bomb)
    assert psutil.Process().memory_info().rss - before < 120 * 1024 * 1024  # stopped early
    monkeypatch.setattr("territories.importing.files.MAX_DECOMPRESSED_BYTES", 4 * 1024 * 1024)
    small = tmp_path / "gros.json.xz"
    small.write_bytes(lzma.compress(bytes(range(256)) * 40_000))  # ≈ 10 MB, varied
    with pytest.raises(ImportRejected, match="dépasse 4 Mio"):
        readers.read_bytes(small)
