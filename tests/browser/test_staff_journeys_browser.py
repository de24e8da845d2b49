"""Journeys of issue 15 in Debian chromium: names instead of codes (type-ahead), a consultation
opened and contributed to without the Django admin, a refusal that says why, the header search on
a commune page, an honest registry; axe-core on these pages (no serious or critical violation,
no skip-link finding). Screenshots go to var/screenshots/ when SCREENSHOTS=1."""

import os
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone

from tests.factories import make_user

from .conftest import login, wait_until

pytestmark = pytest.mark.browser
PASSWORD = "motdepasse-solide-42"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def shot(page, name):
    if os.environ.get("SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def audit(page):
    results = Axe().run(
        page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "best-practice"]}}
    )
    serious = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
    skip = [v for v in results.response["violations"] if "skip" in v["id"]]
    assert not serious and not skip, [
        (v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in serious + skip
    ]


def choose_suggestion(page, selector, typed, expected_label):
    """Type in a territory field, wait for the listbox, pick with the keyboard (↓ then Entrée).
    The page must have run its scripts first: keys typed before the picker listens are lost."""
    page.wait_for_load_state("load")
    page.fill(selector, "")
    page.type(selector, typed, delay=30)
    listbox = page.locator(f"{selector} ~ ul[role=listbox]")
    listbox.locator("[role=option]").first.wait_for(state="visible")
    assert page.get_attribute(selector, "aria-expanded") == "true"
    options = listbox.locator("[role=option]").all_inner_texts()
    index = next(i for i, text in enumerate(options) if text.startswith(expected_label.split(" (")[0]))
    for _ in range(index + 1):
        page.press(selector, "ArrowDown")
    assert page.get_attribute(selector, "aria-activedescendant").endswith(f"-{index}")
    page.press(selector, "Enter")
    assert page.input_value(selector) == expected_label


@pytest.fixture
def consultation_world(programmes_loaded):
    from proposals.models import Membership, WorkingGroup

    group = WorkingGroup.objects.create(slug="federation-creuse", name="Fédération de la Creuse")
    coordinator = make_user("claire", password=PASSWORD)
    member = make_user("camille", password=PASSWORD)
    Membership.objects.create(group=group, user=coordinator, role=Membership.Role.COORDINATOR)
    Membership.objects.create(group=group, user=member, role=Membership.Role.MEMBER)
    return group, coordinator, member


@pytest.fixture
def programmes_loaded(transactional_db):
    from proposals.seed import load_programmes

    load_programmes()


def test_coordinator_opens_a_consultation_and_a_member_contributes_by_names(browser_page, consultation_world):
    from proposals.models import Consultation, Contribution

    group, coordinator, member = consultation_world
    page = browser_page
    login(page, coordinator.username, PASSWORD)
    page.goto(page.live_url + f"/programmes/groupes/{group.slug}/")
    page.click("text=Ouvrir une consultation")
    page.fill("#id_title", "Accès aux soins en Creuse")
    now = timezone.localtime()
    page.fill("#id_opens_at", f"{now - timedelta(minutes=5):%Y-%m-%dT%H:%M}")
    page.fill("#id_closes_at", f"{now + timedelta(days=30):%Y-%m-%dT%H:%M}")
    choose_suggestion(page, "#id_scope", "Creu", "Creuse (département 23)")
    page.fill("#id_rules", "Une contribution par mesure.")
    page.locator("input[name=measures]").first.check()
    shot(page, "consultation-form-1280")
    audit(page)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    consultation = Consultation.objects.get(title="Accès aux soins en Creuse")
    assert page.url.endswith(consultation.get_absolute_url())
    assert consultation.scope_code == "23" and consultation.phase == "ouverte"
    assert "Règles de participation" in page.content()

    page.click("header form.inline-form button")  # sign out
    login(page, member.username, PASSWORD)
    page.goto(page.live_url + "/")
    assert "Les consultations de vos groupes" in page.content()
    page.goto(page.live_url + consultation.get_absolute_url())
    page.click("text=Proposer une contribution")
    page.select_option("#id_measure", index=1)
    page.fill("#id_title", "Une MSP à Bourganeuf")
    page.fill("#id_body", "Texte de la contribution.")
    choose_suggestion(page, "#id_territory", "Creuse", "Creuse (département 23)")
    shot(page, "contribution-form-1280")
    audit(page)
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    shot(page, "contribution-after-1280")
    contribution = Contribution.objects.get()
    assert (contribution.zone_level, contribution.zone_code, contribution.consultation) == (
        "departement",
        "23",
        consultation,
    )


def test_ars_agent_opening_another_regions_offer_reads_why(browser_page):
    from offers.models import ARSAgent, Offer
    from territories.models import Commune

    agent = make_user("agent-occ", password=PASSWORD, is_staff=True)
    ARSAgent.objects.create(user=agent).regions.add("76")
    offer = Offer.objects.create(kind="msp", name="MSP de Guéret", commune=Commune.objects.get(code="23096"))
    page = browser_page
    login(page, agent.username, PASSWORD)
    response = page.goto(page.live_url + f"/offre/{offer.pk}/modifier/")
    assert response.status == 403
    text = page.inner_text("main")
    assert "Accès refusé" in text
    assert "Cette MSP relève de l’ARS Nouvelle-Aquitaine ; vos régions : Occitanie." in text
    shot(page, "refus-403-1280")
    audit(page)


def test_anonymous_visitor_uses_the_header_search_on_a_commune_page(browser_page):
    page = browser_page
    violations = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto(page.live_url + "/territoires/commune/23096/")
    page.type("#header-q", "Lozè", delay=30)
    wait_until(page, "document.querySelectorAll('#header-q-suggestions [role=option]').length > 0")
    options = page.locator("#header-q-suggestions [role=option]").all_inner_texts()
    assert options[0].startswith("Lozère"), options
    shot(page, "header-suggestions-1280")
    page.press("#header-q", "ArrowDown")
    page.press("#header-q", "Enter")
    page.wait_for_url("**/territoires/departement/48/")
    assert "Lozère" in page.inner_text("h1")
    assert not violations, violations
    # the skip link reaches the search box on every page
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate(
        "document.activeElement.closest('#recherche') !== null || location.hash === '#recherche'"
    )
    audit(page)


def test_fresh_install_says_registre_non_charge_then_synthetic_offers_are_tagged(browser_page):
    from offers.importers import import_finess
    from offers.models import Offer
    from tests.offers.conftest import FINESS_SAMPLE

    page = browser_page
    page.goto(page.live_url + "/territoires/commune/23096/")
    assert "MSP : registre non chargé" in page.inner_text("main")
    audit(page)
    import_finess(FINESS_SAMPLE)
    page.goto(page.live_url + "/territoires/departement/23/")
    section = page.locator("#offres-de-soins")
    names = set(
        Offer.objects.filter(dataset__is_synthetic=True, commune__departement="23").values_list(
            "name", flat=True
        )
    )
    rows = section.locator("table tbody tr")
    shown = 0
    for i in range(rows.count()):
        row = rows.nth(i).inner_text()
        if any(row.startswith(name) for name in names):
            shown += 1
            assert "synthétique" in row, row
    assert shown == len(names) > 0
    shot(page, "registre-synthetique-1280")
    audit(page)
