"""Stored payloads in chromium: user text shown by maps (tooltips, layer labels) and by Markdown is
never interpreted as HTML, no dialog ever opens, and the Content-Security-Policy reports no
violation on the pages that draw maps (all JavaScript is external)."""

import pytest

from tests.offers.conftest import make_offer

from .conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.csp_enforced]

PAYLOADS = [
    '<img src=x onerror="alert(1)">',
    "<script>alert(2)</script>",
    '"><svg onload=alert(3)>',
]


def test_offer_names_with_html_stay_text_in_map_tooltips(browser_page):
    page = browser_page
    for i, payload in enumerate(PAYLOADS):
        make_offer("23096", name=f"MSP {i} {payload}", kind="msp")
    dialogs, violations = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )

    page.goto(page.live_url + "/territoires/commune/23096/")
    wait_until(page, "() => !!(window.offerLayers && window.offerLayers.msp)")
    texts = page.evaluate(
        """() => window.offerLayers.msp.layer.getLayers().map(l => {
            l.openTooltip();
            const el = l.getTooltip().getElement();
            return {text: el.textContent, tags: el.querySelectorAll('img, script, svg').length};
        })"""
    )
    assert len(texts) == len(PAYLOADS)
    shown = sorted(t["text"] for t in texts)
    for payload in PAYLOADS:
        assert any(payload in text for text in shown), (payload, shown)  # literally, as text
    assert all(t["tags"] == 0 for t in texts)
    page.wait_for_timeout(300)  # an onerror would fire by now
    assert dialogs == []
    assert violations == []
    assert page.locator(".leaflet-control-layers").count() == 1
