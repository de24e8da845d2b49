"""Stored payloads in chromium: user text shown by maps (tooltips, layer labels) and by Markdown is
never interpreted as HTML, no dialog ever opens, and the Content-Security-Policy reports no
violation on the pages that draw maps (all JavaScript is external)."""

import pytest

from tests.offers.conftest import make_offer

from .conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

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


def test_html_in_every_user_field_stays_text_across_pages(browser_page):
    """Perimeter name and description, offer name on its pages, a contribution's title and body,
    a search query: shown as text on every page that prints them, no dialog, no CSP violation."""
    from django.contrib.auth.models import Group

    from proposals.models import Measure
    from proposals.seed import load_programmes
    from territories.models import Perimeter
    from tests.factories import make_user
    from tests.proposals.factories import add_member, make_consultation, make_contribution, make_group

    page = browser_page
    payload = PAYLOADS[0]
    elu = make_user("elu-xss", password="motdepasse-solide-42")
    elu.groups.add(Group.objects.get_or_create(name="élus")[0])  # (a flushed database has none)
    perimeter = Perimeter.objects.create(name=f"P {payload}", description=payload, owner=elu, is_shared=True)
    perimeter.communes_set.set(["23096", "23176"])
    offer = make_offer("23096", name=f"CDS {payload}", kind="centre_sante")
    load_programmes()
    group = make_group()
    consultation = make_consultation(group, measures=[Measure.objects.order_by("pk").first()])
    member = add_member(group, "membre-xss")
    contribution = make_contribution(
        consultation, member, title=f"T {payload}", body=f"{payload}\n\n<script>alert(5)</script>"
    )
    dialogs, violations = [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    urls = [
        f"/indicateurs/perimetres/{perimeter.pk}/",
        "/indicateurs/perimetres/",
        f"/offre/{offer.pk}/",
        "/offre/",
        contribution.get_absolute_url(),
        "/?q=" + payload.replace(" ", "+").replace('"', "%22").replace("<", "%3C").replace(">", "%3E"),
    ]
    for url in urls:
        page.goto(page.live_url + url)
        page.wait_for_load_state("load")
        page.wait_for_timeout(200)
        assert (
            page.evaluate("document.querySelectorAll('main img[src=\"x\"], main svg[onload]').length") == 0
        ), url
    assert dialogs == [] and violations == []
    for url in (urls[0], urls[2], urls[4]):  # the text is there, literally
        page.goto(page.live_url + url)
        assert payload in page.inner_text("main"), url


def test_the_site_policy_is_enforced_and_a_violation_is_caught(browser_page, csp_violations):
    """The guard every browser test relies on: pages keep the site's real policy (not bypassed, not
    report-only), and an inline script or an inline style attribute under that policy is collected
    as a violation (the test would then fail)."""
    page = browser_page
    response = page.goto(page.live_url + "/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    probe = "<!doctype html><p style='color:red'>x</p><script>document.title = 'ran'</script>"
    page.route(
        page.live_url + "/__csp_probe__/",
        lambda route: route.fulfill(
            status=200, body=probe, headers={"Content-Type": "text/html", "Content-Security-Policy": policy}
        ),
    )
    page.goto(page.live_url + "/__csp_probe__/")
    page.wait_for_timeout(200)
    assert page.title() != "ran"  # the inline script was refused
    directives = " ".join(csp_violations)
    assert "script-src" in directives and "style-src" in directives, csp_violations
    csp_violations.clear()  # expected here: the test itself must not fail on them
