"""The broken-input corpus of the importers, built from the shipped test slices (23, 48, 75).

Each case writes one file, as a producer publishes it or as somebody re-saves it, and says what
must happen when it is imported over the clean slice:

* ``same``: accepted, and the database ends **row for row identical** to the clean import;
* ``refused``: refused with a message holding every expected fragment (file, line or object,
  field, reason), every table left byte-identical;
* ``accepted``: accepted with an option (``--partiel``, ``--ignorer-codes-inconnus``,
  ``--reparer-geometries``), the report holding the expected keys.

Run ``python tests/data/make_broken_corpus.py OUTDIR`` to write every file for a look by hand;
``tests/territories/test_broken_corpus.py`` builds and imports them one by one.
"""

import dataclasses
import gzip
import io
import json
import lzma
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).parent
SLICE = HERE / "territories"
ROOT = HERE.parent.parent
SIRENE = HERE.parent / "indicators" / "data" / "sirene_gp_23_48_75.csv"
ZONAGE = ROOT / "fixtures" / "offers" / "zonage_medecins_23_48_75.csv"

TABLE = "table_appartenance_com_2024.csv.gz"
POINTS = "communes_centroides.csv.gz"
CONTOURS = "communes_contours_simplifies.geojson.xz"
COMMUNES = "communes.json.xz"


@dataclasses.dataclass
class Case:
    name: str
    step: str  # "cog", "supracom", "geo", "gp", "zonage"
    file: str  # the importer's file key (territories.importers.FILES) or "main"
    filename: str
    make: Callable[[], bytes]
    outcome: str  # "same", "refused", "accepted"
    expected: tuple[str, ...] = ()
    options: dict = dataclasses.field(default_factory=dict)
    what: str = ""  # the variant in words (closing notes, test ids)


# --- sources -----------------------------------------------------------------------------------


def table_text() -> str:
    return gzip.decompress((SLICE / TABLE).read_bytes()).decode("utf-8")


def points_text() -> str:
    return gzip.decompress((SLICE / POINTS).read_bytes()).decode("utf-8")


def contours_json() -> dict:
    return json.loads(lzma.decompress((SLICE / CONTOURS).read_bytes()))


def communes_json() -> list:
    return json.loads(lzma.decompress((SLICE / COMMUNES).read_bytes()))


def contours_frame():
    import geopandas

    return geopandas.GeoDataFrame.from_features(contours_json()["features"], crs="EPSG:4326")


# --- transformations ---------------------------------------------------------------------------


def resave(text: str, *, sep: str = ",", encoding: str = "utf-8", newline: str = "\n") -> bytes:
    """A CSV re-saved by a spreadsheet: another separator, encoding and line ending."""
    import csv

    rows = list(csv.reader(io.StringIO(text)))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep, lineterminator=newline)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def french_excel(text: str, decimals: list[str]) -> bytes:
    """Windows-1252, ';', CRLF and decimal commas in ``decimals`` columns: French Excel."""
    import csv

    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    indexes = [header.index(c) for c in decimals]
    for row in rows[1:]:
        for i in indexes:
            row[i] = row[i].replace(".", ",")
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp1252")


def with_title_lines(text: str) -> bytes:
    titles = (
        "Table d'appartenance géographique des communes au 1er janvier 2024\n"
        "Source : Insee, Code officiel géographique\n"
        "\n"
    )
    return (titles + text).encode("utf-8")


def xlsx(text: str, *, titles: bool = True) -> bytes:
    """An INSEE-style workbook: title lines above the header, codes stored as text."""
    import csv

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "COM"
    if titles:
        sheet.append(["Table d'appartenance géographique des communes au 1er janvier 2024"])
        sheet.append(["Découpage de la France en communes et zonages supra-communaux"])
        sheet.append(["Source : Insee, Code officiel géographique"])
        sheet.append([])
        sheet.append(["Mise en ligne le 24/01/2024"])
    for row in csv.reader(io.StringIO(text)):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def zipped(inner: str, data: bytes, *extra: tuple[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(inner, data)
        for name, content in extra:
            archive.writestr(name, content)
    return out.getvalue()


def geojson_lambert93(declare_crs: bool = True, decimals: int | None = None) -> bytes:
    frame = contours_frame().to_crs(2154)
    if decimals is not None:  # coordinates rounded as a GIS exports them
        import shapely

        frame.geometry = shapely.set_precision(frame.geometry.values, 10.0**-decimals)
    data = json.loads(frame.to_json(drop_id=True))
    data.pop("crs", None)
    if declare_crs:
        data["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}}
    return json.dumps(data).encode("utf-8")


def vector_file(driver: str, suffix: str, crs: int = 2154) -> bytes:
    """Written by a child process: GDAL's SQLite (GeoPackage) must not run beside SpatiaLite."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / f"out{suffix}"
        subprocess.run([sys.executable, __file__, "--vector", driver, str(path), str(crs)], check=True)
        return path.read_bytes()


def _write_vector(driver: str, target: str, crs: str) -> None:
    import tempfile
    import warnings

    import pyogrio

    warnings.simplefilter("ignore")
    frame = contours_frame().to_crs(int(crs))
    if driver != "ESRI Shapefile":
        pyogrio.write_dataframe(frame, target, driver=driver)
        return
    with tempfile.TemporaryDirectory() as directory:
        pyogrio.write_dataframe(frame, Path(directory) / "communes.shp", driver=driver)
        with zipfile.ZipFile(target, "w") as archive:
            for part in sorted(Path(directory).iterdir()):
                archive.write(part, part.name)


def only_departements(codes: set[str]):
    def keep(code: str) -> bool:
        return code[:2] in codes

    return keep


def points_lines(transform) -> bytes:
    lines = points_text().splitlines()
    return ("\n".join(transform(lines)) + "\n").encode("utf-8")


def table_lines(transform) -> bytes:
    lines = table_text().splitlines()
    return ("\n".join(transform(lines)) + "\n").encode("utf-8")


def communes_variant(transform) -> bytes:
    return lzma.compress(json.dumps(transform(communes_json()), ensure_ascii=False).encode("utf-8"))


def set_population(value):
    def transform(entries):
        for entry in entries:
            if entry.get("code") == "23096" and entry.get("type") == "commune-actuelle":
                entry["population"] = value
        return entries

    return transform


def set_field_of(code, field, value):
    def transform(entries):
        for entry in entries:
            if entry.get("code") == code and entry.get("type") == "commune-actuelle":
                entry[field] = value
        return entries

    return transform


def contours_variant(transform) -> bytes:
    data = contours_json()
    data["features"] = transform(data["features"])
    return json.dumps(data).encode("utf-8")


def bowtie(features):
    """Guéret's outline drawn as a self-intersecting bow tie (a broken digitisation)."""
    for feature in features:
        if feature["properties"]["code"] == "23096":
            ring = [[1.85, 46.15], [1.90, 46.20], [1.90, 46.15], [1.85, 46.20], [1.85, 46.15]]
            feature["geometry"] = {"type": "Polygon", "coordinates": [ring]}
    return features


def set_field(line: str, index: int, value: str) -> str:
    fields = line.split(",")
    fields[index] = value
    return ",".join(fields)


def sirene_text() -> str:
    return SIRENE.read_text(encoding="utf-8")


def zonage_text() -> str:
    return ZONAGE.read_text(encoding="utf-8")


def keep_lines(text: str, keep) -> bytes:
    lines = text.splitlines()
    return ("\n".join([lines[0], *[line for line in lines[1:] if keep(line)]]) + "\n").encode("utf-8")


HUGE = 3 * 1024 * 1024
GARBAGE = bytes((i * 7919 + 13) % 256 for i in range(200_000))

# --- the corpus ---------------------------------------------------------------------------------

CASES = [
    # Legitimate files as published or re-saved: accepted, identical rows.
    Case(
        "table_cp1252_semicolon_crlf",
        "supracom",
        "supracom",
        "table.csv",
        lambda: resave(table_text(), sep=";", encoding="cp1252", newline="\r\n"),
        "same",
        what="table d’appartenance re-enregistrée par Excel : Windows-1252, « ; », fins de ligne CRLF",
    ),
    Case(
        "zonage_latin1_tab",
        "zonage",
        "main",
        "zonage.txt",
        lambda: resave(zonage_text(), sep="\t", encoding="latin-1"),
        "same",
        what="zonage ARS en Latin-1, séparé par des tabulations",
    ),
    Case(
        "table_utf8_bom",
        "supracom",
        "supracom",
        "table.csv",
        lambda: b"\xef\xbb\xbf" + table_text().encode("utf-8"),
        "same",
        what="UTF-8 avec BOM",
    ),
    Case(
        "table_utf16_excel_unicode",
        "supracom",
        "supracom",
        "table.txt",
        lambda: resave(table_text(), sep="\t", encoding="utf-16", newline="\r\n"),
        "same",
        what="Excel « Texte Unicode » : UTF-16, tabulations",
    ),
    Case(
        "table_title_lines",
        "supracom",
        "supracom",
        "table.csv",
        lambda: with_title_lines(table_text()),
        "same",
        what="CSV avec trois lignes de titre au-dessus de l’en-tête",
    ),
    Case(
        "table_insee_xlsx",
        "supracom",
        "supracom",
        "table_appartenance.xlsx",
        lambda: xlsx(table_text()),
        "same",
        what="XLSX de l’INSEE : cinq lignes de titre, feuille « COM »",
    ),
    Case(
        "table_zip",
        "supracom",
        "supracom",
        "table.zip",
        lambda: zipped("table_appartenance_geo_com_2024.csv", table_text().encode()),
        "same",
        what="CSV dans une archive zip",
    ),
    Case(
        "table_xz",
        "supracom",
        "supracom",
        "table.csv.xz",
        lambda: lzma.compress(table_text().encode()),
        "same",
        what="CSV compressé en xz",
    ),
    Case(
        "labels_excel_lost_zeros",
        "supracom",
        "bv_labels",
        "libelles.csv",
        lambda: bassins_lost_zeros(),
        "same",
        what="libellés des bassins de vie ouverts et re-enregistrés par Excel (zéros de tête perdus : 3185)",
    ),
    Case(
        "points_french_excel",
        "geo",
        "points",
        "centroides.csv",
        lambda: french_excel(
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
        "same",
        what="points des communes en Excel français : Windows-1252, « ; », virgule décimale",
    ),
    Case(
        "contours_geojson_lambert93",
        "geo",
        "contours",
        "contours_l93.geojson",
        lambda: geojson_lambert93(),
        "same",
        what="contours GeoJSON en Lambert-93 (EPSG:2154) avec CRS déclaré",
    ),
    Case(
        "contours_geojson_lambert93_metre",
        "geo",
        "contours",
        "contours_l93_m.geojson",
        lambda: geojson_lambert93(decimals=0),
        "same",
        ("contours_inchanges_a_la_tolerance_pres",),  # every outline differs by < 1 m: none rewritten
        what="contours en Lambert-93 arrondis au mètre : inchangés à la tolérance près, rien n’est réécrit",
    ),
    Case(
        "contours_geopackage_lambert93",
        "geo",
        "contours",
        "contours.gpkg",
        lambda: vector_file("GPKG", ".gpkg"),
        "same",
        what="contours GeoPackage en Lambert-93",
    ),
    Case(
        "contours_shapefile_zip",
        "geo",
        "contours",
        "contours_shp.zip",
        lambda: vector_file("ESRI Shapefile", ".shp"),
        "same",
        what="contours Shapefile zippé (.shp, .dbf, .prj…)",
    ),
    Case(
        "communes_gzip",
        "cog",
        "communes",
        "communes.json.gz",
        lambda: gzip.compress(lzma.decompress((SLICE / COMMUNES).read_bytes())),
        "same",
        what="COG communes compressé en gzip au lieu de xz",
    ),
    Case(
        "sirene_cp1252_comma",
        "gp",
        "main",
        "sirene.csv",
        lambda: french_excel(resave(sirene_text().replace(";", ","), sep=",").decode(), ["generaliste"]),
        "same",
        what="offre SIRENE re-enregistrée : Windows-1252, virgule décimale",
    ),
    Case(
        "zonage_semicolon_cp1252",
        "zonage",
        "main",
        "zonage.csv",
        lambda: resave(zonage_text(), sep=";", encoding="cp1252", newline="\r\n"),
        "same",
        what="zonage ARS en Windows-1252, « ; »",
    ),
    # Partial coverage: refused without --partiel, accepted with it, the rest untouched.
    Case(
        "communes_partial",
        "cog",
        "communes",
        "communes_23_48.json.xz",
        lambda: communes_variant(lambda es: [e for e in es if not str(e.get("code", "")).startswith("75")]),
        "refused",
        (
            "communes_23_48.json.xz",
            "ce fichier couvre 2 départements sur 3 (23, 48)",
            "utilisez --partiel pour ne mettre à jour que ceux-ci",  # imported by command only
            "marquerait obsolètes 21 communes (75 : 21)",
        ),
        what="COG de la Creuse et de la Lozère seules",
    ),
    Case(
        "communes_partial_flag",
        "cog",
        "communes",
        "communes_23_48.json.xz",
        lambda: communes_variant(lambda es: [e for e in es if not str(e.get("code", "")).startswith("75")]),
        "same",
        options={"partial": True},
        what="le même avec --partiel",
    ),
    Case(
        "contours_partial",
        "geo",
        "contours",
        "contours_23.geojson",
        lambda: contours_variant(lambda fs: [f for f in fs if f["properties"]["code"].startswith("23")]),
        "refused",
        ("contours_23.geojson", "ce fichier couvre 1 département sur 3 (23)", "redessinerait"),
        what="contours de la Creuse seule",
    ),
    Case(
        "table_partial",
        "supracom",
        "supracom",
        "table_48.csv",
        lambda: table_lines(lambda ls: [ls[0], *[x for x in ls[1:] if x.startswith("48")]]),
        "refused",
        ("table_48.csv", "ce fichier couvre 1 département sur 3 (48)"),
        what="table d’appartenance de la Lozère seule",
    ),
    Case(
        "sirene_partial",
        "gp",
        "main",
        "sirene_48.csv",
        lambda: keep_lines(sirene_text(), lambda line: line.startswith("48")),
        "refused",
        (
            "sirene_48.csv",
            "ce fichier couvre 1 département sur 3 (48)",
            "utilisez --partiel (case « fichier partiel » du dépôt)",  # the upload page takes it
            "retirerait l’offre",
        ),
        what="offre de médecins de la Lozère seule",
    ),
    Case(
        "sirene_partial_flag",
        "gp",
        "main",
        "sirene_48.csv",
        lambda: keep_lines(sirene_text(), lambda line: line.startswith("48")),
        "same",
        options={"partial": True},
        what="le même avec --partiel",
    ),
    # Bad values: refused per line/entry and field, before any write.
    Case(
        "population_not_a_number",
        "cog",
        "communes",
        "communes.json.xz",
        lambda: communes_variant(set_population("douze mille")),
        "refused",
        ("communes.json.xz", "champ « population »", "23096", "nombre attendu, lu « douze mille »"),
        what="population non numérique",
    ),
    Case(
        "population_negative",
        "cog",
        "communes",
        "communes.json.xz",
        lambda: communes_variant(set_population(-12955)),
        "refused",
        ("champ « population »", "23096", "entier positif attendu, lu « -12955 »"),
        what="population négative",
    ),
    Case(
        "commune_name_not_text",
        "cog",
        "communes",
        "communes.json.xz",
        lambda: communes_variant(set_field_of("23096", "nom", 23096)),
        "refused",
        ("communes.json.xz", "champ « nom »", "23096", "texte attendu, lu « 23096 »"),
        what="nom de commune numérique",
    ),
    Case(
        "points_bad_coordinate",
        "geo",
        "points",
        "centroides.csv",
        lambda: points_text().replace("46.17", "46.1x7", 1).encode(),
        "refused",
        ("centroides.csv, ligne", "champ « mairie_lat »", "coordonnée attendue, lu « 46.1x7"),
        what="coordonnée non numérique",
    ),
    Case(
        "points_latitude_out_of_range",
        "geo",
        "points",
        "centroides.csv",
        lambda: points_text().replace(",46.08645,", ",146.08645,", 1).encode(),
        "refused",
        ("centroides.csv, ligne 2, champ « mairie_lat »", "inférieur ou égal à 90"),
        what="latitude hors bornes",
    ),
    Case(
        "points_population_not_a_number",
        "geo",
        "points",
        "centroides.csv",
        lambda: points_lines(lambda ls: [ls[0], set_field(ls[1], 3, "douze"), *ls[2:]]),
        "same",
        ("colonnes_ignorees",),  # the population column is not read: the report says so
        what="population non numérique dans le fichier des points (colonne ignorée, dite ignorée)",
    ),
    Case(
        "points_population_negative",
        "geo",
        "points",
        "centroides.csv",
        lambda: points_lines(lambda ls: [ls[0], set_field(ls[1], 3, "-776"), *ls[2:]]),
        "same",
        ("colonnes_ignorees",),
        what="population négative dans le fichier des points (colonne ignorée, dite ignorée)",
    ),
    Case(
        "sirene_bad_number",
        "gp",
        "main",
        "sirene.csv",
        lambda: (
            sirene_text()
            .replace("23002;0.0;1.0;0.0;0.0;0.0;0.0;1.0", "23002;0.0;1.0;0.0;0.0;0.0;0.0;un", 1)
            .encode()
        ),
        "refused",
        ("sirene.csv, ligne 3, champ « generaliste »", "nombre attendu, lu « un »"),
        what="nombre de médecins non numérique",
    ),
    Case(
        "sirene_negative",
        "gp",
        "main",
        "sirene.csv",
        lambda: (
            sirene_text()
            .replace("23002;0.0;1.0;0.0;0.0;0.0;0.0;1.0", "23002;0.0;1.0;0.0;0.0;0.0;0.0;-1", 1)
            .encode()
        ),
        "refused",
        ("ligne 3, champ « generaliste »", "supérieur ou égal à 0"),
        what="nombre de médecins négatif",
    ),
    Case(
        "table_unknown_code",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_lines(lambda ls: [*ls, ls[1].replace("23001,Ahun", "23999,Nulle-Part", 1)]),
        "refused",
        (
            "table.csv, ligne 411, champ « CODGEO »",
            "code commune inconnu du COG chargé « 23999 »",
            "--ignorer-codes-inconnus",
        ),
        what="code commune inconnu du COG",
    ),
    Case(
        "table_code_99999",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_lines(lambda ls: [*ls, ls[1].replace("23001,Ahun", "99999,Nulle-Part", 1)]),
        "refused",
        (
            "table.csv, ligne 411, champ « CODGEO »",
            "code commune inconnu du COG chargé « 99999 »",
        ),
        what="code « 99999 » (département « 99 » qui n’existe pas)",
    ),
    Case(
        "table_unknown_code_flag",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_lines(lambda ls: [*ls, ls[1].replace("23001,Ahun", "23999,Nulle-Part", 1)]),
        "accepted",
        ("codes_2024_non_apparies",),
        options={"ignore_unknown": True},
        what="le même avec --ignorer-codes-inconnus (listé)",
    ),
    Case(
        "sirene_unknown_code",
        "gp",
        "main",
        "sirene.csv",
        lambda: (sirene_text() + "48999;0.0;0.0;0.0;0.0;0.0;0.0;2.0;0.0;0.0;0.0;0.0;0.0\n").encode(),
        "refused",
        ("sirene.csv", "champ « codecommuneetablissement »", "« 48999 »"),
        what="code commune inconnu (offre)",
    ),
    Case(
        "zonage_unknown_code",
        "zonage",
        "main",
        "zonage.csv",
        lambda: (zonage_text() + "75000,Nulle part,1_ZIP,,75999\n").encode(),
        "refused",
        ("zonage.csv", "champ « code_insee »", "« 75999 »"),
        what="code commune inconnu (zonage)",
    ),
    Case(
        "contours_self_intersection",
        "geo",
        "contours",
        "contours.geojson",
        lambda: contours_variant(bowtie),
        "refused",
        (
            "contours.geojson, champ « geometry »",
            "commune 23096",
            "contour invalide (Self-intersection",
            "--reparer-geometries",
        ),
        what="contour auto-intersecté",
    ),
    Case(
        "contours_self_intersection_flag",
        "geo",
        "contours",
        "contours.geojson",
        lambda: contours_variant(bowtie),
        "accepted",
        ("contours_repares",),
        options={"repair": True},
        what="le même avec --reparer-geometries (réparé et listé)",
    ),
    Case(
        "contours_lambert93_without_crs",
        "geo",
        "contours",
        "contours_l93.geojson",
        lambda: geojson_lambert93(declare_crs=False),
        "refused",
        (
            "contours_l93.geojson",
            "coordonnées métriques",
            "sans système de coordonnées déclaré",
            "EPSG::2154",
        ),
        what="contours en Lambert-93 sans CRS déclaré",
    ),
    # Broken files.
    Case(
        "table_huge_line",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_lines(lambda ls: [*ls[:5], ls[5] + "x" * HUGE, *ls[6:]]),
        "refused",
        ("table.csv, ligne 6", "caractères, au-delà de la limite"),
        what="une ligne de 3 Mo",
    ),
    Case(
        "table_huge_field",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_lines(lambda ls: [*ls[:5], set_field(ls[5], 1, '"' + "y\n" * 20000 + '"'), *ls[6:]]),
        "refused",
        ("table.csv", "caractères, au-delà de la limite", "guillemet non fermé"),
        what="un champ de 40 000 caractères sur plusieurs lignes",
    ),
    Case(
        "table_unclosed_quote",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_lines(lambda ls: [*ls[:5], set_field(ls[5], 1, '"' + ls[5].split(",")[1]), *ls[6:]]),
        "refused",
        ("table.csv, ligne 6", "guillemet"),
        what="guillemet ouvert jamais fermé",
    ),
    Case(
        "table_binary_garbage",
        "supracom",
        "supracom",
        "table.csv",
        lambda: GARBAGE,
        "refused",
        ("table.csv", "fichier binaire ou corrompu"),
        what="octets aléatoires nommés .csv",
    ),
    Case(
        "table_empty",
        "supracom",
        "supracom",
        "table.csv",
        lambda: b"",
        "refused",
        ("table.csv", "fichier vide"),
        what="fichier vide",
    ),
    Case(
        "table_header_only",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_text().split("\n", 1)[0].encode() + b"\n",
        "refused",
        ("table.csv, ligne 2", "aucune ligne de données"),
        what="en-tête seul",
    ),
    Case(
        "table_truncated_line",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_text().rstrip("\n").rsplit(",", 20)[0].encode() + b"\n",
        "refused",
        ("table.csv", "valeur vide (ligne tronquée ?)"),
        what="dernière ligne coupée",
    ),
    Case(
        "table_truncated_xz",
        "supracom",
        "supracom",
        "table.csv.xz",
        lambda: lzma.compress(table_text().encode())[:-300],
        "refused",
        ("table.csv.xz", "tronqué"),
        what="xz tronqué",
    ),
    Case(
        "table_zip_two_files",
        "supracom",
        "supracom",
        "table.zip",
        lambda: zipped("a.csv", table_text().encode(), ("b.csv", table_text().encode())),
        "refused",
        ("table.zip", "un seul fichier de données", "a.csv, b.csv"),
        what="zip de deux fichiers",
    ),
    Case(
        "table_mixed_encoding",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_text().encode("utf-8") + "23999,Évaux\n".encode("latin-1"),
        "refused",
        ("table.csv, ligne 411", "encodage mixte"),
        what="deux encodages dans un fichier",
    ),
    Case(
        "table_missing_column",
        "supracom",
        "supracom",
        "table.csv",
        lambda: table_text().replace("BV2022,LIBBV2022", "BV2020,LIBBV2022", 1).encode(),
        "refused",
        ("table.csv, ligne 1", "colonne(s) manquante(s) : BV2022"),
        what="colonne manquante",
    ),
    Case(
        "communes_truncated_json",
        "cog",
        "communes",
        "communes.json",
        lambda: lzma.decompress((SLICE / COMMUNES).read_bytes())[:-500],
        "refused",
        ("communes.json", "JSON invalide ou tronqué"),
        what="JSON tronqué",
    ),
    Case(
        "contours_truncated",
        "geo",
        "contours",
        "contours.geojson",
        lambda: lzma.decompress((SLICE / CONTOURS).read_bytes())[:-2000],
        "refused",
        ("contours.geojson", "illisible ou tronqué"),
        what="GeoJSON tronqué",
    ),
    Case(
        "contours_garbage_gpkg",
        "geo",
        "contours",
        "contours.gpkg",
        lambda: b"SQLite format 3\x00" + GARBAGE[:5000],
        "refused",
        ("contours.gpkg", "illisible ou tronqué"),
        what="GeoPackage corrompu",
    ),
]


def bassins_lost_zeros() -> bytes:
    text = (SLICE / "bassins_de_vie_2022_libelles.csv").read_text(encoding="utf-8")
    lines = text.splitlines()
    return ("\n".join([lines[0], *[line.lstrip("0") for line in lines[1:]]]) + "\n").encode("utf-8")


def write(case: Case, directory: Path) -> Path:
    path = Path(directory) / case.filename
    path.write_bytes(case.make())
    return path


def main(argv):
    if len(argv) > 1 and argv[1] == "--vector":
        _write_vector(*argv[2:5])
        return
    out = Path(argv[1] if len(argv) > 1 else "broken-corpus")
    out.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        target = out / case.name
        target.mkdir(exist_ok=True)
        path = write(case, target)
        print(f"{case.outcome:9} {case.step:9} {path} — {case.what}")


if __name__ == "__main__":
    main(sys.argv)
