"""ARS screens: a refusal says why on a page of the site, restore asks first, versions are labelled
to the second with author and summary, conflict decisions are in the history, and the open
conflicts are counted where agents look (menu, /offre/, home)."""

import pytest
from django.urls import reverse

from offers.models import ImportConflict
from territories.models import Dataset

from .test_perms import form_data

pytestmark = pytest.mark.django_db


def _login(client, user, password):
    client.login(username=user.username, password=password)
    return client


def test_another_regions_offer_is_refused_with_the_reason_in_the_site_layout(
    client, ars_occ, password, msp_creuse
):
    response = _login(client, ars_occ, password).get(reverse("offers:edit", args=[msp_creuse.pk]))
    page = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="fr">' in page and "Accès refusé" in page and 'id="recherche"' in page
    assert "Cette MSP relève de l’ARS Nouvelle-Aquitaine ; vos régions : Occitanie." in page


def test_an_elu_is_told_the_registry_is_edited_by_the_ars(client, elu, password, msp_creuse):
    page = _login(client, elu, password).get(reverse("offers:edit", args=[msp_creuse.pk])).content.decode()
    assert "cette MSP relève de l’ARS Nouvelle-Aquitaine" in page


def test_404_and_400_pages_use_the_layout(client):
    response = client.get("/territoires/commune/99999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "Page introuvable" in page and "Territoire introuvable" in page and 'id="recherche"' in page
    assert client.get("/pas-une-page/").status_code == 404


def test_restore_asks_for_confirmation_then_restores(client, ars_na, password, msp_creuse):
    client = _login(client, ars_na, password)
    client.post(reverse("offers:edit", args=[msp_creuse.pk]), form_data(msp_creuse, name="MSP renommée"))
    first = msp_creuse.history.order_by("history_date").first()
    url = reverse("offers:restore", args=[msp_creuse.pk, first.history_id])
    history = client.get(reverse("offers:history", args=[msp_creuse.pk])).content.decode()
    assert f'href="{url}"' in history  # a link to the confirmation, not a one-click form
    assert "ars-na — Nom modifié" in history
    stamp = first.history_date.astimezone().strftime("%H:%M:%S")
    confirm = client.get(url).content.decode()
    msp_creuse.refresh_from_db()
    assert msp_creuse.name == "MSP renommée"  # GET changes nothing
    assert "Confirmer la restauration" in confirm and "MSP renommée" in confirm and "MSP de Guéret" in confirm
    assert "à " in confirm and stamp[:5] in confirm
    assert client.post(url).status_code == 302
    msp_creuse.refresh_from_db()
    assert msp_creuse.name == "MSP de Guéret"


@pytest.mark.parametrize(
    "decision, reason", [("kept", "saisie conservée"), ("accepted", "valeur importée appliquée")]
)
def test_conflict_decisions_are_in_the_offers_history(client, ars_na, password, msp_creuse, decision, reason):
    dataset = Dataset.objects.create(source="finess-etalab", title="t", licence="LO", millesime="x")
    conflict = ImportConflict.objects.create(
        offer=msp_creuse,
        dataset=dataset,
        field="name",
        current_value=msp_creuse.name,
        imported_value="Nom FINESS",
    )
    client = _login(client, ars_na, password)
    assert "1 conflit d’import à examiner" in client.get(reverse("offers:list")).content.decode()
    home = client.get("/").content.decode()
    assert "1 conflit d’import à examiner" in home and "Nouvelle-Aquitaine" in home
    assert 'class="nav-count">1<' in home
    client.post(reverse("offers:conflict_resolve", args=[conflict.pk]), {"decision": decision})
    latest = msp_creuse.history.order_by("-history_date", "-history_id").first()
    assert latest.history_user == ars_na
    assert latest.history_change_reason.startswith(f"conflit d’import : {reason}")
    assert "« nom »" in latest.history_change_reason
    assert "Aucun conflit d’import à examiner" in client.get(reverse("offers:list")).content.decode()


def test_staff_menu_entries_follow_the_predicates(client, admin_user, ars_na, elu, password):
    assert "Conflits d’import" not in client.get("/").content.decode()
    for user, expected, absent in [
        (admin_user, ["Conflits d’import", "Imports", "Calculs"], []),
        (ars_na, ["Conflits d’import", ">Calculs<"], [">Imports<"]),  # a staff agent: can_trigger_run
        (elu, [], ["Conflits d’import", ">Imports<", ">Calculs<"]),
    ]:
        client.logout()
        page = _login(client, user, password).get("/offre/").content.decode()
        for text in expected:
            assert text in page, (user, text)
        for text in absent:
            assert text not in page, (user, text)
