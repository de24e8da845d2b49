"""An honest registry: where no registry file covers a région its offer counts read « registre
non chargé », never 0 (pages, key figures, policy tables, map layer); synthetic offers carry a
« synthétique » tag wherever they appear, and the sample is removed in one action."""

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from offers.importers import import_finess
from offers.models import Offer
from offers.registry import registry_state
from territories.zones import get_zone

from .conftest import FINESS_SAMPLE, make_offer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_a_fresh_install_says_registre_non_charge_never_zero():
    page = Client().get("/territoires/commune/23096/").content.decode()
    assert "MSP : registre non chargé" in page  # the key-figure card
    assert "MSP : 0" not in page and "CPTS : 0" not in page
    section = page[page.index('id="offres-de-soins"') :]
    assert "registre non chargé" in section and "Aucune extraction FINESS" in section
    data = Client().get(reverse("offers:zone_geojson", args=["commune", "23096"])).json()
    assert data["registry"] == {
        "loaded": False,
        "text": "registre non chargé",
        "note": registry_state(get_zone("commune", "23096")).note,
    }
    assert "Nouvelle-Aquitaine" in data["registry"]["note"]


def test_hand_entries_without_a_registry_file_are_counted_apart():
    make_offer("23096", "MSP saisie par l’ARS")
    page = Client().get("/territoires/commune/23096/").content.decode()
    assert "MSP : registre non chargé (1 saisie de l’ARS)" in page


def test_synthetic_sample_is_tagged_everywhere_and_removed_in_one_action(client, admin_user, password):
    import_finess(FINESS_SAMPLE)
    synthetic = Offer.objects.filter(dataset__is_synthetic=True)
    assert synthetic.exists()
    creuse_offer = synthetic.filter(commune__departement="23").exclude(location=None).first()
    # the région is now loaded (counts are numbers) but every synthetic row says what it is
    page = Client().get("/territoires/departement/23/").content.decode()
    section = page[page.index('id="offres-de-soins"') :]
    # loaded per kind: the sample brings MSP and a CPTS to the Creuse (said synthetic), no centre de santé
    caveat = '<span class="tag tag-warn">échantillon synthétique seulement, pas un recensement</span>'
    assert f"<strong>2</strong> {caveat}" in section  # the two MSP of the sample in the Creuse
    assert "contient des données synthétiques" in page
    section = page[page.index('id="offres-de-soins"') :]
    assert f'{creuse_offer.name}</a> <span class="tag tag-warn">synthétique</span>' in section
    detail = Client().get(creuse_offer.get_absolute_url()).content.decode()
    assert '<span class="tag tag-warn">synthétique</span>' in detail.split("</h1>")[0]
    listing = Client().get(reverse("offers:list"), {"q": creuse_offer.name}).content.decode()
    assert f'{creuse_offer.name}</a> <span class="tag tag-warn">synthétique</span>' in listing
    features = Client().get(reverse("offers:zone_geojson", args=["departement", "23"])).json()["features"]
    assert any(f["properties"]["synthetic"] for f in features)

    # removal: admins only, one action, real offers untouched
    real = make_offer("23096", "MSP réelle")
    client.login(username=admin_user.username, password=password)
    listing = client.get(reverse("offers:list")).content.decode()
    assert "Retirer l’échantillon synthétique" in listing
    response = client.post(reverse("offers:synthetic_remove"), follow=True)
    assert "Échantillon synthétique retiré" in response.content.decode()
    assert not Offer.objects.filter(dataset__is_synthetic=True).exists()
    assert Offer.objects.filter(pk=real.pk).exists()
    removed = Offer.history.filter(
        history_type="-", history_change_reason="retrait de l’échantillon synthétique"
    )
    assert removed.exists()


def test_only_admins_remove_the_sample(client, ars_na, elu, password):
    import_finess(FINESS_SAMPLE)
    total = Offer.objects.filter(dataset__is_synthetic=True).count()
    for user in (ars_na, elu):
        client.login(username=user.username, password=password)
        assert client.post(reverse("offers:synthetic_remove")).status_code == 403
        client.logout()
    assert client.post(reverse("offers:synthetic_remove")).status_code == 302  # to the login page
    assert Offer.objects.filter(dataset__is_synthetic=True).count() == total


def test_the_registry_list_says_non_charge_and_names_few_regions_only(client):
    page = client.get(reverse("offers:list")).content.decode()
    assert (
        'Maison de santé pluriprofessionnelle (MSP) : <strong class="not-loaded">registre non chargé' in page
    )
    state = registry_state(None)
    assert not state.loaded and state.total >= 3
    creuse = registry_state(get_zone("departement", "23"))
    assert creuse.where == "Nouvelle-Aquitaine" and "pour Nouvelle-Aquitaine" in creuse.note


def test_a_synthetic_sample_is_honest_per_region_and_per_kind():
    """Issue 27: a 6-row synthetic sample (Creuse: 2 MSP, 1 CPTS; Lozère: 1 MSP, 1 centre de santé)
    is no census: its counts say so, and a kind it does not bring stays « registre non chargé »."""
    from indicators.api.measures import measure

    import_finess(FINESS_SAMPLE)
    aubusson = Client().get("/territoires/commune/23008/").content.decode()
    card = aubusson[aubusson.index('id="chiffre-offre"') :]
    card = card[: card.index("</li>\n")]
    assert "MSP : 0 (échantillon synthétique seulement, pas un recensement)" in card
    assert "CPTS : 0 (échantillon synthétique seulement" in card
    assert "centres de santé : registre non chargé" in card  # none in the sample for Nouvelle-Aquitaine
    assert "MSP : 0<" not in card and "contient des données synthétiques" in card
    mende = Client().get("/territoires/commune/48095/").content.decode()
    card = mende[mende.index('id="chiffre-offre"') :]
    assert "CPTS : registre non chargé" in card[: card.index("</li>\n")]
    msp = measure("nb_msp", get_zone("commune", "23008"))
    assert msp.value == 0 and msp.is_estimate and "échantillon synthétique" in msp.note
    centres = measure("nb_centres_sante", get_zone("commune", "23008"))
    assert centres.value is None and centres.missing == "registre non chargé"
    # a real (non-synthetic) registry file would be a census: the state says which is which
    assert registry_state(get_zone("departement", "23"), Offer.Kind.MSP).synthetic
