"""The real public-hospital file: 1,473 sites, each attached to its commune (arrondissements too)."""

import csv

import pytest
from django.conf import settings

from offers import api
from offers.importers import HOSPITALS_FILE, import_hospitals
from offers.models import Offer
from territories import importers as territory_importers
from territories.importing.contract import ImportRejected
from territories.models import Commune, Dataset

pytestmark = pytest.mark.django_db

HOSPITALS = settings.FIXTURES_DIR / "offers" / HOSPITALS_FILE


@pytest.fixture
def all_communes(db):
    """The whole COG 2026 (rolled back after the test): the file covers 95 départements."""
    territory_importers.import_cog(settings.FIXTURES_DIR / "territories")


def test_real_file_gives_1473_sites_each_attached_to_its_commune(all_communes):
    dataset = import_hospitals(HOSPITALS)
    assert dataset.status == Dataset.Status.SUCCEEDED
    assert dataset.rows_read == 1473 and dataset.rows_created == 1473
    hospitals = Offer.objects.filter(kind=Offer.Kind.HOSPITAL, dataset=dataset)
    assert hospitals.count() == 1473
    with open(HOSPITALS, encoding="utf-8") as fh:
        expected = {r["nofinesset"]: r["code_insee"] for r in csv.DictReader(fh)}
    stored = dict(hospitals.values_list("finess_et", "commune_id"))
    # Every code is a commune or arrondissement of COG 2026, except one commune merged since
    # (Pas-de-Calais 62549 → 62447), mapped through the COG's old codes and reported.
    assert dataset.report["anciens_codes_commune_remplaces"] == {"62549": "62447"}
    remapped = {k: dataset.report["anciens_codes_commune_remplaces"].get(v, v) for k, v in expected.items()}
    assert stored == remapped
    arrondissements = hospitals.filter(commune__kind=Commune.Kind.ARRONDISSEMENT)
    # Paris and Marseille sites carry arrondissement codes (the file has no Lyon arrondissement code).
    assert set(arrondissements.values_list("commune__parent_id", flat=True)) == {"75056", "13055"}
    assert arrondissements.count() == dataset.report["rattaches_a_un_arrondissement_municipal"] > 10
    assert hospitals.get(finess_et="230000820").commune_id == "23096"
    assert hospitals.get(finess_et="480000017").commune_id == "48095"
    # The spreadsheet float EJ numbers were repaired, and every stored number has a valid key.
    assert dataset.report["finess_ej_repares"] == 116
    assert not hospitals.filter(finess_ej__endswith=".0").exists()


def test_sites_are_placed_at_their_commune_point_and_say_so():
    import_hospitals(HOSPITALS_SLICE())
    gueret = Offer.objects.get(finess_et="230000820")
    assert gueret.location == Commune.objects.get(code="23096").point
    assert gueret.location_precision == Offer.LocationPrecision.COMMUNE
    assert "point de référence de la commune" in gueret.get_location_precision_display()
    history = gueret.history.get()
    assert history.history_change_reason.startswith("import FINESS") and history.history_user is None


def HOSPITALS_SLICE(tmp=None):
    """The real file cut to the test slice (Creuse, Lozère, Paris): real rows, unchanged."""
    path = settings.BASE_DIR / "var" / "test_hospitals_slice.csv"
    with open(HOSPITALS, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    keep = [lines[0]] + [line for line in lines[1:] if line.split(",")[10] in ("23", "48", "75")]
    path.write_text("\n".join(keep) + "\n", encoding="utf-8")
    return path


def test_reimport_changes_nothing_and_emergency_sites_are_flagged_honestly():
    first = import_hospitals(HOSPITALS_SLICE())
    second = import_hospitals(HOSPITALS_SLICE())
    assert first.rows_created > 10
    assert second.rows_changed == 0 and second.rows_unchanged == first.rows_created
    sites = api.emergency_sites()
    flagged = Offer.objects.exclude(emergency_basis="").filter(kind=Offer.Kind.HOSPITAL)
    assert set(sites["offer_id"]) == set(flagged.values_list("pk", flat=True))
    by_name = flagged.filter(emergency_basis=Offer.EmergencyBasis.NAME)
    assert all("URGENCE" in n.upper() or "SMUR" in n.upper() for n in by_name.values_list("name", flat=True))
    # The proxy: general hospitals (C.H., APE 86.10Z) such as CH Guéret; never ex-hôpitaux locaux.
    proxy = flagged.filter(emergency_basis=Offer.EmergencyBasis.CATEGORY)
    assert proxy.filter(finess_et="230000820").exists()
    assert proxy.count() + by_name.count() == len(sites)
    assert second.report["urgences_proxy_centres_hospitaliers"] == proxy.count() > 0
    assert list(sites.columns) == [
        "offer_id",
        "name",
        "commune_code",
        "lon",
        "lat",
        "location_precision",
        "basis",
    ]


def test_unknown_commune_refuses_the_file_with_its_line(tmp_path):
    bad = tmp_path / "hopitaux.csv"
    lines = HOSPITALS_SLICE().read_text(encoding="utf-8").splitlines()
    fields = lines[2].split(",")
    fields[9] = "23999"
    lines[2] = ",".join(fields)
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = Offer.objects.count()
    with pytest.raises(ImportRejected) as exc:
        import_hospitals(bad)
    assert "ligne 3" in str(exc.value) and "23999" in str(exc.value)
    assert Offer.objects.count() == before
    assert Dataset.objects.filter(source="finess-hopitaux-publics").latest("pk").status == "failed"


def test_sites_are_labelled_as_public_health_establishment_sites(tmp_path, client):
    """Guéret has the C.H. and a CIDAG screening centre: neither is called « hospitalier » blindly."""
    with open(HOSPITALS, encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        rows = [r for r in reader if r["code_insee"] == "23096"]
        fields = reader.fieldnames
    assert len(rows) == 2 and any("CIDAG" in r["rs"] for r in rows)
    subset = tmp_path / HOSPITALS_FILE
    with open(subset, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    import_hospitals(subset)
    page = client.get(Commune.objects.get(code="23096").get_absolute_url()).content.decode()
    assert "Site d’établissement public de santé (FINESS) : <strong>2</strong>" in page
    assert "Établissement hospitalier" not in page
    cidag = Offer.objects.get(finess_et="230004004")  # CIDAG du VIH et des hépatites
    assert cidag.kind_label == "Site d’établissement public de santé (FINESS)"
    assert (
        "Site d’établissement public de santé (FINESS)"
        in client.get(cidag.get_absolute_url()).content.decode()
    )
    # Entered by hand, the same kind does not claim FINESS as its source.
    hand = Offer(kind=Offer.Kind.HOSPITAL, name="Site saisi", commune_id="23096")
    assert hand.kind_label == "Site d’établissement public de santé"
