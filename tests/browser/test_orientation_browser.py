"""Issue 11 in Debian chromium: a coordinator drafts two sections from contributions, a member amends
one, the coordinator accepts it and opens the vote with two options on one point, three members vote,
the vote closes, and the result, the adopted text and its traceability show. Screenshots of every
step are kept in var/screenshots/orientation-*.png (1280 px, and 390 px for the ballot and the
adopted text); axe-core runs on the pages members use."""

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import make_user

from .conftest import login, new_page
from .test_staff_journeys_browser import audit, choose_suggestion

pytestmark = pytest.mark.browser
PASSWORD = "motdepasse-solide-42"
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
FORMAT = "%Y-%m-%dT%H:%M"


def shot(page, name):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"orientation-{name}.png"), full_page=True)


def logout(page):
    page.click("header form.inline-form button")
    page.wait_for_load_state("load")


@pytest.fixture
def chantier(transactional_db):
    from proposals.models import Consultation, Contribution, Membership, WorkingGroup
    from proposals.seed import load_programmes

    load_programmes()
    from proposals.models import Measure

    measure = Measure.objects.get(programme__slug="pacte-territoire-sante-2012-2015", number=1)
    group = WorkingGroup.objects.create(slug="federation-creuse", name="Fédération de la Creuse")
    coordinator = make_user("claire", password=PASSWORD)
    Membership.objects.create(group=group, user=coordinator, role=Membership.Role.COORDINATOR)
    members = [make_user(name, password=PASSWORD) for name in ("camille", "dominique", "sacha")]
    for user in members:
        Membership.objects.create(group=group, user=user)
    now = timezone.now()
    consultation = Consultation.objects.create(
        group=group,
        slug="sante-et-territoires-2019",
        title="Chantier « Santé et territoires »",
        opens_at=now - timedelta(days=60),
        closes_at=now - timedelta(days=1),
    )
    consultation.measures.set([measure])
    contributions = [
        Contribution.objects.create(
            consultation=consultation, author=members[0], measure=measure, status="publiee",
            title="Des centres de santé dans chaque bassin de vie",
            body="Un centre de santé **salarié** dans chaque bassin de vie sous-doté.",
        ),
        Contribution.objects.create(
            consultation=consultation, author=members[1], measure=measure, status="publiee",
            title="Réguler l’installation en zone sur-dense",
            body="Conventionner en zone sur-dense seulement pour remplacer un départ.",
        ),
    ]  # fmt: skip
    return consultation, coordinator, members, contributions, measure


def test_from_contributions_to_the_members_vote_and_the_adopted_text(browser_page, chromium, chantier):
    from proposals.models import Amendment, OrientationText, Participation, Vote

    consultation, coordinator, members, contributions, measure = chantier
    page = browser_page
    base = page.live_url
    now = timezone.localtime()

    # 1. The coordinator creates the text and drafts two sections from the contributions
    login(page, coordinator.username, PASSWORD)
    page.goto(base + consultation.get_absolute_url())
    page.click("text=Créer le texte d’orientation")
    page.fill("#id_title", "Santé et territoires : texte d’orientation")
    page.fill("#id_amendments_open_at", f"{now - timedelta(minutes=5):{FORMAT}}")
    page.fill("#id_amendments_close_at", f"{now + timedelta(days=7):{FORMAT}}")
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    for contribution in contributions:
        page.click(f"a[href$='?contribution={contribution.pk}']")
        page.wait_for_load_state("load")
        assert page.input_value("#id_title") == contribution.title
        if contribution == contributions[0]:
            choose_suggestion(page, "#id_territory_search", "Creu", "")
            assert page.input_value("#id_territories") == "Creuse (département 23)"
            shot(page, "1-section-form-1280")
            audit(page)
        page.click("main button[type=submit]")
        page.wait_for_load_state("load")
    text = OrientationText.objects.get()
    assert text.sections.count() == 2
    assert list(text.sections.get(number=1).territories.values_list("code", flat=True)) == ["23"]
    shot(page, "2-text-drafted-1280")
    logout(page)

    # 2. A member amends section 2
    login(page, members[2].username, PASSWORD)
    page.goto(base + text.get_absolute_url())
    page.click("a[href$='/sections/2/amender/']")
    page.fill("#id_body", "Réguler l’installation en zone sur-dense, après concertation avec les URPS.")
    page.fill("#id_rationale", "La régulation doit être concertée.")
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    amendment = Amendment.objects.get()
    assert "Déposé, en attente de la décision" in page.inner_text("main")
    logout(page)

    # 3. The coordinator accepts it, closes the amendment window, prepares and opens the vote
    login(page, coordinator.username, PASSWORD)
    page.goto(base + amendment.get_absolute_url())
    page.check("input[name=status][value=accepte]")
    page.fill("#id_reason", "Concertation bienvenue.")
    shot(page, "3-amendment-decision-1280")
    page.click("#decision button[type=submit]")
    page.wait_for_load_state("load")
    assert "Accepté : sa rédaction est celle de la section 2" in page.inner_text("main")
    page.goto(base + text.get_absolute_url())
    page.click("text=Titre et période d’amendement")
    page.fill("#id_amendments_open_at", f"{now - timedelta(hours=2):{FORMAT}}")
    page.fill("#id_amendments_close_at", f"{now - timedelta(minutes=1):{FORMAT}}")
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    page.click("main >> text=Préparer le vote")
    page.fill("#id_closes_at", f"{now + timedelta(days=3):{FORMAT}}")
    page.fill("#id_quorum_percent", "50")
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    page.click("text=Ajouter un point en débat")
    page.select_option("#id_section", label="Section 2 — Réguler l’installation en zone sur-dense")
    page.fill("#id_title", "Comment agir sur l’installation en zone sur-dense ?")
    page.fill("#id_option_1_label", "Réguler après concertation")
    page.fill(
        "#id_option_1_text", "Réguler l’installation en zone sur-dense, après concertation avec les URPS."
    )
    page.fill("#id_option_2_label", "Inciter seulement")
    page.fill("#id_option_2_text", "Renforcer les aides à l’installation en zone sous-dense.")
    page.click("main button[type=submit]")
    page.wait_for_load_state("load")
    # the confirmation is in sight, not folded in a collapsed block
    assert page.is_visible("text=Confirmer l’ouverture du vote")
    page.click("text=Confirmer l’ouverture du vote")
    page.wait_for_load_state("load")
    assert "Le vote est ouvert" in page.inner_text("main")
    vote = Vote.objects.get()
    assert vote.phase == "ouvert" and vote.eligible_count == 4
    logout(page)

    # 4. Three members vote (the ballot also at 390 px)
    choices = [("Pour", "Réguler après concertation"), ("Pour", "Réguler après concertation"),
               ("Contre", "Inciter seulement")]  # fmt: skip
    for member, (adoption, point) in zip(members, choices, strict=True):
        login(page, member.username, PASSWORD)
        page.goto(base + vote.get_absolute_url())
        page.locator("fieldset").filter(has_text="Adoptez-vous").get_by_label(adoption, exact=True).check()
        page.locator("fieldset").filter(has_text="Comment agir").get_by_label(point, exact=True).check()
        if member == members[0]:
            shot(page, "4-ballot-1280")
            audit(page)
            context, small = new_page(chromium, width=390, height=844)
            small.context.add_cookies(page.context.cookies())
            small.goto(base + vote.get_absolute_url())
            small.screenshot(path=str(SHOTS / "orientation-4-ballot-390.png"), full_page=True)
            context.close()
        page.click("text=Déposer mon bulletin")
        page.wait_for_load_state("load")
        assert "A voté" in page.inner_text("main") and "Vous avez voté" in page.inner_text("main")
        logout(page)
    assert Participation.objects.filter(vote=vote).count() == 3

    # 5. The closing date passes; anyone reads the result, the adopted text and its traceability
    Vote.objects.filter(pk=vote.pk).update(
        opens_at=timezone.now() - timedelta(days=3), closes_at=timezone.now() - timedelta(seconds=1)
    )
    page.goto(base + vote.get_absolute_url())
    main = page.inner_text("main")
    assert "Le texte est adopté." in main
    assert "3 votants sur 4" in main
    shot(page, "5-result-1280")
    audit(page)
    page.click("text=Lire le texte et son historique")
    page.wait_for_load_state("load")
    main = page.inner_text("main")
    assert "adopté le" in main and contributions[0].title in main
    assert "Rédaction tranchée par le vote : option « Réguler après concertation »" in main
    shot(page, "6-adopted-text-1280")
    audit(page)
    context, small = new_page(chromium, width=390, height=844)
    small.goto(base + page.url.removeprefix(base))
    small.screenshot(path=str(SHOTS / "orientation-6-adopted-text-390.png"), full_page=True)
    context.close()
    page.goto(base + f"/programmes/tracabilite/?mesure={measure.programme.slug}/{measure.number}")
    main = page.inner_text("main")
    assert "Reprise dans la section 1" in main and "texte adopté" in main
    shot(page, "7-traceability-1280")
    audit(page)
    text.refresh_from_db()
    assert text.state == OrientationText.State.ADOPTED and len(text.final_checksum) == 64
