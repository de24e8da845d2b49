"""Issue 24 (Low): the ranking page downloads its map layer once — the territory map and the
class colours are drawn from the same response — with the Content-Security-Policy enforced."""

import pytest

from .conftest import wait_until
from .test_dashboard_browser import dashboard_data  # noqa: F401 (fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_ranking_map_is_fetched_once_and_drawn_in_classes(browser_page, dashboard_data):  # noqa: F811
    page = browser_page
    layers = []
    page.on("request", lambda r: layers.append(r.url) if r.url.endswith("classes.geojson") else None)
    page.goto(page.live_url + "/indicateurs/classement/departement/23/")
    wait_until(page, "document.querySelectorAll('.indicators-legend').length === 1")
    assert "sous-dense" in page.inner_text(".indicators-legend")
    # the communes are filled with their class colours (not only the plain outline layer)
    assert page.locator("path[fill='#b2182b'], path[fill='#ef8a62'], path[fill='#67a9cf']").count() > 10
    assert len(layers) == 1, layers
