"""Issue 24, item 7: every importer says which columns of its files it did not read. The reading
layer (territories.importing) reports, per file, the columns neither required nor read as optional
(``colonnes_ignorees`` of the dataset report), so that a value there — a population that is not a
number — is never taken for a value that was checked; a column the importer reads is never listed."""

import pytest

from indicators.importers import import_age_structure, import_time_matrix, matrix_source
from offers.importers import import_finess, import_gp_supply
from territories.importers import import_cog
from territories.importing.reports import report_lines
from tests.conftest import TERRITORY_SLICE
from tests.indicators.conftest import SIRENE_SLICE
from tests.offers.conftest import FINESS_SAMPLE

pytestmark = pytest.mark.django_db


def ignored(dataset, name):
    return dataset.report.get("colonnes_ignorees", {}).get(name)


def test_gp_supply_reports_an_unread_population_column_and_not_what_it_reads(tmp_path):
    lines = SIRENE_SLICE.read_text().splitlines()
    path = tmp_path / "sirene.csv"
    path.write_text(
        "\n".join([lines[0] + ";population_municipale", *(line + ";douze" for line in lines[1:])]) + "\n"
    )
    dataset = import_gp_supply(path)
    assert dataset.status == "succeeded"
    columns = ignored(dataset, "sirene.csv")
    assert "population_municipale" in columns and "dentiste" in columns
    assert "generaliste" not in columns and "hopital" not in columns  # read (hopital: optional)
    assert "codecommuneetablissement" not in columns
    # shown on the data page as a sentence, not as a raw dictionary
    label = dict(report_lines(dataset.report))["Colonnes lues mais ignorées (non utilisées par l’import)"]
    assert label.startswith("sirene.csv : ") and "population_municipale" in label


def test_time_matrix_reports_an_extra_column_and_a_file_without_one_reports_nothing(tmp_path):
    info = matrix_source("test", synthetic=True)
    rows = [f"{o},{d},{0 if o == d else 12.5}" for o in ("23096", "23008") for d in ("23096", "23008")]
    extra = tmp_path / "matrice.csv"
    extra.write_text("origin,destination,minutes,distance_km\n" + "\n".join(r + ",abc" for r in rows) + "\n")
    dataset = import_time_matrix(extra, info=info)
    assert ignored(dataset, "matrice.csv") == ["distance_km"]
    exact = tmp_path / "exacte.csv"
    exact.write_text("origin,destination,minutes\n" + "\n".join(rows) + "\n")
    assert "colonnes_ignorees" not in import_time_matrix(exact, info=info).report


def test_age_structure_maps_its_columns_and_reports_the_others(tmp_path):
    path = tmp_path / "ages_synthetique.csv"
    path.write_text(
        "CODE_COMMUNE;Tranche_age;population;commentaire\n"
        "23001;moins de 60 ans;700;x\n23001;60 ans et plus;694;y\n"
    )
    dataset = import_age_structure(path)
    assert ignored(dataset, "ages_synthetique.csv") == ["commentaire"]


def test_cog_reports_the_keys_it_does_not_read():
    dataset = import_cog(TERRITORY_SLICE)
    communes = ignored(dataset, "communes.json.xz") or ignored(dataset, "communes.json")
    assert "siren" in communes and "region" in communes  # a commune's région is its département's
    assert not {"code", "nom", "population", "codesPostaux", "departement", "type"} & set(communes)
    assert ignored(dataset, "regions.json") == ["chefLieu", "typeLiaison", "zone"]


def test_finess_reports_the_fields_of_the_layout_it_does_not_read():
    dataset = import_finess(FINESS_SAMPLE)
    fields = ignored(dataset, FINESS_SAMPLE.name)
    assert {"telephone", "siret", "dateautor", "sourcecoordet"} <= set(fields)
    assert not {"nofinesset", "rs", "categetab", "dateouv", "coordxet"} & set(fields)
