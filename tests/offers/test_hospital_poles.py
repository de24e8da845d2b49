"""Pôles hospitaliers: SIRENE 86.10Z establishments per commune (proxy) as extra emergency sites."""

import csv
import math

import pandas as pd
import pytest
from django.conf import settings

from offers import api
from offers.importers import HOSPITALS_FILE, SIRENE_FILE, import_gp_supply, import_hospitals
from offers.models import (
    POLE_HOSPITALIER_BASIS,
    POLE_HOSPITALIER_MIN_ESTABLISHMENTS,
    GPSupply,
    HospitalActivity,
    Offer,
)
from territories import importers as territory_importers
from territories.importing.contract import ImportRejected
from territories.models import Commune, Dataset

from .conftest import make_offer

pytestmark = pytest.mark.django_db
FIXTURES = settings.FIXTURES_DIR / "offers"
SIRENE = FIXTURES / SIRENE_FILE
N = POLE_HOSPITALIER_MIN_ESTABLISHMENTS


def source_counts(prefixes=("23", "48", "75")) -> dict[str, int]:
    """The ``hopital`` column of the real file, for the communes of the test slice."""
    frame = pd.read_csv(SIRENE, sep=";", dtype={"codecommuneetablissement": str})
    frame = frame[frame["codecommuneetablissement"].str[:2].isin(prefixes) & (frame["hopital"] > 0)]
    return dict(zip(frame["codecommuneetablissement"], frame["hopital"].astype(int), strict=True))


def write_sirene(path, rows):
    lines = ["codecommuneetablissement;generaliste;hopital"]
    lines += [f"{code};{gp};{hop}" for code, gp, hop in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_real_file_stores_86_10Z_counts_in_the_same_sirene_run_idempotently():
    dataset = import_gp_supply(SIRENE)
    stored = dict(
        HospitalActivity.objects.filter(dataset=dataset).values_list("commune_id", "establishments")
    )
    expected = {c: n for c, n in source_counts().items() if Commune.objects.filter(code=c).exists()}
    assert stored == expected and stored["23096"] == 18 and stored["48095"] == 18
    assert "75056" not in stored  # Paris is given by arrondissement; no invented sum row
    assert dataset.report["etablissements_86_10Z"] == sum(expected.values())
    assert dataset.report["communes_avec_activite_hospitaliere_86_10Z"] == len(expected)
    key = f"poles_hospitaliers_proxy_au_moins_{N}_etablissements_86_10Z"
    assert dataset.report[key] == sum(1 for n in expected.values() if n >= N)
    assert dataset.rows_created == GPSupply.objects.filter(dataset=dataset).count() + len(stored)
    again = import_gp_supply(SIRENE)
    assert again.status == Dataset.Status.SUCCEEDED and again.rows_changed == 0
    assert not HospitalActivity.objects.filter(dataset=again).exists()
    assert again.report["activites_hospitalieres_identiques_au_jeu"] == dataset.pk
    assert api.current_hospital_activity_dataset() == dataset
    dry = import_gp_supply(SIRENE, dry_run=True)
    assert dry.status == Dataset.Status.DRY_RUN and HospitalActivity.objects.count() == len(stored)


def hospitals_of_the_slice(tmp_path):
    """The real public-hospital rows of Creuse, Lozère and Paris (the test DB has no other commune)."""
    with open(FIXTURES / HOSPITALS_FILE, encoding="utf-8") as fh:
        lines = fh.read().splitlines()
    header = lines[0].split(",")
    column = header.index("code_insee")
    kept = [line for line in lines[1:] if next(csv.reader([line]))[column][:2] in ("23", "48", "75")]
    path = tmp_path / HOSPITALS_FILE
    path.write_text("\n".join([lines[0], *kept]) + "\n", encoding="utf-8")
    return path


def test_real_slice_poles_at_threshold_not_below_and_no_duplicate_of_a_finess_site(tmp_path):
    import_gp_supply(SIRENE)
    counts = {c: n for c, n in source_counts().items() if Commune.objects.filter(code=c).exists()}
    above = {c for c, n in counts.items() if n >= N}
    below = {c for c, n in counts.items() if 0 < n < N}
    assert {"23096", "48095", "48092", "75113"} <= above and {"23176", "75104"} <= below
    sites = api.emergency_sites()
    poles = sites[sites["basis"] == POLE_HOSPITALIER_BASIS]
    assert set(poles["commune_code"]) == above and not below & set(sites["commune_code"])
    gueret = poles[poles["commune_code"] == "23096"].iloc[0]
    assert gueret["name"] == "Pôle hospitalier (proxy SIRENE 86.10Z, 18 établissements) — Guéret"
    point = Commune.objects.get(code="23096").point
    assert (gueret["lon"], gueret["lat"]) == (point.x, point.y)
    assert gueret["location_precision"] == "commune" and gueret["offer_id"] is None
    # The real public-hospital file has C.H. sites in Guéret, Mende and Marvejols: not duplicated.
    import_hospitals(hospitals_of_the_slice(tmp_path))
    sites = api.emergency_sites()
    registry = sites[sites["basis"] != POLE_HOSPITALIER_BASIS]
    poles = sites[sites["basis"] == POLE_HOSPITALIER_BASIS]
    assert {"23096", "48095", "48092"} <= set(registry["commune_code"])
    assert not {"23096", "48095", "48092"} & set(poles["commune_code"])
    assert set(poles["commune_code"]) == above - set(registry["commune_code"])
    assert not (set(poles["commune_code"]) & set(registry["commune_code"]))
    assert list(sites.columns) == [
        "offer_id",
        "name",
        "commune_code",
        "lon",
        "lat",
        "location_precision",
        "basis",
    ]
    assert registry["offer_id"].map(type).eq(int).all() and poles["offer_id"].isna().all()
    # offer_id stays usable in a pk__in lookup (None is ignored, NaN would raise).
    assert Offer.objects.filter(pk__in=list(sites["offer_id"])).count() == len(registry)
    assert len(api.emergency_sites(include_hospital_poles=False)) == len(registry)


def test_hand_made_file_threshold_merged_codes_and_registry_site(tmp_path):
    # 23176 has exactly N, 48061 has N - 1, 23096 has N + 5 but a declared emergency site.
    path = write_sirene(
        tmp_path / "ps.csv",
        [("23176", 1.0, float(N)), ("48061", 2.0, float(N - 1)), ("23096", 3.0, float(N + 5))],
    )
    dataset = import_gp_supply(path, partial=True)  # a hand-made file of two départements
    assert dict(
        HospitalActivity.objects.filter(dataset=dataset).values_list("commune_id", "establishments")
    ) == {
        "23176": N,
        "48061": N - 1,
        "23096": N + 5,
    }
    make_offer("23096", "Urgences de Guéret", kind=Offer.Kind.EMERGENCY)
    sites = api.emergency_sites()
    assert sorted(sites["commune_code"]) == ["23096", "23176"]
    assert sites.set_index("commune_code").loc["23096", "basis"] == ""  # the registry site, alone
    assert sites.set_index("commune_code").loc["23176", "basis"] == POLE_HOSPITALIER_BASIS
    datasets = api.emergency_site_datasets()
    assert dataset in datasets
    # Without any pôle in use, the SIRENE dataset is not a source of the emergency sites.
    assert dataset not in api.emergency_site_datasets(api.emergency_sites(include_hospital_poles=False))
    # A new file with other counts gives a new current dataset; a commune below N drops out.
    changed = write_sirene(tmp_path / "ps2.csv", [("23176", 1.0, float(N - 1)), ("48061", 2.0, float(N))])
    second = import_gp_supply(changed, partial=True)  # 2 GP supply rows + 2 rows 86.10Z
    assert second.rows_created == 2 + 2 and api.current_hospital_activity_dataset() == second
    assert sorted(api.emergency_sites()["commune_code"]) == ["23096", "48061"]
    assert api.emergency_site_datasets() == [second]  # the emergency offer has no dataset


def test_missing_hopital_column_imports_gp_supply_only(tmp_path):
    path = tmp_path / "ps.csv"
    path.write_text("codecommuneetablissement;generaliste\n23096;3.0\n", encoding="utf-8")
    dataset = import_gp_supply(path, partial=True)  # one département
    assert GPSupply.objects.filter(dataset=dataset).count() == 1
    assert (
        not HospitalActivity.objects.exists()
        and "absente" in dataset.report["activites_hospitalieres_86_10Z"]
    )
    assert api.hospital_poles().empty and api.emergency_sites().empty
    assert api.emergency_site_datasets() == []


@pytest.mark.parametrize("value", ["beaucoup", "-1", "2.5"])
def test_bad_hospital_count_refuses_the_whole_file(tmp_path, value):
    path = tmp_path / "ps.csv"
    path.write_text(
        f"codecommuneetablissement;generaliste;hopital\n23096;3.0;12.0\n48095;1.0;{value}\n", encoding="utf-8"
    )
    with pytest.raises(ImportRejected) as exc:
        import_gp_supply(path)
    assert "ligne 3" in str(exc.value) and "hopital" in str(exc.value)
    assert not GPSupply.objects.exists() and not HospitalActivity.objects.exists()


@pytest.fixture
def all_communes(db):
    """The whole COG 2026 (rolled back after the test)."""
    territory_importers.import_cog(settings.FIXTURES_DIR / "territories")


def test_university_cities_missing_from_the_finess_file_become_poles(all_communes):
    import_hospitals(FIXTURES / HOSPITALS_FILE)
    dataset = import_gp_supply(SIRENE)
    sites = api.emergency_sites()
    poles = sites[sites["basis"] == POLE_HOSPITALIER_BASIS].set_index("commune_code")
    for code, n, name in [("35238", 65, "Rennes"), ("45234", 27, "Orléans"), ("49007", 36, "Angers")]:
        assert (
            poles.loc[code, "name"] == f"Pôle hospitalier (proxy SIRENE 86.10Z, {n} établissements) — {name}"
        )
        # This test DB holds the COG only (no reference points): the pôle is kept, unlocated.
        assert math.isnan(poles.loc[code, "lon"]) and poles.loc[code, "location_precision"] == ""
    stored = HospitalActivity.objects.filter(dataset=dataset)
    at_threshold = stored.filter(establishments__gte=N)
    key = f"poles_hospitaliers_proxy_au_moins_{N}_etablissements_86_10Z"
    assert dataset.report[key] == at_threshold.count()
    covered = set(sites.loc[sites["basis"] != POLE_HOSPITALIER_BASIS, "commune_code"])
    assert len(poles) == len(set(at_threshold.values_list("commune_id", flat=True)) - covered)


def test_territory_section_shows_poles_as_a_proxy(client):
    import_gp_supply(SIRENE)
    gueret = Commune.objects.get(code="23096")
    page = client.get(gueret.get_absolute_url()).content.decode()
    assert "Pôles hospitaliers (proxy)" in page
    assert (
        "Guéret : 18 établissements d’activités hospitalières — compté comme site d’urgences (proxy)" in page
    )
    assert f"au moins {N} établissements SIRENE du code NAF 86.10Z" in page and "surestimée" in page
    make_offer("23096", "Urgences de Guéret", kind=Offer.Kind.EMERGENCY)
    page = client.get(gueret.get_absolute_url()).content.decode()
    assert "non compté : le registre a déjà un site d’urgences dans la commune" in page
    souterraine = client.get(Commune.objects.get(code="23176").get_absolute_url()).content.decode()
    assert f"Aucune commune du territoire ne compte au moins {N} établissements" in souterraine
    paris = client.get(Commune.objects.get(code="75056").get_absolute_url()).content.decode()
    thirteenth = Commune.objects.get(code="75113")
    assert f"{thirteenth.name} : 58 établissements" in paris  # arrondissements counted for Paris
