"""Registry pages: history (who, which field, from where), restore, optimistic locking, form
validation next to the fields, list filters and the « Offre de soins » section of territory pages."""

import pytest
from django.conf import settings
from django.urls import reverse

from offers.importers import import_gp_supply, import_zonage
from offers.models import Offer
from territories.models import Commune

from .conftest import make_offer
from .test_perms import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def na_client(client, ars_na, password):
    client.login(username=ars_na.username, password=password)
    return client


def test_edit_writes_history_with_user_field_and_origin_then_restore(na_client, ars_na, msp_creuse):
    url = reverse("offers:edit", args=[msp_creuse.pk])
    response = na_client.post(
        url, form_data(msp_creuse, name="MSP du Grand Guéret", prof_medecin_generaliste=4)
    )
    assert response.status_code == 302
    msp_creuse.refresh_from_db()
    assert msp_creuse.version == 2 and msp_creuse.professionals == {"medecin_generaliste": 4}
    latest = msp_creuse.history.first()
    assert latest.history_user == ars_na and latest.history_change_reason == "formulaire (modification)"
    page = na_client.get(reverse("offers:history", args=[msp_creuse.pk])).content.decode()
    assert "ars-na" in page and "formulaire (modification)" in page
    assert "MSP de Guéret" in page and "MSP du Grand Guéret" in page  # before / after of the field
    first = msp_creuse.history.last()
    response = na_client.post(reverse("offers:restore", args=[msp_creuse.pk, first.history_id]))
    assert response.status_code == 302
    msp_creuse.refresh_from_db()
    assert msp_creuse.name == "MSP de Guéret" and msp_creuse.version == 3
    assert msp_creuse.history.first().history_change_reason.startswith("restauration de la version du")
    assert msp_creuse.history.count() == 3


def test_stale_concurrent_save_is_refused(client, ars_na, password, msp_creuse):
    from tests.offers.conftest import make_agent

    colleague = make_agent("ars-na-2", "75")
    first, second = client, client.__class__()
    first.login(username=ars_na.username, password=password)
    second.login(username=colleague.username, password=password)
    stale = form_data(msp_creuse)  # both opened version 1
    assert (
        first.post(reverse("offers:edit", args=[msp_creuse.pk]), {**stale, "name": "Nom A"}).status_code
        == 302
    )
    response = second.post(reverse("offers:edit", args=[msp_creuse.pk]), {**stale, "name": "Nom B"})
    assert response.status_code == 200
    assert "modifiée par quelqu’un d’autre" in response.content.decode()
    msp_creuse.refresh_from_db()
    assert msp_creuse.name == "Nom A" and msp_creuse.version == 2


def test_validation_messages_are_next_to_their_field(na_client, msp_creuse):
    response = na_client.post(
        reverse("offers:edit", args=[msp_creuse.pk]),
        form_data(msp_creuse, finess_et="230000821", commune_code="48095", subkind="cms"),
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_finess_et_error"' in page and "clé de contrôle invalide" in page
    assert 'id="id_commune_code_error"' in page and "vos régions" in page
    assert 'id="id_subkind_error"' in page


def test_commune_is_deduced_from_the_point_arrondissement_first(client, admin_user, password):
    client.login(username=admin_user.username, password=password)
    paris12 = Commune.objects.get(code="75112").point
    data = form_data(Offer(kind="centre_sante", name="CS Paris 12", commune_id="75112"), version="")
    data.update(commune_code="", latitude=paris12.y, longitude=paris12.x, subkind="cms")
    assert client.post(reverse("offers:create"), data).status_code == 302
    offer = Offer.objects.get(name="CS Paris 12")
    assert offer.commune_id == "75112" and offer.location_precision == Offer.LocationPrecision.MANUAL
    assert offer.history.get().history_user == admin_user


def test_list_defaults_to_my_regions_and_filters(na_client, msp_creuse, msp_lozere):
    page = na_client.get(reverse("offers:list")).content.decode()
    assert "MSP de Guéret" in page and "MSP de Mende" not in page
    page = na_client.get(reverse("offers:list") + "?perimetre=tout&departement=48").content.decode()
    assert "MSP de Mende" in page and "MSP de Guéret" not in page
    page = na_client.get(reverse("offers:list") + "?perimetre=tout&type=cpts").content.decode()
    assert "MSP de" not in page


def test_territory_section_lists_offers_cpts_gp_supply_and_zonage(client, msp_creuse, msp_lozere):
    cpts = make_offer("23176", "CPTS du Pays Sostranien", kind="cpts", aci_signed=True)
    cpts.perimeter.set(["23096", "23176"])
    make_offer("23096", "Ancienne MSP", status=Offer.Status.CLOSED)
    import_gp_supply(settings.FIXTURES_DIR / "offers" / "PS_communes_sirene_2019.csv.gz")
    import_zonage(settings.FIXTURES_DIR / "offers" / "zonage_medecins_23_48_75.csv")
    page = client.get(Commune.objects.get(code="23096").get_absolute_url()).content.decode()
    assert "Offre de soins" in page
    assert "MSP de Guéret" in page and "MSP de Mende" not in page and "Ancienne MSP" not in page
    assert "CPTS du Pays Sostranien" in page  # covers Guéret through its perimeter
    assert "établissements SIRENE 86.21Z — proxy" in page and "31 établissements (proxy)" in page
    assert "Zone d’intervention prioritaire" in page  # Guéret is a ZIP in the zonage file
    assert reverse("offers:zone_geojson", args=["commune", "23096"]) in page
    departement = client.get(reverse("territories:zone", args=["departement", "48"])).content.decode()
    assert "MSP de Mende" in departement and "MSP de Guéret" not in departement
    paris = client.get(reverse("territories:zone", args=["commune", "75056"])).content.decode()
    assert "Zone d’intervention prioritaire" in paris  # 19e arrondissement, counted for Paris


def test_cpts_detail_shows_population_covered(client):
    cpts = make_offer("23096", "CPTS du Grand Guéret", kind="cpts", aci_signed=False)
    cpts.perimeter.set(["23096", "23176"])
    expected = sum(Commune.objects.filter(code__in=["23096", "23176"]).values_list("population", flat=True))
    page = client.get(cpts.get_absolute_url()).content.decode()
    assert f"{expected:,}".replace(",", "\u202f") in page or f"{expected:,}".replace(",", "\xa0") in page
    assert "non signé" in page


def test_cpts_perimeter_changes_are_historised_shown_and_restored(na_client, ars_na):
    data = form_data(
        Offer(kind="cpts", name="CPTS du Grand Guéret", commune_id="23096"),
        version="",
        perimeter_codes="23096 23176",
    )
    assert na_client.post(reverse("offers:create"), data).status_code == 302
    cpts = Offer.objects.get(name="CPTS du Grand Guéret")
    assert cpts.history.get().perimeter_codes == ["23096", "23176"]  # in the creation row itself
    response = na_client.post(
        reverse("offers:edit", args=[cpts.pk]), form_data(cpts, perimeter_codes="23096 23001")
    )
    assert response.status_code == 302
    assert cpts.history.count() == 2  # one row per save, not one per M2M signal
    assert cpts.history.first().perimeter_codes == ["23001", "23096"]
    page = na_client.get(reverse("offers:history", args=[cpts.pk])).content.decode()
    souterraine, added = Commune.objects.get(code="23176").name, Commune.objects.get(code="23001").name
    assert f"retirées : {souterraine} (23176)" in page and f"ajoutées : {added} (23001)" in page
    first = cpts.history.last()
    assert na_client.post(reverse("offers:restore", args=[cpts.pk, first.history_id])).status_code == 302
    assert sorted(cpts.perimeter.values_list("code", flat=True)) == ["23096", "23176"]
    assert cpts.history.first().perimeter_codes == ["23096", "23176"]


def test_perimeter_changed_outside_a_form_still_gets_a_history_row():
    cpts = make_offer("23096", "CPTS du Grand Guéret", kind="cpts")
    cpts.perimeter.set(["23096", "23176"])
    assert cpts.history.first().perimeter_codes == ["23096", "23176"]


def test_restoring_a_perimeter_outside_the_agents_regions_is_refused(na_client, admin_user):
    cpts = make_offer("23096", "CPTS interrégionale", kind="cpts")
    cpts.perimeter.set(["23096", "48095"])  # as an admin may do
    old = cpts.history.first()
    cpts.perimeter.set(["23096"])
    response = na_client.post(reverse("offers:restore", args=[cpts.pk, old.history_id]))
    assert response.status_code == 403
    assert list(cpts.perimeter.values_list("code", flat=True)) == ["23096"]


def test_history_shows_names_and_labels_not_raw_values(na_client, msp_creuse):
    cpts = make_offer("23096", "CPTS du Grand Guéret", kind="cpts")
    response = na_client.post(
        reverse("offers:edit", args=[msp_creuse.pk]),
        form_data(msp_creuse, cpts=cpts.pk, prof_medecin_generaliste=3, prof_infirmier=2),
    )
    assert response.status_code == 302
    page = na_client.get(reverse("offers:history", args=[msp_creuse.pk])).content.decode()
    assert str(cpts) in page
    assert f">{cpts.pk}<" not in page and f"{cpts.pk:,}".replace(",", "\u202f") not in page
    assert "médecin généraliste : 3, infirmier : 2" in page
    assert "{" not in page.split('class="history"')[1]  # no Python dict
    cpts.delete()  # the CPTS no longer exists: the old value reads « — », not a number
    page = na_client.get(reverse("offers:history", args=[msp_creuse.pk])).content.decode()
    assert str(cpts) not in page and "médecin généraliste : 3" in page
