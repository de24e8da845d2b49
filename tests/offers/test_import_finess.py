"""FINESS etalab layout (cs1100507) on the SYNTHETIC sample: kinds, Lambert-93 reprojection,
malformed lines refused with their line numbers, idempotency and hand edits kept as conflicts."""

import pytest
from pyproj import Transformer

from offers.importers import import_finess
from offers.models import ImportConflict, Offer
from territories.importing.contract import ImportRejected
from territories.models import Commune, Dataset

from .conftest import FINESS_SAMPLE

pytestmark = pytest.mark.django_db


def test_sample_yields_msp_centres_and_cpts_inside_their_commune():
    dataset = import_finess(FINESS_SAMPLE)
    assert dataset.status == Dataset.Status.SUCCEEDED and dataset.is_synthetic
    assert "synthétique" in dataset.title and dataset.millesime == "extraction du 2024-01-15"
    assert dataset.licence == "échantillon synthétique fabriqué pour les tests (aucune donnée réelle)"
    assert "Licence Ouverte" not in dataset.licence and "fabriqué à la main" in dataset.publisher
    offers = Offer.objects.filter(dataset=dataset)
    kinds = sorted(offers.values_list("kind", flat=True))
    assert kinds == ["centre_sante", "centre_sante", "cpts", "msp", "msp", "msp"]
    exact = offers.filter(location_precision=Offer.LocationPrecision.EXACT)
    assert exact.count() == 5
    for offer in exact.select_related("commune"):
        assert offer.commune.geometry.contains(offer.location), offer.name
    assert dataset.report["coordonnees_hors_de_la_commune"] == []
    # No geolocalisation record: placed at the commune's point, and said so.
    souterraine = offers.get(name="MSP DE LA SOUTERRAINE")
    assert souterraine.location_precision == Offer.LocationPrecision.COMMUNE
    assert souterraine.location == Commune.objects.get(code="23176").point
    cms = offers.get(commune_id="75112")
    assert cms.subkind == Offer.SubKind.MUNICIPAL and cms.commune.kind == Commune.Kind.ARRONDISSEMENT
    assert offers.get(name="MSP DE GUERET").opened_on.isoformat() == "2015-03-02"


def test_reprojection_matches_pyproj_lambert93():
    import_finess(FINESS_SAMPLE)
    mende = Offer.objects.get(name="CENTRE DE SANTE DE MENDE")
    x, y = Transformer.from_crs(4326, 2154, always_xy=True).transform(mende.location.x, mende.location.y)
    assert abs(x - 736456.2) < 0.5 and abs(y - 6381884.7) < 0.5


def test_reimport_changes_nothing_and_dry_run_writes_nothing():
    dry = import_finess(FINESS_SAMPLE, dry_run=True)
    assert dry.status == Dataset.Status.DRY_RUN and dry.rows_created == 6
    assert not Offer.objects.filter(finess_et="230090011").exists()
    import_finess(FINESS_SAMPLE)
    again = import_finess(FINESS_SAMPLE)
    assert again.rows_changed == 0 and again.rows_unchanged == 6
    assert Offer.objects.get(finess_et="230090011").history.count() == 1


def _sample_lines():
    return FINESS_SAMPLE.read_text(encoding="utf-8").splitlines()


def _write(tmp_path, lines, encoding="utf-8", name="finess_synthetique.csv"):
    path = tmp_path / name
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def _replace_field(line, index, value):
    parts = line.split(";")
    parts[index] = value
    return ";".join(parts)


def _rejected(path):
    before = Offer.objects.count()
    with pytest.raises(ImportRejected) as exc:
        import_finess(path)
    assert Offer.objects.count() == before  # nothing written
    assert Dataset.objects.filter(source="finess-etalab").latest("pk").status == Dataset.Status.FAILED
    return exc.value.problems


def test_malformed_lines_are_reported_with_line_numbers(tmp_path):
    lines = _sample_lines()
    lines[1] = _replace_field(lines[1], 1, "230090012")  # bad check digit (line 2)
    lines[2] = _replace_field(lines[2], 18, "500")  # EHPAD category: not in the registry (line 3)
    lines[4] = _replace_field(lines[4], 12, "999")  # commune 48999 does not exist (line 5)
    geo = next(i for i, line in enumerate(lines) if line.startswith("geolocalisation;480090059"))
    lines[geo] = _replace_field(lines[geo], 2, "-9000000.0")  # outside France
    problems = _rejected(_write(tmp_path, lines))
    found = {(p.line, p.field) for p in problems}
    assert (2, "nofinesset") in found
    assert (3, "categetab") in found
    assert (5, "commune") in found
    assert (geo + 1, "coordxet") in found
    reasons = " | ".join(p.reason for p in problems)
    assert "clé de contrôle" in reasons and "« 500 »" in reasons and "48999" in reasons
    assert "hors de France" in reasons


def test_truncated_line_is_refused(tmp_path):
    lines = _sample_lines()
    lines[3] = ";".join(lines[3].split(";")[:12])
    problems = _rejected(_write(tmp_path, lines))
    assert problems[0].line == 4 and "ligne tronquée" in problems[0].reason


def test_mixed_encoding_is_refused_with_the_line(tmp_path):
    lines = _sample_lines()
    raw = "\n".join(lines).encode("utf-8").split(b"\n")
    raw[4] = lines[3].replace("CENTRE DE SANTE", "CENTRE DE SANTÉ").encode("latin-1")  # one latin-1 line
    raw[1] = lines[1].replace("MSP DE GUERET", "MSP DE GUÉRET").encode("utf-8")
    path = tmp_path / "finess_synthetique.csv"
    path.write_bytes(b"\n".join(raw) + b"\n")
    problems = _rejected(path)
    assert problems[0].line == 5 and "encodage" in problems[0].reason


def test_latin1_file_is_accepted(tmp_path):
    lines = [line.replace("MSP DE GUERET", "MSP DE GUÉRET") for line in _sample_lines()]
    dataset = import_finess(_write(tmp_path, lines, encoding="latin-1"))
    assert dataset.status == Dataset.Status.SUCCEEDED
    assert Offer.objects.filter(name="MSP DE GUÉRET").exists()


def test_double_encoded_utf8_is_refused(tmp_path):
    lines = _sample_lines()
    lines[1] = lines[1].replace("MSP DE GUERET", "MSP DE GUÃ‰RET")
    problems = _rejected(_write(tmp_path, lines))
    assert problems[0].line == 2 and "doublement encodé" in problems[0].reason


def test_other_categories_can_be_skipped_for_the_national_file(tmp_path):
    lines = _sample_lines()
    lines[2] = _replace_field(lines[2], 18, "500")
    dataset = import_finess(_write(tmp_path, lines), skip_other_categories=True)
    assert dataset.report["categories_ignorees"] == {"500": 1}
    assert dataset.report["etablissements"] == 5


def test_reimport_never_overwrites_a_hand_edit_silently(tmp_path):
    import_finess(FINESS_SAMPLE)
    msp = Offer.objects.get(finess_et="230090011")
    msp.name = "Maison de santé du Grand Guéret"  # hand edit
    msp.address = "2 avenue de la République 23000 Guéret"
    msp._change_reason = "formulaire (modification)"
    msp.save()
    lines = _sample_lines()
    lines[1] = lines[1].replace("MSP DE GUERET;MSP DE GUERET", "MSP GUERET CENTRE;MSP GUERET CENTRE")
    lines[1] = _replace_field(lines[1], 28, "2015-04-01")  # opening date changed too (not hand-edited)
    dataset = import_finess(_write(tmp_path, lines))
    msp.refresh_from_db()
    assert msp.name == "Maison de santé du Grand Guéret"  # kept
    assert msp.opened_on.isoformat() == "2015-04-01"  # untouched field follows the file
    conflict = ImportConflict.objects.get(offer=msp)
    assert (conflict.field, conflict.current_value, conflict.imported_value) == (
        "name",
        "Maison de santé du Grand Guéret",
        "MSP GUERET CENTRE",
    )
    assert dataset.report["nombre_conflits"] == 1
    assert "230090011" in dataset.report["conflits"][0]
    # The address was edited by hand but the file did not change it: no conflict for it.
    # Running the same file again raises no duplicate conflict and changes nothing.
    again = import_finess(_write(tmp_path, lines))
    assert again.rows_changed == 0 and ImportConflict.objects.filter(offer=msp).count() == 1


def test_duplicate_finess_number_is_refused_with_the_first_line(tmp_path):
    lines = _sample_lines()
    duplicate = lines[1].replace("MSP DE GUERET;MSP DE GUERET", "MSP BIS;MSP BIS")
    lines.insert(3, duplicate)  # line 4 repeats 230090011 of line 2
    problems = _rejected(_write(tmp_path, lines))
    assert [(p.line, p.field, p.reason) for p in problems] == [
        (4, "nofinesset", "numéro FINESS en double (déjà vu ligne 2)")
    ]
    assert not Offer.objects.filter(name__in=["MSP BIS", "MSP DE GUERET"]).exists()


def test_geolocalisation_without_structure_is_reported(tmp_path):
    lines = _sample_lines()
    lines.append("geolocalisation;230000820;612479.4;6562676.2;1,ATLASANTE,100,IGN;2024-01-10")
    dataset = import_finess(_write(tmp_path, lines))
    assert dataset.status == Dataset.Status.SUCCEEDED
    assert dataset.report["geolocalisation_sans_structureet"] == [f"230000820 (ligne {len(lines)})"]
    assert import_finess(FINESS_SAMPLE).report["geolocalisation_sans_structureet"] == []


@pytest.mark.parametrize("keep", [1, 0])
def test_file_without_data_row_is_refused(tmp_path, keep):
    problems = _rejected(_write(tmp_path, _sample_lines()[:keep]))  # header only / empty
    assert problems[0].reason == "aucune ligne de données (fichier vide ou tronqué ?)"


@pytest.mark.parametrize(
    "command", ["import_finess", "import_hospitals", "import_zonage", "import_gp_supply"]
)
def test_commands_accept_the_file_positionally_or_with_file(tmp_path, command):
    from django.core.management import CommandError, call_command

    missing = str(tmp_path / "absent.csv")
    for args in ([missing], ["--file", missing]):
        with pytest.raises((CommandError, ImportRejected, FileNotFoundError)) as exc:
            call_command(command, *args, "--dry-run")
        assert "absent.csv" in str(exc.value)  # the given file was the one read, both ways
    with pytest.raises(CommandError, match="Deux fichiers différents"):
        call_command(command, missing, "--file", str(tmp_path / "other.csv"))


def test_command_summary_prints_counts_of_dict_values():
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("import_finess", str(FINESS_SAMPLE), stdout=out)
    call_command("import_finess", "--file", str(FINESS_SAMPLE), stdout=out)  # same file, other form
    text = out.getvalue()
    assert "par_type : centre_sante : 2, cpts : 1, msp : 3" in text
    assert "categories_ignorees : aucun" in text
