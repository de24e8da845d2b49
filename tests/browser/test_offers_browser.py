"""An ARS agent signs in, creates an MSP by clicking on the form's map, and finds it on the
commune's page (list and map layer). Map tiles are blocked (no network): the map still works."""

import pytest

from offers.models import ARSAgent, Offer
from territories.models import Commune
from tests.factories import make_user

from .conftest import login, wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "motdepasse-solide-42"


def test_ars_agent_creates_an_msp_on_the_map_and_finds_it_on_the_commune_page(browser_page):
    page = browser_page
    user = make_user("agent-na", password=PASSWORD)
    ARSAgent.objects.create(user=user).regions.set(["75"])  # Nouvelle-Aquitaine
    gueret = Commune.objects.get(code="23096")

    login(page, "agent-na", PASSWORD)
    page.goto(page.live_url + "/offre/nouvelle/")
    page.select_option("#id_kind", "msp")
    page.fill("#id_name", "MSP des Bruyères")
    page.select_option("#id_status", "projet")
    wait_until(page, "window.offerMap !== undefined")
    page.locator("#offer-map").scroll_into_view_if_needed()
    # Zoom on Guéret, then click on the map where its reference point is drawn.
    x, y = page.evaluate(
        """([lat, lon]) => {
            window.offerMap.setView([lat, lon], 13, {animate: false});
            const p = window.offerMap.latLngToContainerPoint([lat, lon]);
            const r = document.getElementById('offer-map').getBoundingClientRect();
            return [r.left + p.x, r.top + p.y];
        }""",
        [gueret.point.y, gueret.point.x],
    )
    page.mouse.click(x, y)
    assert page.locator("#offer-map .leaflet-marker-icon").count() == 1
    lat = float(page.input_value("#id_latitude"))
    lon = float(page.input_value("#id_longitude"))
    assert abs(lat - gueret.point.y) < 0.001 and abs(lon - gueret.point.x) < 0.001
    assert page.input_value("#id_commune_code") == ""  # the commune is deduced from the point
    page.click("form.offer-form button[type=submit]")
    page.wait_for_selector("h1:has-text('MSP des Bruyères')")
    assert "Guéret" in page.inner_text("main")

    offer = Offer.objects.get(name="MSP des Bruyères")
    assert offer.commune_id == "23096" and offer.kind == Offer.Kind.MSP
    assert offer.location_precision == Offer.LocationPrecision.MANUAL
    assert offer.history.get().history_user == user

    page.goto(page.live_url + gueret.get_absolute_url())
    section = page.locator("#offres-de-soins")
    assert "MSP des Bruyères" in section.inner_text()
    wait_until(page, "!!(window.offerLayers && window.offerLayers.msp)")
    assert page.evaluate("window.offerLayers.msp.layer.getLayers().length") == 1
    assert page.locator("#zone-map .leaflet-interactive").count() >= 2  # outline + the MSP marker
