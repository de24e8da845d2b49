"""Official densities of 38 professions (Assurance Maladie 2024, real file shipped in fixtures):
import contract, sums over sums for régions and France, pages and the ranking of départements."""

import csv
import gzip
import io

import pytest
from django.conf import settings
from django.urls import reverse

from offers.demography import figures as demo
from offers.importers.ameli import AMELI_FILE, import_professions
from offers.models import ProfessionDensity
from territories.importing.contract import ImportRejected
from territories.models import Dataset, Departement

pytestmark = pytest.mark.django_db
REAL = settings.FIXTURES_DIR / "offers" / AMELI_FILE


def real_rows():
    with gzip.open(REAL, "rt", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def write(tmp_path, rows, name="ameli.csv"):
    path = tmp_path / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def add_occitanie():
    """The slice holds Lozère only: add the other départements of Occitanie (real codes and names
    of the file) so that a région is complete."""
    names = {r["departement"]: r["libelle_departement"] for r in real_rows() if r["region"] == "76"}
    for code, name in names.items():
        if code != "999":
            Departement.objects.get_or_create(code=code, defaults={"name": name, "region_id": "76"})


def test_real_file_imports_once_with_provenance_and_the_published_figures():
    dataset = import_professions(REAL)
    assert dataset.status == Dataset.Status.SUCCEEDED
    assert dataset.source == "ameli-demographie-ps" and dataset.millesime == "2024"
    assert "Licence Ouverte" in dataset.licence and len(dataset.checksum) == 64
    assert dataset.rows_read == 4560
    # the slice holds 3 départements: 38 professions each; the others are listed, not invented
    assert ProfessionDensity.objects.count() == 3 * 38 == dataset.rows_created
    assert len(dataset.report["departements_non_charges"]) == 98
    creuse = ProfessionDensity.objects.get(departement="23", profession_slug=demo.GP)
    assert (creuse.headcount, creuse.density) == (77, 67.5)
    assert creuse.population == pytest.approx(77 * 100_000 / 67.5, rel=0.002)
    paris = ProfessionDensity.objects.get(departement="75", profession_slug=demo.GP)
    assert (paris.headcount, paris.density) == (2191, 107.0)
    again = import_professions(REAL)
    assert again.status == Dataset.Status.SUCCEEDED and again.rows_changed == 0
    assert again.rows_unchanged == 3 * 38


def test_regions_and_france_are_sums_over_sums_matching_the_producers_totals():
    add_occitanie()
    dataset = import_professions(REAL)
    published = {
        (r["region"], r["profession_sante"]): (int(r["effectif"]), float(r["densite"]))
        for r in real_rows()
        if r["departement"] == "999"
    }
    occitanie = demo.zone_figures("region", "76", "2024")
    for figures in occitanie.values():
        count, density = published["76", figures["profession"]]
        assert figures["headcount"] == count
        # densities are published to 0.1: the populations they imply are as precise
        assert figures["density"] == pytest.approx(density, abs=0.06, rel=0.015)
    gp = occitanie[demo.GP]
    assert (gp["headcount"], round(gp["density"], 1)) == (5463, 88.1)
    # not the mean of the départements' densities
    deps = ProfessionDensity.objects.filter(profession_slug=demo.GP, departement__region="76")
    mean = sum(d.density for d in deps) / deps.count()
    assert abs(mean - gp["density"]) > 1
    assert "sur 38 totaux" in dataset.report["ecart_maximal_aux_totaux_publies"]


def test_bad_values_refuse_the_file_with_file_line_and_field(tmp_path):
    rows = [r for r in real_rows() if r["departement"] in ("23", "48")][:10]
    rows[2] = {**rows[2], "effectif": "douze"}
    rows[4] = {**rows[4], "densite": "-3"}
    rows[6] = {**rows[6], "departement": "XZ"}
    rows[8] = {
        **rows[8],
        "profession_sante": rows[7]["profession_sante"],
        "departement": rows[7]["departement"],
    }
    path = write(tmp_path, rows)
    with pytest.raises(ImportRejected) as refused:
        import_professions(path)
    text = str(refused.value)
    assert "ameli.csv, ligne 4, champ « effectif » : nombre attendu, lu « douze »" in text
    assert "ligne 6, champ « densite » : doit être supérieur ou égal à 0" in text
    assert "ligne 8, champ « departement » : code de département invalide « XZ »" in text
    assert "ligne 10, champ « profession_sante »" in text and "déjà donnée ligne 9" in text
    assert not ProfessionDensity.objects.exists()
    failed = Dataset.objects.get(source="ameli-demographie-ps")
    assert failed.status == Dataset.Status.FAILED and failed.report["problems"]


def test_missing_column_is_refused(tmp_path):
    rows = [{k: v for k, v in r.items() if k != "densite"} for r in real_rows()[:3]]
    with pytest.raises(ImportRejected) as refused:
        import_professions(write(tmp_path, rows))
    assert "densite" in str(refused.value)
    assert not ProfessionDensity.objects.exists()


def test_pages_show_the_official_gp_density_first_and_context_below(client):
    import_professions(REAL)
    creuse = client.get(reverse("territories:zone", args=["departement", "23"])).content.decode()
    assert "Densité de médecins généralistes (2024)" in creuse and "67,5" in creuse
    assert "officiel Assurance Maladie" in creuse and "Masseurs-kinésithérapeutes" in creuse
    gueret = client.get(reverse("territories:zone", args=["commune", "23096"])).content.decode()
    assert "Densité de médecins généralistes du département (2024)" in gueret
    assert "chiffre du département : Creuse" in gueret and "67,5" in gueret
    region = client.get(reverse("territories:zone", args=["region", "75"])).content.decode()
    assert "somme des effectifs" in region


def test_ranking_of_departements_by_profession(client):
    import_professions(REAL)
    page = client.get(reverse("offers:densities"), {"profession": demo.GP}).content.decode()
    assert page.index("Paris") < page.index("Creuse") < page.index("Lozère")  # 107,0 > 67,5 > 62,8
    ascending = client.get(reverse("offers:densities"), {"profession": demo.GP, "ordre": "asc"})
    text = ascending.content.decode()
    assert text.index("Lozère") < text.index("Creuse")
    response = client.get(reverse("offers:densities"), {"profession": "infirmiers", "format": "csv"})
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lines[0][0] == "Rang" and len(lines) == 4
    assert lines[0][4] == "Densité pour 100 000 habitants (officiel Assurance Maladie)"
    creuse_nurses = next(line for line in lines if line[1] == "23")
    published = ProfessionDensity.objects.get(departement="23", profession_slug="infirmiers").density
    assert creuse_nurses[4] == f"{published:.1f}".replace(".", ",")
    # paediatricians are counted per 100,000 children, as the producer does: the page says so
    page = client.get(reverse("offers:densities"), {"profession": "pediatres"}).content.decode()
    assert "pour 100 000 enfants" in page
    assert [line[1] for line in lines[1:]][0] in {"23", "48", "75"}


def test_comparison_ranking_and_home_carry_the_official_density(client):
    from indicators.dashboard.figures import OFFICIAL_DENSITY, figures

    import_professions(REAL)
    data = figures([("departement", "23"), ("departement", "75"), ("commune", "23096"), ("region", "75")])
    assert data["departement", "23"][OFFICIAL_DENSITY] == 67.5
    assert data["departement", "75"][OFFICIAL_DENSITY] == 107.0
    assert OFFICIAL_DENSITY not in data["commune", "23096"]  # none published below the département
    # the slice holds one département of Nouvelle-Aquitaine: the région is its sum over sums
    assert data["region", "75"][OFFICIAL_DENSITY] == pytest.approx(67.5, abs=0.05)
    page = client.get(reverse("indicators:compare"), {"t": ["departement:23", "departement:48"]})
    text = page.content.decode()
    assert "Densité de médecins généralistes (Assurance Maladie 2024)" in text
    assert "67,5" in text and "62,8" in text
    from indicators.dashboard.national import _france_density

    # three départements loaded: France is their sum over sums (77 + 48 + 2,191 GPs)
    assert _france_density()["headcount"] == "2\u202f316"


@pytest.mark.spatialite
def test_import_and_sums_over_sums_on_this_backend():
    """The same importer and aggregation on the embedded default (SpatiaLite) and on PostGIS."""
    dataset = import_professions(REAL)
    assert dataset.status == Dataset.Status.SUCCEEDED and dataset.rows_created == 3 * 38
    assert import_professions(REAL).rows_changed == 0
    assert demo.zone_figures("departement", "23", "2024")[demo.GP]["density"] == 67.5
    france = demo.densities_by("france", demo.GP, "2024")[""]
    assert france[0] == 77 + 48 + 2191
