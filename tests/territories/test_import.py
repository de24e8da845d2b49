"""Territorial imports on a real slice (Creuse, Lozère, Paris): counts, links, idempotency, dry run."""

import pytest

from territories import importers
from territories.models import EPCI, BassinDeVie, Commune, CommuneCodeAlias, Dataset, Departement

pytestmark = pytest.mark.django_db


def test_gueret_has_all_its_links(gueret):
    assert gueret.name == "Guéret"
    assert gueret.population == 12955
    assert gueret.postal_code_list == ["23000"]
    assert gueret.departement.name == "Creuse"
    assert gueret.departement.region.name == "Nouvelle-Aquitaine"
    assert gueret.epci.name == "CA du Grand Guéret"
    assert gueret.bassin_de_vie.name == "Guéret"
    assert gueret.aav_category == Commune.AAVCategory.CENTRE
    assert gueret.point_source == Commune.PointSource.TOWN_HALL
    assert gueret.geometry.contains(gueret.point)
    assert gueret.geometry_simplified.num_coords < gueret.geometry.num_coords


def test_slice_counts_and_arrondissements():
    creuse = Departement.objects.get(code="23")
    assert creuse.communes().count() == Commune.objects.filter(departement_id="23", kind="COM").count() > 200
    paris = Commune.objects.get(code="75056")
    assert paris.arrondissements.count() == 20
    arm = Commune.objects.get(code="75112")
    assert arm.parent_id == "75056" and arm.bassin_de_vie_id == "75056" and arm.epci_id == paris.epci_id
    assert arm.geometry is not None
    # Zone outlines are dissolved from their communes.
    assert creuse.geometry_simplified.contains(Commune.objects.get(code="23096").point)


def test_every_import_records_its_dataset():
    for source in ("insee-cog", "insee-supracom", "ign-admin-express"):
        dataset = Dataset.objects.filter(source=source, status=Dataset.Status.SUCCEEDED).latest("started_at")
        assert dataset.licence and dataset.millesime and len(dataset.checksum) == 64
        assert dataset.finished_at >= dataset.started_at
        assert dataset.rows_read > 0


def test_old_codes_are_mapped(territory_slice):
    # Communes nouvelles of Creuse: old codes point at today's commune (anciensCodes of COG 2026).
    alias = CommuneCodeAlias.objects.filter(commune__departement_id="23").first()
    assert alias is not None
    assert importers.CodeResolver.load().resolve(alias.old_code) == alias.commune_id


def test_second_import_changes_nothing(territory_slice):
    before = {
        m: list(m.objects.order_by("pk").values_list("pk", "is_active")) for m in (Commune, EPCI, BassinDeVie)
    }
    datasets = importers.import_territories(territory_slice)
    for dataset in datasets:
        assert dataset.status == Dataset.Status.SUCCEEDED
        assert dataset.rows_changed == 0, dataset.title
        assert dataset.rows_unchanged > 0
    after = {
        m: list(m.objects.order_by("pk").values_list("pk", "is_active")) for m in (Commune, EPCI, BassinDeVie)
    }
    assert before == after


def test_dry_run_writes_nothing(territory_slice):
    Commune.objects.filter(code="23096").update(population=1)
    dataset = importers.import_cog(territory_slice, dry_run=True)
    assert dataset.status == Dataset.Status.DRY_RUN
    assert dataset.rows_updated == 1  # it would repair the population…
    assert Commune.objects.get(code="23096").population == 1  # …but wrote nothing
    importers.import_cog(territory_slice)
    assert Commune.objects.get(code="23096").population == 12955


def test_commune_absent_from_a_new_file_becomes_obsolete(territory_slice, tmp_path):
    import json
    import lzma
    import shutil

    for path in territory_slice.iterdir():
        shutil.copy(path, tmp_path / path.name)
    entries = json.loads(lzma.open(territory_slice / "communes.json.xz").read())
    entries = [e for e in entries if e["code"] != "23001"]
    with lzma.open(tmp_path / "communes.json.xz", "wt") as fh:
        json.dump(entries, fh)
    dataset = importers.import_cog(tmp_path)
    assert dataset.rows_obsoleted == 1
    assert not Commune.objects.get(code="23001").is_active  # never deleted
    importers.import_cog(territory_slice)
    assert Commune.objects.get(code="23001").is_active


def test_only_imports_that_change_something_notify_listeners(
    territory_slice, django_capture_on_commit_callbacks
):
    from territories.signals import dataset_imported

    received = []

    def listener(sender, dataset, **kwargs):
        received.append(dataset.source)

    dataset_imported.connect(listener)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            importers.import_cog(territory_slice)  # unchanged: nobody needs to recompute
        assert received == []
        Commune.objects.filter(code="23096").update(population=1)
        with django_capture_on_commit_callbacks(execute=True):
            importers.import_cog(territory_slice)
        assert received == ["insee-cog"]
    finally:
        dataset_imported.disconnect(listener)
