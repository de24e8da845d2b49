"""DREES APL importer (official xlsx layout, tested on a hand-made SYNTHETIC sample and a corpus of
broken variants generated here) and its display beside the computed APL."""

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from indicators.importers import _commune_code, import_drees_apl, normalize_header
from indicators.models import ComputationRun, IndicatorValue, PublishedIndicatorValue
from indicators.official.published import published_apl
from indicators.runs import services
from territories.importing.contract import ImportRejected
from territories.models import Commune, Dataset

from ..conftest import TEST_DATA

pytestmark = pytest.mark.django_db

SAMPLE = TEST_DATA / "indicators" / "drees_apl_synthetique.xlsx"


def stored(code, variant="sans_borne", millesime="2022"):
    return PublishedIndicatorValue.objects.get(
        indicator_code="apl_mg", millesime=millesime, variant=variant, commune_id=code, is_active=True
    )


def sample_rows(sheet="APL 2022"):
    """(code, commune, APL, …) data rows of the sample, read back from the workbook."""
    workbook = load_workbook(SAMPLE, read_only=True)
    rows = list(workbook[sheet].iter_rows(values_only=True))
    workbook.close()
    header = next(i for i, r in enumerate(rows) if r[0] == "Code commune INSEE")
    return [r for r in rows[header + 1 :] if r and r[0] is not None and r[2] is not None]


def sample_rows_raw(sheet="APL 2022"):
    workbook = load_workbook(SAMPLE, read_only=True)
    rows = list(workbook[sheet].iter_rows(values_only=True))
    workbook.close()
    return rows


def test_sample_is_marked_synthetic_in_name_title_rows_and_dataset():
    assert "synthetique" in SAMPLE.name
    assert "SYNTHÉTIQUE" in sample_rows_raw()[0][0]
    dataset = import_drees_apl(SAMPLE)
    assert dataset.is_synthetic and "synthétique" in dataset.title.lower()
    assert dataset.source == "drees-apl" and dataset.publisher.startswith("DREES")
    assert "Licence Ouverte" in dataset.licence and dataset.millesime == "2022"


def test_import_sample_latest_sheet_values_merges_and_unmatched_codes():
    dataset = import_drees_apl(SAMPLE)
    assert dataset.status == Dataset.Status.SUCCEEDED
    assert dataset.report["feuille"] == "APL 2022"
    rows = {str(r[0]).zfill(5): r for r in sample_rows()}
    # as published, one value per variant
    assert stored("23096").value == rows["23096"][2]
    assert stored("23096", "moins_65").value == rows["23096"][3]
    assert stored("23096", "moins_62").value == rows["23096"][4]
    assert stored("23096").population == rows["23096"][5]
    assert stored("23096").population_kind == "population_standardisee"
    # arrondissement codes stored as numbers in Excel
    assert stored("75101").value == rows["75101"][2]
    # old codes of merged communes (COG): 48052 → Altier 48004; 23085 + 23094 → Gouzon 23093,
    # population-weighted
    assert stored("48004").value == rows["48052"][2] and stored("48004").source_codes == "48052"
    a, b = rows["23085"], rows["23094"]
    assert stored("23093").value == pytest.approx((a[2] * a[5] + b[2] * b[5]) / (a[5] + b[5]))
    assert dataset.report["codes_fusionnes"] == {"23093": "23085, 23094"}
    # a code outside the territorial base: reported with its count, not silently dropped
    assert dataset.report["codes_non_apparies"] == ["01001"]
    assert dataset.report["nombre_codes_non_apparies"] == 1
    assert dataset.report["lignes_de_notes_ignorees"] == 1
    communes = len(rows) - 1 - 1  # minus the unmatched code, two old codes become one commune
    assert dataset.rows_read == len(rows)
    assert dataset.rows_created == communes * 3 == PublishedIndicatorValue.objects.count()


def test_reimport_changes_nothing_and_dry_run_writes_nothing():
    dry = import_drees_apl(SAMPLE, dry_run=True)
    assert dry.status == Dataset.Status.DRY_RUN and not PublishedIndicatorValue.objects.exists()
    first = import_drees_apl(SAMPLE)
    again = import_drees_apl(SAMPLE)
    assert first.rows_created > 0
    assert again.rows_created == again.rows_updated == again.rows_obsoleted == 0
    assert again.rows_unchanged == first.rows_created


def test_stored_rows_point_at_existing_communes_and_their_dataset_which_stays_protected():
    """The dataset links of the published values and of their zone aggregates have no database
    constraint (one deferred check per row at commit): the importer writes its own Dataset's id,
    every commune code is resolved against the COG (the commune link keeps its constraint), and
    Django's PROTECT still keeps a Dataset with published rows from being deleted."""
    from django.db.models import ProtectedError

    from indicators.models import PublishedZoneValue

    dataset = import_drees_apl(SAMPLE)
    values = PublishedIndicatorValue.objects.all()
    zones = PublishedZoneValue.objects.all()
    assert values.exists() and zones.exists()
    assert set(values.values_list("dataset_id", flat=True)) == {dataset.pk}
    assert set(zones.values_list("dataset_id", flat=True)) == {dataset.pk}
    communes = set(values.values_list("commune_id", flat=True))
    assert Commune.objects.filter(code__in=communes).count() == len(communes)
    with pytest.raises(ProtectedError):
        Dataset.objects.get(pk=dataset.pk).delete()
    assert values.count() and Dataset.objects.filter(pk=dataset.pk).exists()


def test_other_sheet_and_header_variant_sans_borne():
    dataset = import_drees_apl(SAMPLE, sheet="APL 2021")
    assert dataset.millesime == "2021"
    rows = sample_rows("APL 2021")
    assert stored("23096", millesime="2021").value == rows[0][2]
    assert not PublishedIndicatorValue.objects.filter(variant="moins_62").exists()  # no such column
    assert PublishedIndicatorValue.objects.count() == len(rows) * 2
    overridden = import_drees_apl(SAMPLE, sheet="APL 2021", millesime="2021-bis", dry_run=True)
    assert overridden.millesime == "2021-bis"


def test_header_and_code_normalisation():
    assert normalize_header("  APL aux Médecins  généralistes (sans borne d’âge) ") == (
        "apl aux medecins generalistes sans borne d age"
    )
    assert _commune_code(1001) == "01001" and _commune_code(1001.0) == "01001"
    assert _commune_code("2a004") == "2A004" and _commune_code("Source : DREES") is None


def test_import_triggers_no_recompute(supply, django_capture_on_commit_callbacks):
    before = ComputationRun.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        dataset = import_drees_apl(SAMPLE)
    assert dataset.rows_created > 0
    assert ComputationRun.objects.count() == before


def test_published_values_never_enter_computed_runs(computed):
    before = dict(
        IndicatorValue.objects.filter(run=computed, indicator_id="apl_mg").values_list("zone_code", "value")
    )
    import_drees_apl(SAMPLE)
    run = services.recompute(ComputationRun.Trigger.TEST)
    after = dict(
        IndicatorValue.objects.filter(run=run, indicator_id="apl_mg").values_list("zone_code", "value")
    )
    assert after == before
    assert not run.datasets.filter(source="drees-apl").exists()


# --- corpus of broken variants -------------------------------------------------------------------

HEADER = [
    "Code commune INSEE",
    "Commune",
    "APL aux médecins généralistes",
    "APL aux médecins généralistes de 65 ans et moins",
    "Population totale 2020",
]
GOOD = [["23096", "Guéret", 4.1, 3.6, 12955], ["48095", "Mende", 4.6, 4.0, 12269]]


def write_book(path, rows, header=HEADER, sheet="APL 2022", title_rows=3):
    workbook = Workbook()
    ws = workbook.active
    ws.title = sheet
    for i in range(title_rows):
        ws.append([f"Ligne de titre {i + 1} — fichier de test synthétique"])
    ws.append(header)
    for row in rows:
        ws.append(row)
    workbook.save(path)
    return path


BROKEN = {
    # name: (header, rows, expected fragments of the message)
    "non_numeric": (
        HEADER,
        [GOOD[0], ["48095", "Mende", "n.d.", 4.0, 12269]],
        ["ligne 6", "APL aux médecins généralistes", "non numérique"],
    ),
    "negative": (
        HEADER,
        [GOOD[0], ["48095", "Mende", 4.6, -0.5, 12269]],
        ["ligne 6", "65 ans et moins", "négative"],
    ),
    "duplicate": (
        HEADER,
        [GOOD[0], GOOD[1], ["23096", "Guéret bis", 1.0, 1.0, 1]],
        ["ligne 7", "Code commune INSEE", "double (ligne 5)"],
    ),
    "bad_code": (
        HEADER,
        [GOOD[0], ["2309", "Mende", 4.6, 4.0, 1], ["ABCDE", "?", 1.0, 1.0, 1]],
        ["ligne 7", "code commune invalide « ABCDE »"],
    ),
    "no_code_column": (
        ["Commune", *HEADER[2:]],
        [row[1:] for row in GOOD],
        ["ligne d’en-tête introuvable", "Code commune"],
    ),
    "no_apl_column": (
        ["Code commune INSEE", "Commune", "Population totale 2020"],
        [[r[0], r[1], r[4]] for r in GOOD],
        ["ligne 4", "aucune colonne « APL"],
    ),
    "two_columns_same_role": (
        HEADER + ["APL aux medecins generalistes"],
        [r + [1.0] for r in GOOD],
        ["ligne 4", "colonne en double"],
    ),
    "bad_population": (
        HEADER,
        [GOOD[0], ["48095", "Mende", 4.6, 4.0, "beaucoup"]],
        ["ligne 6", "Population totale 2020", "population non numérique"],
    ),
}


@pytest.mark.parametrize("case", BROKEN)
def test_broken_variants_are_refused_with_line_and_column_and_nothing_written(tmp_path, case):
    header, rows, fragments = BROKEN[case]
    path = write_book(tmp_path / f"apl_{case}.xlsx", rows, header=header)
    with pytest.raises(ImportRejected) as exc:
        import_drees_apl(path)
    message = str(exc.value)
    assert f"apl_{case}.xlsx, feuille « APL 2022 »" in message
    for fragment in fragments:
        assert fragment in message, (fragment, message)
    assert not PublishedIndicatorValue.objects.exists()
    failed = Dataset.objects.get(source="drees-apl")
    assert failed.status == Dataset.Status.FAILED and failed.report["problems"]


def test_refused_file_keeps_earlier_values(tmp_path):
    first = import_drees_apl(SAMPLE)
    broken = write_book(tmp_path / "apl.xlsx", [GOOD[0], ["48095", "Mende", -1, 4.0, 1]])
    with pytest.raises(ImportRejected):
        import_drees_apl(broken)
    assert PublishedIndicatorValue.objects.filter(is_active=True).count() == first.rows_created


def test_not_an_xlsx_and_unknown_sheet(tmp_path):
    fake = tmp_path / "apl.xlsx"
    fake.write_text("Code commune INSEE;APL\n23096;4,1\n")
    with pytest.raises(ImportRejected, match="pas un classeur Excel"):
        import_drees_apl(fake)
    good = write_book(tmp_path / "ok.xlsx", GOOD)
    with pytest.raises(ImportRejected, match="feuille « APL 2030 » absente"):
        import_drees_apl(good, sheet="APL 2030")
    assert not PublishedIndicatorValue.objects.exists()


def test_tolerant_headers_text_codes_and_decimal_commas(tmp_path):
    header = [
        "  CODE COMMUNE ",
        "Libellé commune",
        "apl aux medecins generalistes (sans borne d'age)",
        "Population standardisee 2020",
    ]
    path = write_book(
        tmp_path / "apl.xlsx",
        [["23096", "Guéret", "4,25", "13 210,5"], [23008, "Aubusson", 3, None]],
        header=header,
        title_rows=8,
    )
    dataset = import_drees_apl(path, synthetic=True)
    assert dataset.is_synthetic and stored("23096").value == 4.25 and stored("23096").population == 13210.5
    # no population in the file: the portal's municipal population weights it, and says so
    assert stored("23008").population_kind == "population_municipale"
    assert stored("23008").population == Commune.objects.get(code="23008").population


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(ImportRejected, match="introuvable"):
        import_drees_apl(tmp_path / "absent.xlsx")


# --- display ------------------------------------------------------------------------------------


def fr(value):
    return f"{value:.2f}".replace(".", ",")


def test_commune_page_shows_published_beside_computed(client, computed):
    import_drees_apl(SAMPLE)
    html = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    assert "APL officielle publiée par la DREES (millésime 2022)" in html
    assert fr(stored("23096").value) in html and fr(stored("23096", "moins_65").value) in html
    computed_apl = IndicatorValue.objects.get(
        run=computed, level="commune", zone_code="23096", indicator_id="apl_mg"
    ).value
    assert fr(computed_apl) in html
    assert "échantillon synthétique" in html and "Licence Ouverte" in html
    assert "Valeur publiée pour la commune elle-même" in html


def test_zone_pages_aggregate_population_weighted_and_say_so(client, computed):
    import_drees_apl(SAMPLE)
    rows = PublishedIndicatorValue.objects.filter(commune__departement_id="23", variant="sans_borne")
    expected = sum(r.value * r.population for r in rows) / sum(r.population for r in rows)
    pub = published_apl(Commune.objects.get(code="23096").departement)
    assert pub["aggregated"] and pub["communes"] == rows.count()
    assert dict(pub["variants"])["sans borne d’âge"] == pytest.approx(expected)
    html = client.get(reverse("territories:zone", args=["departement", "23"])).content.decode()
    assert fr(expected) in html and "pondérée par la population standardisée publiée par la DREES" in html
    # Paris: the commune is made of arrondissements, aggregated from theirs
    paris = published_apl(Commune.objects.get(code="75056"))
    arms = PublishedIndicatorValue.objects.filter(commune__parent_id="75056", variant="sans_borne")
    assert paris["communes"] == arms.count() == 2
    assert dict(paris["variants"])["sans borne d’âge"] == pytest.approx(
        sum(r.value * r.population for r in arms) / sum(r.population for r in arms)
    )
    # a zone with no published commune shows nothing
    html = client.get(reverse("territories:zone", args=["commune", "23002"])).content.decode()
    assert "APL officielle publiée par la DREES (millésime" not in html


def test_definition_page_shows_published_apl(client, computed):
    url = reverse("indicators:definition", args=["apl_mg"])
    assert "Aucune APL publiée par la DREES" in client.get(url).content.decode()
    import_drees_apl(SAMPLE)
    html = client.get(url + "?commune=48095").content.decode()
    assert (
        "APL officielle publiée par la DREES (millésime 2022)" in html and fr(stored("48095").value) in html
    )
    html = client.get(url).content.decode()
    assert "moyenne de toutes les communes du fichier" in html
    densite = client.get(reverse("indicators:definition", args=["densite_mg"])).content.decode()
    assert "APL officielle publiée par la DREES (millésime" not in densite


def test_management_command(capsys):
    from django.core.management import CommandError, call_command

    call_command("import_drees_apl", str(SAMPLE), "--dry-run")
    out = capsys.readouterr().out
    assert "essai à blanc" in out and "codes_non_apparies : 1 — 01001" in out
    assert not PublishedIndicatorValue.objects.exists()
    call_command("import_drees_apl", str(SAMPLE), "--sheet", "APL 2021", "--synthetic")
    assert PublishedIndicatorValue.objects.filter(millesime="2021").exists()
    with pytest.raises(CommandError, match="rien n’a été écrit"):
        call_command("import_drees_apl", str(SAMPLE), "--sheet", "Présentation")
