"""GP supply (SIRENE proxy, real file; Annuaire santé layout, synthetic) and ARS zonage (real sample)."""

import math

import pytest
from django.conf import settings

from offers import api
from offers.importers import import_gp_supply, import_zonage
from offers.models import DoctorZoning, GPSupply
from territories.importing.contract import ImportRejected
from territories.models import Dataset

from .conftest import RPPS_SAMPLE

pytestmark = pytest.mark.django_db
FIXTURES = settings.FIXTURES_DIR / "offers"


def test_sirene_proxy_maps_2019_codes_and_sums_arrondissements():
    dataset = import_gp_supply(FIXTURES / "PS_communes_sirene_2019.csv.gz")
    assert dataset.is_proxy and "SIRENE 86.21Z — proxy" in dataset.title
    assert dataset.rows_read == 20478
    rows = dict(GPSupply.objects.filter(dataset=dataset).values_list("commune_id", "headcount"))
    assert rows["23096"] == 31 and rows["48095"] == 19 and rows["75101"] == 87
    paris = sum(v for c, v in rows.items() if c.startswith("751"))
    assert rows["75056"] == pytest.approx(paris)  # the commune carries the sum of its arrondissements
    # Only communes of the test slice exist here: the other codes are reported, not invented.
    assert len(dataset.report["codes_hors_des_departements_charges"]) > 19000
    assert dataset.report["codes_non_apparies"] == []  # none unknown in the loaded départements
    # The proxy counts establishments, and its report says so (not « médecins généralistes »).
    assert "medecins_generalistes" not in dataset.report
    expected = sum(v for c, v in rows.items() if not c.startswith("751"))
    assert dataset.report["etablissements_86_21Z"] == pytest.approx(expected, abs=0.1)
    frame, current = api.current_gp_supply()
    assert current == dataset
    assert list(frame.columns) == [
        "commune_code",
        "headcount",
        "fte",
        "share_aged_60_plus",
        "aged_65_plus",
        "ages",
    ]
    assert frame["commune_code"].map(type).eq(str).all()
    assert "75101" not in set(frame["commune_code"]) and "75056" in set(frame["commune_code"])
    assert (
        frame["fte"].isna().all() and frame["share_aged_60_plus"].isna().all() and frame["ages"].isna().all()
    )
    assert frame.loc[frame["commune_code"] == "23096", "headcount"].item() == 31.0
    again = import_gp_supply(FIXTURES / "PS_communes_sirene_2019.csv.gz")
    assert again.rows_changed == 0 and not GPSupply.objects.filter(dataset=again).exists()
    assert api.current_gp_supply()[1] == dataset  # the latest dataset holding rows


def test_rpps_layout_counts_practitioners_and_loses_to_the_proxy_while_synthetic():
    proxy = import_gp_supply(FIXTURES / "PS_communes_sirene_2019.csv.gz")
    rpps = import_gp_supply(RPPS_SAMPLE, layout="rpps", millesime="2025-01")
    assert rpps.is_synthetic and not rpps.is_proxy
    rows = dict(GPSupply.objects.filter(dataset=rpps).values_list("commune_id", "headcount"))
    # One GP in Guéret, one shared between Guéret and La Souterraine (½ each); cardiologist and
    # nurse excluded; Paris 12e and 11e summed into Paris.
    assert rows == {"23096": 1.5, "23176": 0.5, "48095": 1.0, "75112": 1.0, "75111": 1.0, "75056": 2.0}
    assert rpps.report["activites_sans_commune"] == 1 and rpps.report["praticiens"] == 5
    assert (
        rpps.report["medecins_generalistes"] == 1.5 + 0.5 + 1.0 + 2.0
        and "etablissements_86_21Z" not in rpps.report
    )
    assert rpps.licence == "échantillon synthétique fabriqué pour les tests (aucune donnée réelle)"
    assert api.current_gp_supply()[1] == proxy  # a synthetic sample never replaces real data
    Dataset.objects.filter(pk=rpps.pk).update(is_synthetic=False)  # as a real extraction would be
    frame, current = api.current_gp_supply()
    assert current.pk == rpps.pk and len(frame) == 4
    assert math.isnan(frame["fte"].iloc[0])


def test_bad_number_refuses_the_file(tmp_path):
    path = tmp_path / "ps.csv"
    path.write_text("codecommuneetablissement;generaliste\n23096;3.0\n48095;beaucoup\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        import_gp_supply(path)
    assert "ligne 3" in str(exc.value) and "generaliste" in str(exc.value)
    assert not GPSupply.objects.exists()


def test_zonage_sample_and_a_later_import_of_other_departements(tmp_path):
    dataset = import_zonage(FIXTURES / "zonage_medecins_23_48_75.csv")
    assert dataset.report["departements"] == ["23", "48", "75"]
    zoning = api.current_zoning()
    assert zoning["23001"] == ("ZIP", True)
    assert zoning["75101"] == ("HZ", None) and zoning["75119"] == ("ZIP", None)
    assert "75056" not in zoning  # arrondissements differ: no single class for Paris
    assert set(DoctorZoning.Zone.labels) >= {"Zone d’intervention prioritaire"}
    count_23 = sum(1 for c in zoning if c.startswith("23"))
    assert count_23 > 200
    again = import_zonage(FIXTURES / "zonage_medecins_23_48_75.csv")
    assert again.rows_changed == 0
    # A later import covering Lozère only (one commune reclassified) leaves Creuse and Paris alone.
    lines = (FIXTURES / "zonage_medecins_23_48_75.csv").read_text(encoding="utf-8").splitlines()
    lozere = [lines[0]] + [line for line in lines[1:] if line.endswith(",48095") or ",48" in line[-6:]]
    mende = next(i for i, line in enumerate(lozere) if line.endswith(",48095"))
    parts = lozere[mende].split(",")
    parts[2] = "4_ZAR"
    lozere[mende] = ",".join(parts)
    path = tmp_path / "zonage_48.csv"
    path.write_text("\n".join(lozere) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as refused:  # never read as the zonage of all France
        import_zonage(path)
    assert "ce fichier couvre 1 département sur 3 (48) : utilisez --partiel" in str(refused.value)
    later = import_zonage(path, partial=True)
    assert later.report["departements"] == ["48"] and later.rows_updated == 1
    assert later.report["couverture"] == "partielle" and later.report["departements_mis_a_jour"] == ["48"]
    zoning = api.current_zoning()
    assert zoning["48095"][0] == "ZAR"
    assert sum(1 for c in zoning if c.startswith("23")) == count_23


def test_zonage_unknown_class_is_refused_with_its_line(tmp_path):
    path = tmp_path / "zonage.csv"
    path.write_text(
        "code_postal,nom_commune,zonage_medecins,zrr,code_insee\n"
        "23000,Guéret,1_ZIP,C - Classée en ZRR,23096\n"
        "48000,Mende,5_XYZ,,48095\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as exc:
        import_zonage(path)
    assert "ligne 3" in str(exc.value) and "5_XYZ" in str(exc.value)
    assert not DoctorZoning.objects.exists()
