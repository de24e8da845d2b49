"""Issue 27, the phone and the maps, in chromium with the Content-Security-Policy enforced:
- at 390 px the indicator tables of territory pages, the ranking, the comparison and the planning
  page need no sideways scroll: every table fits its box and every figure says its column; at
  1280 px the same tables stay tables;
- the territory map writes the communes' names (as text) from zoom 10, none below; a hospital
  placed at its commune's point sits beside it, and a click on the point opens the commune;
- the perimeter edit page opens its map on the perimeter's communes (fitBounds), not at zoom 5-8.
"""

import pytest

from .conftest import new_page, wait_until
from .test_dashboard_browser import dashboard_data  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_PAGES = [
    "/territoires/commune/23096/",
    "/territoires/departement/23/",
    "/indicateurs/classement/departement/23/",
    "/indicateurs/comparer/?t=commune:23096&t=departement:23",
    "/indicateurs/planification/departement/23/",
]
# every table wider than its box (or than the phone), with its caption
TOO_WIDE = """(w) => Array.from(document.querySelectorAll('table')).filter(t => t.offsetParent !== null
    && (t.scrollWidth > t.clientWidth + 1 || t.getBoundingClientRect().right > w + 1))
    .map(t => (t.caption ? t.caption.textContent.trim().slice(0, 60) : t.outerHTML.slice(0, 200)))"""
# value cells of stacked tables that do not say their column
UNLABELLED = """() => Array.from(document.querySelectorAll('table.stack-table td.num'))
    .filter(td => td.offsetParent !== null && !(td.dataset.label || '').trim()).length"""


def _page(chromium, live_server, width):
    context, page = new_page(chromium, width=width, height=900)
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(live_server.url) else r.abort())
    page.set_default_timeout(15_000)
    return context, page


def test_tables_need_no_sideways_scroll_at_390_px_and_stay_tables_at_1280(
    chromium,
    live_server,
    dashboard_data,  # noqa: F811
):
    context, page = _page(chromium, live_server, 390)
    for path in PHONE_PAGES:
        page.goto(live_server.url + path)
        page.wait_for_load_state("load")
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        assert page.evaluate(TOO_WIDE, 390) == [], path
        assert page.evaluate(UNLABELLED) == 0, path
    # Guéret's indicator table: each figure is a card line « Creuse (Département) … 2,71 »
    page.goto(live_server.url + "/territoires/commune/23096/")
    label = page.evaluate(
        """() => { const td = document.querySelector('.indicators-table tbody td.num');
                   return getComputedStyle(td, '::before').content; }"""
    )
    assert "Guéret" in label
    context.close()

    context, page = _page(chromium, live_server, 1280)
    page.goto(live_server.url + "/territoires/commune/23096/")
    page.wait_for_load_state("load")
    assert page.evaluate("getComputedStyle(document.querySelector('.indicators-table')).display") == "table"
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.indicators-table thead')).position")
        != "absolute"
    )
    assert page.evaluate(
        "getComputedStyle(document.querySelector('.indicators-table td.num'), '::before').content"
    ) in (
        "none",
        "normal",
    )
    context.close()


def test_commune_names_at_zoom_and_a_click_on_the_point_reaches_the_commune(
    chromium, live_server, reload_territory_slice
):
    from offers.models import Offer
    from tests.offers.conftest import make_offer

    hospital = make_offer("23096", name="CENTRE HOSPITALIER <b>DE GUERET</b>", kind=Offer.Kind.HOSPITAL)
    assert hospital.location_precision == Offer.LocationPrecision.COMMUNE
    context, page = _page(chromium, live_server, 1280)
    page.goto(live_server.url + "/territoires/departement/23/")
    wait_until(page, "window.offerLayers && window.communeLabels && true")
    page.evaluate("window.zoneMap.setView([46.1, 2.0], 9, {animate: false})")
    page.wait_for_timeout(200)
    assert page.locator(".commune-label").count() == 0  # the whole département: no names
    lon, lat = hospital.location.x, hospital.location.y
    page.evaluate(f"window.zoneMap.setView([{lat}, {lon}], 11, {{animate: false}})")
    page.wait_for_timeout(300)
    names = page.evaluate(
        "Array.from(document.querySelectorAll('.commune-label span')).map(s => s.textContent)"
    )
    assert "Guéret" in names and len(names) > 10
    assert page.locator(".commune-label b").count() == 0
    # the hospital's dot is beside Guéret's point; what lies on the point is the commune
    page.locator("#zone-map").scroll_into_view_if_needed()
    point = page.evaluate(
        f"""() => {{ const p = window.zoneMap.latLngToContainerPoint([{lat}, {lon}]);
                     const r = document.getElementById('zone-map').getBoundingClientRect();
                     return [r.left + p.x, r.top + p.y]; }}"""
    )
    under = page.evaluate("([x, y]) => document.elementFromPoint(x, y).closest('.offer-dot') === null", point)
    assert under
    dot = page.locator(".offer-dot").first.bounding_box()
    assert (
        abs(dot["x"] + dot["width"] / 2 - point[0]) >= 8 or abs(dot["y"] + dot["height"] / 2 - point[1]) >= 8
    )
    page.mouse.click(point[0], point[1])
    page.wait_for_url("**/territoires/commune/23096/")
    context.close()


def test_the_perimeter_edit_map_opens_on_its_communes(chromium, live_server, reload_territory_slice):
    from territories.models import Perimeter
    from tests.factories import make_user

    from .conftest import login

    owner = make_user("elu-per", password="motdepasse-solide-42")
    perimeter = Perimeter.objects.create(name="CPTS du Grand Guéret", owner=owner)
    perimeter.communes_set.set(["23096", "23193", "23245", "23247", "23195", "23206"])
    context, page = _page(chromium, live_server, 390)
    page.live_url = live_server.url
    login(page, "elu-per", "motdepasse-solide-42")
    page.goto(f"{live_server.url}/indicateurs/perimetres/{perimeter.pk}/modifier/")
    wait_until(page, "window.pickLayer && window.pickLayer.getLayers().length > 100")
    page.wait_for_timeout(300)
    assert page.input_value("#pick-departement") == "23"
    assert page.evaluate("document.getElementById('pick-map').dataset.selected") == "6"
    assert page.evaluate("window.pickMap.getZoom()") >= 10  # the Creuse alone would be zoom 8
    inside = page.evaluate(
        """() => { const b = window.pickMap.getBounds(); let n = 0;
                   window.pickLayer.eachLayer(l => {
                       if (['23096', '23247'].includes(l.feature.properties.code)
                           && b.contains(l.getBounds().getCenter())) n++; });
                   return n; }"""
    )
    assert inside == 2
    context.close()
