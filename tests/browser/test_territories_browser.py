"""A person's path through the territorial pages, in Debian chromium: search, result, map, keyboard,
and an automated accessibility audit (axe-core, WCAG 2 A/AA rules) of the main pages."""

import pytest
from axe_playwright_python.sync_playwright import Axe

pytestmark = [pytest.mark.browser]


def test_search_to_commune_page_with_its_map(browser_page):
    page = browser_page
    page.goto(page.live_url + "/")
    page.fill("#q", "guerret")  # a typo, no accent
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Guéret").first.click()
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith("Guéret")
    assert "CA du Grand Guéret" in page.content()
    # The map draws the commune outline from the GeoJSON endpoint.
    page.wait_for_selector("#zone-map path.zone-outline", state="attached")


def test_departement_map_draws_every_commune_and_links_to_them(browser_page):
    page = browser_page
    page.goto(page.live_url + "/territoires/departement/23/")
    page.wait_for_selector("#zone-map path.zone-outline", state="attached", timeout=30_000)
    assert page.locator("#zone-map path.zone-outline").count() == 1
    assert page.locator("#zone-map path.zone-commune").count() == 255  # every commune of Creuse


def test_skip_link_is_first_and_reaches_the_content(browser_page):
    page = browser_page
    page.goto(page.live_url + "/territoires/commune/23096/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Aller au contenu"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?q=gueret",
        "/territoires/commune/23096/",
        "/territoires/departement/23/",
        "/territoires/region/75/",
        "/donnees/",
        "/connexion/",
    ],
)
def test_pages_pass_the_accessibility_audit(browser_page, path):
    page = browser_page
    page.goto(page.live_url + path)
    page.wait_for_load_state("load")
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in serious]
