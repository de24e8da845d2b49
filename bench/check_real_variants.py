"""The real national files, saved by hand in each variant producers and users publish, imported
as a dry run over the loaded base (all of France): accepted variants must change no row, refused
ones must say why. Prints one line per variant with its outcome and time.

    DATABASE_URL=postgis://… .venv/bin/python bench/check_real_variants.py

Needs the base loaded (``manage.py load_all``). Writes nothing (dry runs; refusals write their
failed dataset record only).
"""

import gzip
import json
import lzma
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "data"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

import django  # noqa: E402

django.setup()

import make_broken_corpus as corpus  # noqa: E402

from territories import importers  # noqa: E402
from territories.importing.contract import ImportRejected  # noqa: E402

FIXTURES = ROOT / "fixtures" / "territories"


def table_text():
    return gzip.decompress((FIXTURES / "table_appartenance_com_2024.csv.gz").read_bytes()).decode()


def points_text():
    return gzip.decompress((FIXTURES / "communes_centroides.csv.gz").read_bytes()).decode()


def communes():
    return json.loads(lzma.decompress((FIXTURES / "communes.json.xz").read_bytes()))


def contours_l93(declare=True):
    import geopandas

    data = json.loads(lzma.decompress((FIXTURES / "communes_contours_simplifies.geojson.xz").read_bytes()))
    frame = geopandas.GeoDataFrame.from_features(data["features"], crs="EPSG:4326").to_crs(2154)
    out = json.loads(frame.to_json(drop_id=True))
    out.pop("crs", None)
    if declare:
        out["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    return json.dumps(out).encode()


def gpkg_l93():
    import subprocess

    with tempfile.TemporaryDirectory() as directory:
        source = Path(directory) / "l93.geojson"
        source.write_bytes(contours_l93())
        target = Path(directory) / "communes.gpkg"
        subprocess.run(["ogr2ogr", "-f", "GPKG", str(target), str(source)], check=True)
        return target.read_bytes()


def with_population(value):
    entries = communes()
    next(e for e in entries if e["code"] == "23096")["population"] = value
    return lzma.compress(json.dumps(entries, ensure_ascii=False).encode())


VARIANTS = [
    (
        "INSEE XLSX, 5 lignes de titre (table d’appartenance)",
        "supracom",
        "supracom",
        "table.xlsx",
        lambda: corpus.xlsx(table_text()),
        {},
        "same",
    ),
    (
        "CSV Excel Windows-1252, « ; », CRLF",
        "supracom",
        "supracom",
        "table.csv",
        lambda: corpus.resave(table_text(), sep=";", encoding="cp1252", newline="\r\n"),
        {},
        "same",
    ),
    (
        "CSV avec lignes de titre, zippé",
        "supracom",
        "supracom",
        "table.zip",
        lambda: corpus.zipped("table.csv", corpus.with_title_lines(table_text())),
        {},
        "same",
    ),
    (
        "points en Excel français (virgule décimale)",
        "geo",
        "points",
        "points.csv",
        lambda: corpus.french_excel(
            points_text(),
            [
                "centroid_lat",
                "centroid_lon",
                "point_interieur_lat",
                "point_interieur_lon",
                "mairie_lat",
                "mairie_lon",
                "superficie_approx_km2",
            ],
        ),
        {"repair": True},
        "same",
    ),
    (
        "contours GeoJSON Lambert-93 avec CRS",
        "geo",
        "contours",
        "contours.geojson",
        lambda: contours_l93(),
        {"repair": True},
        "same",
    ),
    (
        "contours GeoPackage Lambert-93",
        "geo",
        "contours",
        "contours.gpkg",
        gpkg_l93,
        {"repair": True},
        "same",
    ),
    (
        "contours Lambert-93 sans CRS",
        "geo",
        "contours",
        "contours.geojson",
        lambda: contours_l93(False),
        {"repair": True},
        "refused",
    ),
    (
        "contours sans --reparer-geometries",
        "geo",
        "contours",
        "contours.geojson.xz",
        lambda: (FIXTURES / "communes_contours_simplifies.geojson.xz").read_bytes(),
        {},
        "refused",
    ),
    (
        "COG de la Creuse et de la Lozère seules",
        "cog",
        "communes",
        "communes_23_48.json.xz",
        lambda: lzma.compress(
            json.dumps([e for e in communes() if e.get("departement") in ("23", "48")]).encode()
        ),
        {},
        "refused",
    ),
    (
        "le même avec --partiel",
        "cog",
        "communes",
        "communes_23_48.json.xz",
        lambda: lzma.compress(
            json.dumps([e for e in communes() if e.get("departement") in ("23", "48")]).encode()
        ),
        {"partial": True},
        "same",
    ),
    (
        "population non numérique",
        "cog",
        "communes",
        "communes.json.xz",
        lambda: with_population("12 955 hab."),
        {},
        "refused",
    ),
    (
        "population négative",
        "cog",
        "communes",
        "communes.json.xz",
        lambda: with_population(-5),
        {},
        "refused",
    ),
    (
        "code commune inconnu",
        "supracom",
        "supracom",
        "table.csv",
        lambda: (table_text() + "23999," + table_text().splitlines()[1].split(",", 1)[1] + "\n").encode(),
        {},
        "refused",
    ),
    (
        "ligne de 5 Mo",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_text().replace("\n", "x" * (5 << 20) + "\n", 2).encode(),
        {},
        "refused",
    ),
]


def main():
    steps = {
        "cog": importers.import_cog,
        "supracom": importers.import_supracom,
        "geo": importers.import_geometries,
    }
    failures = 0
    with tempfile.TemporaryDirectory() as directory:
        for label, step, key, name, make, options, expected in VARIANTS:
            path = Path(directory) / name
            path.write_bytes(make())
            start = time.perf_counter()
            try:
                dataset = steps[step](FIXTURES, dry_run=True, files={key: path}, **options)
                changed = dataset.rows_created + dataset.rows_updated + dataset.rows_obsoleted
                outcome = "same" if changed == 0 else f"changed {changed}"
                detail = f"{dataset.rows_unchanged} lignes inchangées, {changed} modifiées"
            except ImportRejected as exc:
                outcome, detail = "refused", str(exc).splitlines()[0][:220]
            ok = outcome == expected
            failures += not ok
            elapsed = time.perf_counter() - start
            print(f"{'OK ' if ok else 'BAD'} {label:55} {outcome:8} {elapsed:6.1f} s  {detail}")
    print(f"{len(VARIANTS) - failures}/{len(VARIANTS)} variants as expected")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
