"""Every commune of the COG in runs (issue 24, item 8), on the real slice: a commune re-created
since the table of 2024 (absent from it, as Celles, Chalinargues, Chavagnac and Sainte-Anastasie
re-created out of Neussargues en Pinatelle in 2026) takes its parent's bassin de vie; a commune the
outline file does not draw gets a point; both are in the next run, and the reports say so."""

import gzip
import json
import lzma

from indicators.models import Classification, ComputationRun
from indicators.runs import services
from territories import importers
from territories.models import Commune

SLICE = importers.DEFAULT_DIR.parent.parent / "tests" / "data" / "territories"
RECREATED, PARENT = "23002", "23092"  # Ajain and Glénic: CA du Grand Guéret, postal code 23380


def test_a_recreated_commune_inherits_its_parents_bassin_de_vie_and_is_in_the_run(
    tmp_path, supply, emergency_sites
):
    lines = gzip.decompress((SLICE / importers.FILES["supracom"]).read_bytes()).decode().splitlines()
    lozere_bv = next(line.split(",")[12] for line in lines[1:] if line.startswith("48095,"))
    table = [lines[0]]
    for line in lines[1:]:
        fields = line.split(",")
        if fields[0] == RECREATED:
            continue  # not yet a commune in 2024: it was part of its parent
        if fields[0] == PARENT:  # the commune nouvelle of 2024, under another name and bassin de vie
            fields[1], fields[12] = "Glénic-Ajain", lozere_bv
        table.append(",".join(fields))
    path = tmp_path / "table.csv"
    path.write_text("\n".join(table) + "\n")
    dataset = importers.import_supracom(SLICE, files={"supracom": path})
    assert dataset.report["communes_2026_sans_bassin_de_vie"] == []
    assert dataset.report["communes_retablies_rattachees_au_bassin_de_vie_du_parent"] == {
        RECREATED: f"{PARENT} (bassin de vie {lozere_bv})"
    }
    assert Commune.objects.get(code=RECREATED).bassin_de_vie_id == lozere_bv
    run = services.recompute(ComputationRun.Trigger.TEST)
    assert Classification.objects.filter(run=run, level="commune", zone_code=RECREATED).exists()


def test_a_commune_without_outline_or_point_gets_one_and_is_in_the_run(tmp_path, supply, emergency_sites):
    contours = json.loads(lzma.decompress((SLICE / importers.FILES["contours"]).read_bytes()))
    contours["features"] = [f for f in contours["features"] if f["properties"]["code"] != RECREATED]
    contours_path = tmp_path / "contours.geojson"
    contours_path.write_text(json.dumps(contours))
    lines = gzip.decompress((SLICE / importers.FILES["points"]).read_bytes()).decode().splitlines()
    points_path = tmp_path / "points.csv"
    points_path.write_text("\n".join(line for line in lines if not line.startswith(f"{RECREATED},")) + "\n")
    Commune.objects.filter(code=RECREATED).update(geometry=None, geometry_simplified=None, point=None)
    dataset = importers.import_geometries(SLICE, files={"contours": contours_path, "points": points_path})
    assert RECREATED in dataset.report["communes_sans_contour"]
    epci = Commune.objects.get(code=RECREATED).epci_id
    assert dataset.report["communes_sans_contour_avec_point_estime"] == {RECREATED: f"EPCI {epci}"}
    assert RECREATED not in dataset.report["communes_sans_point"]
    commune = Commune.objects.get(code=RECREATED)
    assert commune.point_source == Commune.PointSource.ESTIMATED
    assert commune.epci.geometry_simplified.contains(commune.point)
    run = services.recompute(ComputationRun.Trigger.TEST)
    assert Classification.objects.filter(run=run, level="commune", zone_code=RECREATED).exists()
