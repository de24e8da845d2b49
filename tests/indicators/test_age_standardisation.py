"""Age-standardised APL demand: importers of the age structure and of the consumption weights
(synthetic samples), the demand formula hand-computed, its effect on APL, runs and pages."""

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from indicators.importers import age_weights_source, import_age_structure, import_age_weights
from indicators.models import AgePopulation, AgeWeight, ComputationRun, IndicatorValue
from indicators.runs import demand, services
from territories.importing.contract import ImportRejected
from territories.models import Commune, Dataset

from ..conftest import TEST_DATA

pytestmark = pytest.mark.django_db

STRUCTURE = TEST_DATA / "indicators" / "structure_age_synthetique.csv"
WEIGHTS = TEST_DATA / "indicators" / "poids_age_synthetique.csv"
W = {"0-19": 0.8, "20-59": 1.0, "60-74": 1.5, "75+": 2.5}
# The synthetic file, by hand: commune → (0-19, 20-59, 60-74, 75+)
BANDS = {
    "23001": (200, 500, 394, 300),
    "23096": (2200, 5800, 2955, 2000),
    "48001": (20, 50, 31, 30),
    "48095": (2600, 6400, 2264, 1200),
    "75101": (2500, 9500, 2114, 1000),
}


def weights_info(**kw):
    return age_weights_source(
        title="Poids synthétiques",
        publisher="tests",
        licence="aucune (échantillon synthétique)",
        millesime="2024",
        synthetic=True,
        **kw,
    )


def import_both():
    structure = import_age_structure(STRUCTURE, millesime="2021")
    weights = import_age_weights(WEIGHTS, info=weights_info())
    return structure, weights


def apl_values(run):
    return dict(
        IndicatorValue.objects.filter(run=run, level="commune", indicator_id="apl_mg").values_list(
            "zone_code", "value"
        )
    )


def test_formula_hand_computed_on_three_communes():
    # Ahun (old), Albaret-le-Comtal (old), Paris 1er (young); weights 0.8 / 1 / 1.5 / 2.5.
    # S = Σ p × w: Ahun 160 + 500 + 591 + 750 = 2001 ; Albaret 16 + 50 + 46.5 + 75 = 187.5 ;
    # Paris 1er 2000 + 9500 + 3171 + 2500 = 17171. Population 1394 + 131 + 15114 = 16639.
    frame = pd.DataFrame(
        [(c, b, p) for c in ("23001", "48001", "75101") for b, p in zip(W, BANDS[c], strict=True)],
        columns=["commune", "band", "population"],
    )
    codes = ["23001", "48001", "75101", "23002"]  # Ajain: absent from the structure
    population = np.array([1394.0, 131.0, 15114.0, 1019.0])
    result, standardised, missing = demand.standardised_demand(codes, population, frame, W)
    k = 16639 / (2001 + 187.5 + 17171)
    assert result == pytest.approx([2001 * k, 187.5 * k, 17171 * k, 1019.0], rel=1e-12)
    assert standardised == 3 and missing == ["23002"]
    assert result[0] > 1394 and result[1] > 131 and result[2] < 15114  # old ones up, young one down
    assert result[:3].sum() == pytest.approx(16639, rel=1e-12)  # total preserved


def test_import_structure_and_weights_is_idempotent_and_flagged_synthetic():
    structure, weights = import_both()
    assert structure.status == Dataset.Status.SUCCEEDED and structure.is_synthetic
    assert structure.millesime == "2021" and structure.rows_created == 20
    assert structure.report["tranches"] == ["0-19", "20-59", "60-74", "75+"]
    assert structure.report["nombre_codes_non_apparies"] == 0
    assert AgePopulation.objects.get(key="23001:75+").population == 300
    assert weights.is_synthetic and weights.licence.startswith("aucune") and weights.rows_created == 4
    assert AgeWeight.objects.get(band="75+").weight == 2.5
    again = import_age_structure(STRUCTURE, millesime="2021")
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 20)
    again = import_age_weights(WEIGHTS, info=weights_info())
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 4)


def test_comma_separator_latin1_and_unknown_commune_reported(tmp_path):
    path = tmp_path / "ages_synthetique.csv"
    text = "code_commune,tranche_age,population\n23001,moins de 60 ans,700\n23001,60 ans et plus,694\n"
    text += (
        "99999,moins de 60 ans,10\n99999,60 ans et plus,5\n23256,moins de 60 ans,1\n23256,60 ans et plus,2\n"
    )
    text += "23067,moins de 60 ans,3\n23067,60 ans et plus,4\n"
    path.write_bytes(text.encode("latin-1"))
    dataset = import_age_structure(path)
    assert dataset.status == Dataset.Status.SUCCEEDED and dataset.is_synthetic
    assert dataset.report["codes_non_apparies"] == ["99999"]
    # 23256 is an old code of 23067 (merged commune): summed band by band.
    assert dataset.report["codes_fusionnes"] == {"23067": "23067, 23256"}
    assert AgePopulation.objects.get(key="23067:60 ans et plus").population == 6
    assert AgePopulation.objects.get(key="23001:60 ans et plus").population == 694
    assert not AgePopulation.objects.filter(commune_id="99999").exists()


@pytest.mark.parametrize(
    "rows, line, field, reason",
    [
        (["23001;0-19;10", "23001;0-19;11"], 3, "tranche_age", "en double"),
        (["23001;0-19;-5"], 2, "population", "population invalide « -5 »"),
        (["23001;0-19;2.5"], 2, "population", "entier ≥ 0"),
        (["23001;0-19;"], 2, "population", "valeur vide"),
        (
            ["23001;0-19;10", "23001;20+;5", "48001;0-19;3", "48001;20-59;4"],
            4,
            "tranche_age",
            "tranches différentes",
        ),
    ],
)
def test_broken_structure_refused_with_line_and_field(tmp_path, rows, line, field, reason):
    path = tmp_path / "ages.csv"
    path.write_text("code_commune;tranche_age;population\n" + "\n".join(rows) + "\n", encoding="utf-8")
    before = AgePopulation.objects.count()
    with pytest.raises(ImportRejected) as exc:
        import_age_structure(path)
    problem = exc.value.problems[0]
    assert (problem.file, problem.line, problem.field) == ("ages.csv", line, field)
    assert reason in problem.reason
    assert AgePopulation.objects.count() == before
    assert Dataset.objects.get(source="structure-age-communes").status == Dataset.Status.FAILED


@pytest.mark.parametrize(
    "rows, line, reason",
    [(["0-19;1", "0-19;2"], 3, "en double"), (["0-19;-1"], 2, "poids invalide"), (["0-19;abc"], 2, "poids")],
)
def test_broken_weights_refused(tmp_path, rows, line, reason):
    path = tmp_path / "poids.csv"
    path.write_text("tranche_age;poids\n" + "\n".join(rows) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        import_age_weights(path, info=weights_info())
    assert exc.value.problems[0].line == line and reason in exc.value.problems[0].reason
    assert not AgeWeight.objects.exists()


def test_weights_command_requires_source_licence_millesime():
    with pytest.raises(CommandError, match="required"):
        call_command("import_age_weights", str(WEIGHTS))
    call_command(
        "import_age_weights",
        str(WEIGHTS),
        "--title=Poids synthétiques",
        "--publisher=tests",
        "--licence=aucune",
        "--millesime=2024",
    )
    dataset = Dataset.objects.get(source="poids-age-consommation")
    assert dataset.is_synthetic and dataset.millesime == "2024" and dataset.licence == "aucune"


def test_old_communes_get_higher_demand_and_lower_apl(supply, emergency_sites, client):
    raw = services.recompute(ComputationRun.Trigger.TEST)
    assert raw.parameters["apl"]["age_standardised"] is False
    structure, weights = import_both()
    run = services.recompute(ComputationRun.Trigger.TEST)
    apl = run.parameters["apl"]
    assert apl["age_standardised"] is True
    assert apl["age_structure_dataset_id"] == structure.pk and apl["age_weights_dataset_id"] == weights.pk
    assert "demande standardisée par âge" in apl["demand"] and "millésime 2021" in apl["demand"]
    atoms = services.inputs.load_atoms()
    assert apl["communes_standardised"] == 5
    assert apl["communes_not_standardised"] == len(atoms) - 5
    assert {structure, weights} <= set(run.datasets.all())

    # By hand: S = Σ p × w per commune, k = Σ p / Σ S over the 5 communes of the file.
    s = {c: sum(p * w for p, w in zip(BANDS[c], W.values(), strict=True)) for c in BANDS}
    k = sum(sum(v) for v in BANDS.values()) / sum(s.values())
    model = services.build_model(run.parameters, atoms, services.inputs.supply_of_dataset(supply.pk))
    index = atoms.index
    for code in BANDS:
        assert model["demand"][index[code]] == pytest.approx(s[code] * k, rel=1e-12)
    assert model["demand"][index["23001"]] > 1394 and model["demand"][index["75101"]] < 15114
    # National total preserved (the file's totals are the municipal populations of the slice).
    assert model["demand"].sum() == pytest.approx(atoms.frame["population"].sum(), rel=1e-12)
    assert apl["demand_total"] == pytest.approx(apl["population_total"], rel=1e-12)

    before, after = apl_values(raw), apl_values(run)
    assert after["23001"] < before["23001"]  # older than average: more demand, lower APL
    assert after["23096"] < before["23096"]
    assert after["75101"] > before["75101"]  # younger than average: less demand, higher APL
    # Density stays per 100 000 inhabitants of the municipal population.
    density = dict(
        IndicatorValue.objects.filter(
            run__in=[raw, run], zone_code="23001", indicator_id="densite_mg"
        ).values_list("run_id", "value")
    )
    assert density[raw.pk] == density[run.pk]

    page = client.get(run.get_absolute_url()).content.decode()
    assert "demande standardisée par âge" in page
    assert structure.title in page and weights.title in page
    assert "échantillon synthétique" in page
    assert f"/donnees/{structure.pk}/" in page and f"/donnees/{weights.pk}/" in page
    commune = Commune.objects.get(code="23001")
    section = client.get(commune.get_absolute_url()).content.decode()
    assert "demande standardisée par âge" in section


def test_missing_weights_no_standardisation_and_reason_shown(supply, emergency_sites, client):
    import_age_structure(STRUCTURE, millesime="2021")
    run = services.recompute(ComputationRun.Trigger.TEST)
    apl = run.parameters["apl"]
    assert apl["age_standardised"] is False
    assert "aucun poids de consommation par tranche d’âge importé" in apl["demand"]
    assert apl["communes_standardised"] == 0
    assert not run.datasets.filter(source="structure-age-communes").exists()
    page = client.get(run.get_absolute_url()).content.decode()
    assert "non standardisée par âge : aucun poids de consommation" in page


def test_weights_not_covering_bands_no_standardisation(supply, emergency_sites, tmp_path):
    import_age_structure(STRUCTURE, millesime="2021")
    path = tmp_path / "poids.csv"
    path.write_text("tranche_age;poids\n0-19;0.8\n20-59;1\n60-74;1.5\n", encoding="utf-8")
    import_age_weights(path, info=weights_info())
    run = services.recompute(ComputationRun.Trigger.TEST)
    assert run.parameters["apl"]["age_standardised"] is False
    assert "ne couvrent pas les tranches 75+" in run.parameters["apl"]["demand"]


def test_import_triggers_a_recompute_and_reimport_does_not(
    supply, emergency_sites, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        structure = import_age_structure(STRUCTURE, millesime="2021")
    assert ComputationRun.objects.get(trigger_dataset=structure).status == ComputationRun.Status.SUCCEEDED
    with django_capture_on_commit_callbacks(execute=True):
        weights = import_age_weights(WEIGHTS, info=weights_info())
    run = ComputationRun.objects.get(trigger_dataset=weights)
    assert run.status == ComputationRun.Status.SUCCEEDED and run.parameters["apl"]["age_standardised"]
    count = ComputationRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        import_age_weights(WEIGHTS, info=weights_info())
    assert ComputationRun.objects.count() == count  # nothing changed, nothing recomputed


def test_admin_upload_of_both_kinds(
    client, supply, emergency_sites, settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from indicators.models import DatasetUpload
    from tests.factories import make_user

    settings.MEDIA_ROOT = tmp_path / "media"
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    for kind, path in [("age_structure", STRUCTURE), ("age_weights", WEIGHTS)]:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                "/indicateurs/imports/",
                {"kind": kind, "file": SimpleUploadedFile(path.name, path.read_bytes()), "millesime": "2021"},
            )
        upload = DatasetUpload.objects.get(kind=kind)
        assert upload.status == DatasetUpload.Status.SUCCEEDED, upload.message
        assert upload.dataset.is_synthetic and upload.dataset.millesime == "2021"
    assert AgePopulation.objects.filter(is_active=True).count() == 20 and AgeWeight.objects.count() == 4
    weights = DatasetUpload.objects.get(kind="age_weights").dataset
    assert weights.licence == "non précisée"
    run = ComputationRun.objects.get(trigger_dataset=weights)
    assert run.parameters["apl"]["age_standardised"] is True


def test_dry_run_writes_nothing_and_admin_lists_rows_read_only(client):
    dataset = import_age_structure(STRUCTURE, dry_run=True)
    assert dataset.status == Dataset.Status.DRY_RUN and dataset.rows_created == 20
    assert not AgePopulation.objects.exists()
    import_both()
    from tests.factories import make_user

    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    page = client.get("/admin/indicators/agepopulation/").content.decode()
    assert "23001" in page and "75+" in page
    assert client.get("/admin/indicators/agepopulation/add/").status_code == 403
    assert "2,5" in client.get("/admin/indicators/ageweight/").content.decode()
