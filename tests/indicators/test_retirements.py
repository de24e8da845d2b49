"""GP ages from an RPPS extraction giving the birth year (synthetic sample: the public Annuaire
santé has no age): GPs aged 65 and over leave the supply, as the DREES does (a parameter of the
run), and the what-if « départs à la retraite d’ici N ans » retires those reaching 65 in N years."""

import pytest

from indicators.models import ComputationRun, IndicatorValue
from indicators.runs import services
from indicators.simulate import whatif
from offers.importers import import_gp_supply
from offers.models import GPSupply
from territories.importing.contract import ImportRejected
from territories.models import Commune

from ..conftest import TEST_DATA

pytestmark = pytest.mark.django_db

RPPS_SAMPLE = TEST_DATA / "offers" / "annuaire_sante_synthetique.txt"
# Extraction of 2025: ages 67 (Guéret), 63 (shared Guéret / La Souterraine), 45 (Mende), 61 (Paris
# 12e), unknown (Paris 11e).
BIRTHS = {"810000000001": "1958", "810000000002": "1962", "810000000003": "1980", "810000000006": "1964"}


def with_births(tmp_path, births=BIRTHS, name="annuaire_ages_synthetique.txt"):
    lines = RPPS_SAMPLE.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + "|Année de naissance"]
    for line in lines[1:]:
        out.append(line + "|" + births.get(line.split("|")[1], ""))
    path = tmp_path / name
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def test_ages_are_imported_by_commune(tmp_path):
    dataset = import_gp_supply(with_births(tmp_path), layout="rpps", millesime="2025-01")
    rows = {r.commune_id: r for r in GPSupply.objects.filter(dataset=dataset)}
    assert rows["23096"].ages == {"63": 0.5, "67": 1.0} and rows["23096"].aged_65_plus == 1.0
    assert rows["23096"].share_aged_60_plus == 1.0
    assert rows["23176"].ages == {"63": 0.5} and rows["23176"].aged_65_plus == 0.0
    assert rows["75111"].ages is None and rows["75056"].ages == {"61": 1.0}  # Paris: its arrondissements
    assert (
        dataset.report["praticiens_d_age_connu"] == 4 and dataset.report["medecins_de_65_ans_et_plus"] == 1.0
    )
    assert import_gp_supply(with_births(tmp_path), layout="rpps", millesime="2025-01").rows_changed == 0


def test_ages_need_the_extraction_year_and_valid_values(tmp_path):
    with pytest.raises(ImportRejected, match="donnez le millésime de l’extraction"):
        import_gp_supply(with_births(tmp_path), layout="rpps")
    bad = with_births(tmp_path, {**BIRTHS, "810000000003": "19x0"})
    with pytest.raises(ImportRejected) as refused:
        import_gp_supply(bad, layout="rpps", millesime="2025-01")
    assert "ligne 5, champ « Année de naissance »" in str(refused.value) and "19x0" in str(refused.value)
    assert not GPSupply.objects.exists()


def test_supply_leaves_out_gps_aged_65_and_the_retirement_whatif(tmp_path, emergency_sites):
    import_gp_supply(with_births(tmp_path), layout="rpps", millesime="2025-01")
    run = services.recompute(ComputationRun.Trigger.TEST)
    assert run.parameters["supply"]["exclude_aged_65_plus"] is True
    assert run.parameters["supply"]["aged_65_plus_excluded"] == 1.0
    density = IndicatorValue.objects.get(
        run=run, level="commune", zone_code="23096", indicator_id="densite_mg"
    )
    population = Commune.objects.get(code="23096").population
    assert density.value == pytest.approx(0.5 / population * 1e5)  # 1.5 GPs, the one aged 67 left out
    creuse = set(Commune.objects.filter(departement_id="23").values_list("code", flat=True))
    within_5 = whatif.simulate(run, creuse, whatif.RETIRE_WITHIN, years=5)
    assert "Départ de 1,0 médecin(s) généraliste(s) atteignant 65 ans d’ici 5 an(s)" in within_5.description
    changed = {c.code for c in within_5.communes if c.delta}
    assert {"23096", "23176"} <= changed
    within_1 = whatif.simulate(run, creuse, whatif.RETIRE_WITHIN, years=1)
    assert "Aucun médecin généraliste n’atteint 65 ans d’ici 1 an(s)" in " ".join(within_1.notes)
    with pytest.raises(whatif.WhatIfError, match="entre 1 et 20"):
        whatif.simulate(run, creuse, whatif.RETIRE_WITHIN, years=0)
