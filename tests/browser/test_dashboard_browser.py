"""The élu's journey in chromium, on the real DREES workbook and the territory slice: the home
map, a click on the Creuse, Guéret's key figures, a comparison with La Souterraine and Aubusson,
the ranking of the Creuse communes and its XLSX export (the file's figures equal the page's); the
390-px commune page has no horizontal scroll; axe-core finds no serious violation on these pages.
Screenshots are saved under var/screenshots/ as test artefacts."""

import io
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from openpyxl import load_workbook

from tests.indicators.test_official_apl import WORKBOOK

from .conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def dashboard_data(reload_territory_slice):
    from indicators.importers import import_drees_apl
    from indicators.models import ComputationRun
    from indicators.runs import services
    from offers.importers import import_gp_supply
    from tests.indicators.conftest import SIRENE_SLICE

    import_gp_supply(SIRENE_SLICE)
    for sheet in ("APL 2022", "APL 2023"):
        import_drees_apl(WORKBOOK, sheet=sheet)
    return services.recompute(ComputationRun.Trigger.TEST)


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def test_elu_journey_from_the_map_of_france_to_an_export(browser_page, dashboard_data):
    page = browser_page
    page.goto(page.live_url + "/")
    wait_until(page, "window.franceLayer && window.franceLayer.getLayers().length > 0")
    assert "sous-dense" in page.inner_text("#france-legend")
    shot(page, "01-home-map")
    # a click on the Creuse opens its page
    page.evaluate(
        """() => window.franceLayer.eachLayer(
            l => { if (l.feature.properties.code === '23') l.fire('click'); })"""
    )
    page.wait_for_url("**/territoires/departement/23/")
    assert "Creuse" in page.inner_text("h1")
    page.goto(page.live_url + "/territoires/commune/23096/")
    card = page.inner_text("#chiffre-apl")
    assert "2,95" in card and "en baisse depuis 2022" in card and "Creuse" in card
    shot(page, "02-gueret-key-figures")
    page.click("text=Comparer avec…")
    for name in ("La Souterraine", "Aubusson"):
        page.fill("#compare-add", name)
        page.click("form.inline-filter button[type=submit]")
        page.wait_for_load_state("load")
    headers = page.inner_text(".compare-table thead")
    assert all(n in headers for n in ("Guéret", "La Souterraine", "Aubusson"))
    shot(page, "03-comparison")
    page.goto(page.live_url + "/indicateurs/classement/departement/23/")
    first = page.inner_text(".ranking-table tbody tr:first-child")
    with page.expect_download() as download:
        page.click("text=XLSX (avec la feuille « Sources »)")
    content = Path(download.value.path()).read_bytes()
    rows = list(load_workbook(io.BytesIO(content))["Indicateurs"].iter_rows(values_only=True))
    header = rows[0]
    apl = header.index(next(h for h in header if h.startswith("APL DREES 2023")))
    top = rows[1]
    assert top[0] == 1 and top[2] in first
    assert f"{top[apl]:.2f}".replace(".", ",") in first  # the file's figure is the page's
    shot(page, "04-ranking")


def test_commune_page_fits_390_px(chromium, live_server, dashboard_data):
    from .conftest import new_page

    context, page = new_page(chromium, width=390, height=900)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(live_server.url) else r.abort())
    page.goto(live_server.url + "/territoires/commune/23096/")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "05-gueret-390px")
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/territoires/commune/23096/",
        "/indicateurs/comparer/?t=commune:23096&t=commune:23176",
        "/indicateurs/classement/departement/23/",
    ],
)
def test_dashboard_pages_pass_the_accessibility_audit(browser_page, dashboard_data, path):
    page = browser_page
    page.goto(page.live_url + path)
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}})
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, [(v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in serious]


def test_pdf_fiche_and_zoomed_communes(browser_page, dashboard_data):
    from pypdf import PdfReader

    page = browser_page
    page.goto(page.live_url + "/")
    wait_until(page, "window.franceLayer && window.franceLayer.getLayers().length > 0")
    page.evaluate("window.franceMap.setView([46.17, 1.87], 9, {animate: false})")  # Guéret
    wait_until(page, "document.getElementById('france-map').dataset.communesLoaded >= 1")
    page.wait_for_timeout(300)
    assert page.evaluate("document.querySelectorAll('#france-map path.leaflet-interactive').length") > 100
    shot(page, "06-home-zoomed-communes")
    page.goto(page.live_url + "/territoires/commune/23096/")
    shown = page.inner_text("#chiffre-apl")
    with page.expect_download() as download:
        page.click("text=Fiche PDF (une page A4)")
    reader = PdfReader(download.value.path())
    assert len(reader.pages) == 1
    text = reader.pages[0].extract_text()
    assert "2,95" in text and "2,95" in shown  # the fiche's figure is the page's


def test_an_ars_agent_builds_a_perimeter_by_search_paste_and_map_click(browser_page, dashboard_data):
    from offers.models import ARSAgent
    from tests.factories import make_user

    from .conftest import login

    page = browser_page
    ARSAgent.objects.create(user=make_user("agent-per", password="motdepasse-solide-42")).regions.set(["75"])
    login(page, "agent-per", "motdepasse-solide-42")
    page.goto(page.live_url + "/indicateurs/perimetres/nouveau/")
    page.fill("#id_name", "Projet de CPTS du Pays de Guéret")
    page.fill("#id_query", "Guéret")
    page.click("button[value=add]")
    page.wait_for_load_state("load")
    assert "Guéret (23096) ajoutée." in page.inner_text("main")
    page.fill(
        "#id_codes",
        page.input_value("#id_codes") + "\n23079 23204 23177 23201 23176\n23219;23105;23141;23059",
    )
    # one more by a click on the map of the Creuse (Aubusson)
    page.select_option("#pick-departement", "23")
    wait_until(page, "window.pickLayer && window.pickLayer.getLayers().length > 100")
    page.evaluate(
        """() => window.pickLayer.eachLayer(
            l => { if (l.feature.properties.code === '23008') l.fire('click'); })"""
    )
    assert "23008" in page.input_value("#id_codes")
    assert page.evaluate("document.getElementById('pick-map').dataset.selected") == "11"
    page.click("button[value=save]")
    page.wait_for_load_state("load")
    assert "enregistré (11 communes)" in page.inner_text("main")
    assert "Moyenne des 11 communes publiées" in page.inner_text("#chiffre-apl")
    assert page.locator(".ranking-table tbody tr").count() == 11
    shot(page, "07-perimeter-dashboard")
