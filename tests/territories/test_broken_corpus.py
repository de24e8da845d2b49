"""The broken-input corpus (tests/data/make_broken_corpus.py), imported case by case over the clean
slice, on PostGIS and on SpatiaLite (``make test`` runs it on both).

Accepted variants leave the database row-for-row identical to the clean import; refused files
name file, line or object, field and reason, and leave every table byte-identical (hashed before
and after; only the failed Dataset record, the provenance of the attempt, is added)."""

import hashlib
import importlib.util
import json
import lzma

import pytest
from django.db import connection

from territories import importers
from territories.importing.contract import ImportRejected
from territories.models import BassinDeVie, Commune, Dataset, Departement, Region

pytestmark = [pytest.mark.django_db, pytest.mark.spatialite]

_spec = importlib.util.spec_from_file_location(
    "make_broken_corpus",
    __import__("pathlib").Path(__file__).parent.parent / "data" / "make_broken_corpus.py",
)
corpus = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(corpus)

STEPS = {
    "cog": importers.import_cog,
    "supracom": importers.import_supracom,
    "geo": importers.import_geometries,
}
HASHED_APPS = ("territories_", "offers_")
NOT_HASHED = {"territories_dataset"}  # a failed attempt is recorded there, by design


def table_hashes() -> dict[str, str]:
    """A hash of every row of every table of the territories and offers apps."""
    hashes = {}
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if not table.startswith(HASHED_APPS) or table in NOT_HASHED:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)} ORDER BY 1")
            digest = hashlib.sha256()
            for row in cursor.fetchall():
                digest.update(repr([bytes(v) if isinstance(v, memoryview) else v for v in row]).encode())
            hashes[table] = digest.hexdigest()
    return hashes


def baseline(step):
    """The clean state the variant is imported over (the slice is loaded for the session)."""
    if step == "gp":
        from offers.importers import import_gp_supply

        import_gp_supply(corpus.SIRENE)
    elif step == "zonage":
        from offers.importers import import_zonage

        import_zonage(corpus.ZONAGE)


def run(case, path, dry_run=False):
    options = dict(case.options)
    if case.step in STEPS:
        if case.step == "cog":
            options.pop("ignore_unknown", None)
        if case.step != "geo":
            options.pop("repair", None)
        return STEPS[case.step](corpus.SLICE, dry_run=dry_run, files={case.file: path}, **options)
    from offers.importers import import_gp_supply, import_zonage

    options.pop("repair", None)
    function = import_gp_supply if case.step == "gp" else import_zonage
    return function(path, dry_run=dry_run, **options)


@pytest.mark.parametrize("case", corpus.CASES, ids=[c.name for c in corpus.CASES])
def test_corpus_case(case, tmp_path):
    baseline(case.step)
    path = corpus.write(case, tmp_path)
    before = table_hashes()
    if case.outcome == "refused":
        with pytest.raises(ImportRejected) as refused:
            run(case, path)
        message = str(refused.value)
        for fragment in case.expected:
            assert fragment in message, message
        assert "Traceback" not in message and "Error" not in message, message
        failed = Dataset.objects.latest("pk")
        assert failed.status == Dataset.Status.FAILED and failed.message == message
        assert table_hashes() == before
        return
    dataset = run(case, path)
    assert dataset.status == Dataset.Status.SUCCEEDED, dataset.message
    if case.outcome == "same":
        assert (dataset.rows_created, dataset.rows_updated, dataset.rows_obsoleted) == (0, 0, 0), (
            dataset.report
        )
        assert table_hashes() == before  # row for row what the clean file gave
    for key in case.expected:
        assert dataset.report[key], dataset.report


def test_reading_is_recorded_in_the_report(tmp_path):
    case = next(c for c in corpus.CASES if c.name == "table_insee_xlsx")
    dataset = run(case, corpus.write(case, tmp_path))
    reading = dataset.report["lecture"]["table_appartenance.xlsx, feuille « COM »"]
    assert reading == {"format": "XLSX", "feuille": "COM", "lignes_de_titre_ignorees": 5}
    case = next(c for c in corpus.CASES if c.name == "table_cp1252_semicolon_crlf")
    dataset = run(case, corpus.write(case, tmp_path))
    assert dataset.report["lecture"]["table.csv"]["encodage"] == "Windows-1252"
    assert dataset.report["lecture"]["table.csv"]["separateur"] == "point-virgule"
    case = next(c for c in corpus.CASES if c.name == "contours_geojson_lambert93")
    dataset = run(case, corpus.write(case, tmp_path))
    assert dataset.report["lecture"]["contours_l93.geojson"]["reprojete_depuis"] == "EPSG:2154"


def test_unknown_codes_are_listed_when_ignored(tmp_path):
    case = next(c for c in corpus.CASES if c.name == "table_unknown_code_flag")
    dataset = run(case, corpus.write(case, tmp_path))
    assert dataset.report["codes_2024_non_apparies"] == ["23999"]
    case = next(c for c in corpus.CASES if c.name == "contours_self_intersection_flag")
    dataset = run(case, corpus.write(case, tmp_path))
    assert dataset.report["contours_repares"] == ["23096"]
    assert Commune.objects.get(code="23096").geometry.valid


def test_partial_outlines_redraw_only_the_zones_they_touch(tmp_path):
    """A Creuse-only outline file with --partiel: Guéret is redrawn, with Creuse, its région, EPCI
    and bassin de vie; Lozère and Paris keep their outlines, and their communes keep theirs."""
    data = json.loads(lzma.decompress((corpus.SLICE / corpus.CONTOURS).read_bytes()))
    features = [f for f in data["features"] if f["properties"]["code"].startswith("23")]
    for feature in features:
        if feature["properties"]["code"] == "23096":  # Guéret moved 1 km east
            feature["geometry"]["coordinates"] = _shift(feature["geometry"]["coordinates"], 0.013)
    data["features"] = features
    path = tmp_path / "contours_creuse.geojson"
    path.write_text(json.dumps(data))
    outlines = {
        model: dict(model.objects.values_list("code", "outline_hash"))
        for model in (Departement, Region, BassinDeVie)
    }
    others = dict(Commune.objects.exclude(departement_id="23").values_list("code", "geometry_hash"))
    with pytest.raises(ImportRejected, match="couvre 1 département sur 3"):
        importers.import_geometries(corpus.SLICE, files={"contours": path})
    dataset = importers.import_geometries(corpus.SLICE, files={"contours": path}, partial=True)
    assert dataset.report["couverture"] == "partielle" and dataset.report["departements_mis_a_jour"] == ["23"]
    assert dataset.rows_updated == 1
    assert dict(Commune.objects.exclude(departement_id="23").values_list("code", "geometry_hash")) == others
    departements = dict(Departement.objects.values_list("code", "outline_hash"))
    assert departements["23"] != outlines[Departement]["23"]
    assert (
        departements["48"] == outlines[Departement]["48"]
        and departements["75"] == outlines[Departement]["75"]
    )
    assert Region.objects.get(code="76").outline_hash == outlines[Region]["76"]  # Occitanie untouched
    assert Region.objects.get(code="75").outline_hash != outlines[Region]["75"]  # Nouvelle-Aquitaine redrawn
    # The same outlines as the whole file with the same change would give: nothing left to redraw.
    whole = json.loads(lzma.decompress((corpus.SLICE / corpus.CONTOURS).read_bytes()))
    whole["features"] = [
        f for f in whole["features"] if not f["properties"]["code"].startswith("23")
    ] + features
    path.write_text(json.dumps(whole))
    again = importers.import_geometries(corpus.SLICE, files={"contours": path})
    assert again.report["couverture"] == "nationale"
    assert (again.rows_changed, again.report["contours_de_zones_recalcules"]) == (0, 0)


def test_partial_cog_touches_only_the_communes_it_lists(tmp_path):
    entries = json.loads(lzma.decompress((corpus.SLICE / corpus.COMMUNES).read_bytes()))
    kept = [e for e in entries if not str(e.get("code", "")).startswith("75") and e.get("code") != "48001"]
    path = tmp_path / "communes_23_48.json"
    path.write_text(json.dumps(kept, ensure_ascii=False))
    dry = importers.import_cog(corpus.SLICE, dry_run=True, partial=True, files={"communes": path})
    assert dry.status == Dataset.Status.DRY_RUN
    assert dry.report["communes_obsoletes_par_departement"] == {}
    assert dry.report["communes_non_listees_laissees_telles_quelles"] == {"48": 1}
    assert dry.rows_obsoleted == 0
    with pytest.raises(ImportRejected) as refused:
        importers.import_cog(corpus.SLICE, dry_run=True, files={"communes": path})
    assert "marquerait obsolètes 22 communes (48 : 1, 75 : 21)" in str(refused.value)


def test_a_partial_cog_file_of_one_commune_leaves_the_others_untouched(tmp_path):
    """One Creuse commune, renamed, with --partiel: it alone changes; the 255 other communes of the
    Creuse (and every other row) stay as they were, active."""
    entries = json.loads(lzma.decompress((corpus.SLICE / corpus.COMMUNES).read_bytes()))
    one = [
        dict(e, nom="Guéret-Test")
        for e in entries
        if e.get("code") == "23096" and e["type"] == "commune-actuelle"
    ]
    path = tmp_path / "communes_gueret.json"
    path.write_text(json.dumps(one, ensure_ascii=False))
    others = set(Commune.objects.filter(is_active=True).exclude(code="23096").values_list("code", "name"))
    dataset = importers.import_cog(corpus.SLICE, partial=True, files={"communes": path})
    assert (dataset.rows_obsoleted, dataset.report["departements_mis_a_jour"]) == (0, ["23"])
    assert Commune.objects.get(code="23096").name == "Guéret-Test"
    assert (
        set(Commune.objects.filter(is_active=True).exclude(code="23096").values_list("code", "name"))
        == others
    )
    assert dataset.report["communes_non_listees_laissees_telles_quelles"]["23"] > 200


def _shift(coordinates, dx):
    if isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0] + dx, 5), coordinates[1]]
    return [_shift(c, dx) for c in coordinates]


def test_a_bad_population_in_the_points_file_is_reported_as_ignored(tmp_path):
    case = next(c for c in corpus.CASES if c.name == "points_population_not_a_number")
    dataset = run(case, corpus.write(case, tmp_path))
    assert "population_municipale" in dataset.report["colonnes_ignorees"]["centroides.csv"]
    assert dataset.rows_changed == 0


def test_a_code_of_no_departement_is_refused_with_file_line_and_field(tmp_path):
    case = next(c for c in corpus.CASES if c.name == "table_code_99999")
    with pytest.raises(ImportRejected) as refused:
        run(case, corpus.write(case, tmp_path))
    problem = refused.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("table.csv", 411, "CODGEO")
    assert "99999" in problem.reason
