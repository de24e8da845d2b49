"""The planning page and the what-if simulation in chromium, with the Content-Security-Policy
enforced (as every browser test): the candidates' map and its legend, the curve of the plan, the
top row opened in the what-if, the what-if's class map, and a new scenario chosen by name in the
type-ahead. Any CSP violation on these pages fails the test (tests/browser/conftest.py)."""

import pytest

from tests.factories import make_user

from .conftest import login, wait_until
from .test_dashboard_browser import dashboard_data  # noqa: F401 (fixture)
from .test_staff_journeys_browser import choose_suggestion

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "motdepasse-solide-42"


def test_planning_map_and_curve_then_the_whatif_of_the_top_row(browser_page, dashboard_data):  # noqa: F811
    page = browser_page
    make_user("planificatrice", password=PASSWORD, is_staff=True)
    login(page, "planificatrice", PASSWORD)

    page.goto(page.live_url + "/indicateurs/planification/departement/23/?plan=3&besoin=1")
    # the candidates' map: every candidate drawn, coloured by score, with its legend
    wait_until(page, "document.querySelectorAll('#planning-map path.leaflet-interactive').length > 100")
    assert "les 3 meilleures" in page.inner_text("#planning-map .legend")
    assert page.locator("#planning-map path[fill='#045a8d']").count() > 0  # the darkest class
    # the plan's curve, drawn from the JSON of the page (one point per GP placed)
    assert page.locator("#planning-chart svg path").count() == 1
    assert "3 médecins" in page.text_content("#planning-chart svg")
    top = page.locator(".planning-table tbody tr").first
    name = top.locator("th").inner_text().split(" (")[0]

    # the top row's « voir l'effet détaillé » runs the what-if for that commune at once
    top.get_by_role("link").click()
    page.wait_for_load_state("load")
    result = page.inner_text(".whatif-result")
    assert f"Installation de 1 médecin généraliste à {name}" in result
    assert "l’APL passerait de" in result
    # the what-if's map: the communes drawn in their class colours after the simulation
    wait_until(page, "document.getElementById('indicators-map').dataset.drawn === '1'")
    wait_until(page, "document.querySelectorAll('#zone-map path[fill=\"#b2182b\"]').length > 10")

    # a new scenario: three GPs in Aubusson, chosen by name in the type-ahead
    choose_suggestion(page, "#whatif-commune", "Aubus", "Aubusson (commune 23008)")
    page.fill("#whatif-gps", "3")
    page.click("form.whatif-form button[type=submit]")
    page.wait_for_load_state("load")
    assert "Installation de 3 médecins généralistes à Aubusson (23008)" in page.inner_text(".whatif-result")
    wait_until(page, "document.getElementById('indicators-map').dataset.drawn === '1'")
