"""Issue 27, the working groups' paper cuts: the vote opens from a visible confirmation (no folded
block); the coordination closes the amendment window early (confirmed, historised) to open the vote
before the window's date; the group page says the visitor's real role; sources show their human
file name, as text, never the stored hashed name."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from proposals import orientation, perms
from proposals.models import Membership, OrientationText, SourceDocument, TextEvent, Vote
from tests.factories import make_user

from .factories import add_member, make_group
from .orientation_factories import make_text, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(pacte):
    return make_world(pacte.measures.order_by("number").first())


def url(name, world, *args):
    return reverse(f"proposals:{name}", args=[world["consultation"].slug, *args])


def _prepared(world):
    """A text whose amendment window is open for a week, and its vote prepared (not open)."""
    text, _, s2 = make_text(world, amendments="open")
    vote = orientation.prepare_vote(
        text,
        user=world["coordinator"],
        closes_at=timezone.now() + timedelta(days=14),
        quorum_percent=25,
        groups=[world["group"]],
    )
    return text, vote


# The vote's confirmation is in sight ----------------------------------------------------------------


def test_the_vote_opening_confirmation_is_not_folded(client, world):
    text, _ = _prepared(world)
    OrientationText.objects.filter(pk=text.pk).update(amendments_open_at=None, amendments_close_at=None)
    client.force_login(world["coordinator"])
    page = client.get(url("vote", world)).text
    button = page.index("Confirmer l’ouverture du vote")
    # no <details> still open around the button: the form is not inside a collapsed block
    before = page[:button]
    assert before.count("<details") == before.count("</details>")
    assert 'action="' + url("vote_open", world) + '"' in page


# Closing the amendment window early ----------------------------------------------------------------


def test_the_coordinator_opens_the_vote_before_the_amendment_window_ends(client, world):
    text, vote = _prepared(world)
    planned = text.amendments_close_at
    client.force_login(world["coordinator"])
    assert (
        "La période d’amendement n’est pas terminée" in client.post(url("vote_open", world), follow=True).text
    )
    # without the confirmation ticked: refused, nothing changes
    response = client.post(url("amendments_close", world), {"retour": "vote"}, follow=True)
    assert "Cochez la confirmation" in response.text
    text.refresh_from_db()
    assert text.amendment_phase == "ouverte" and not TextEvent.objects.exists()
    # confirmed: the window is closed now, and the text's history says who, when, and the planned date
    response = client.post(url("amendments_close", world), {"retour": "vote", "confirmer": "oui"})
    assert response.status_code == 302 and response.url == url("vote", world)
    text.refresh_from_db()
    assert text.amendment_phase == "close" and text.amendments_close_at < planned
    event = TextEvent.objects.get()
    assert event.kind == TextEvent.Kind.AMENDMENTS_CLOSED and event.by == world["coordinator"]
    assert f"{timezone.localtime(planned):%d/%m/%Y à %H:%M}" in event.detail
    assert "Période d’amendement close par anticipation" in client.get(url("text", world)).text
    # members can no longer amend; the vote opens
    assert not perms.can_amend(world["members"][0], text)
    assert "Le vote est ouvert" in client.post(url("vote_open", world), follow=True).text
    assert Vote.objects.get(pk=vote.pk).phase == "ouvert"


def test_pending_amendments_still_need_a_decision_after_an_early_close(client, world):
    text, _ = _prepared(world)
    section = text.sections.first()
    orientation.propose_amendment(section, user=world["members"][0], body="Une autre rédaction.")
    orientation.close_amendments_early(text, user=world["coordinator"])
    client.force_login(world["coordinator"])
    page = client.get(url("vote", world)).text
    assert "1 amendement attend une décision" in page
    response = client.post(url("vote_open", world), follow=True)
    assert "en attente de décision" in response.text
    assert Vote.objects.get().opens_at is None


def test_a_member_cannot_close_the_amendment_window(client, world):
    text, _ = _prepared(world)
    client.force_login(world["members"][0])
    assert "Clore la période d’amendement" not in client.get(url("text", world)).text
    response = client.post(url("amendments_close", world), {"confirmer": "oui"})
    assert response.status_code == 403
    text.refresh_from_db()
    assert text.amendment_phase == "ouverte"


def test_closing_a_window_that_is_not_open_is_refused(world):
    text, _ = _prepared(world)
    OrientationText.objects.filter(pk=text.pk).update(
        amendments_open_at=timezone.now() + timedelta(days=1),
        amendments_close_at=timezone.now() + timedelta(days=2),
    )
    text.refresh_from_db()
    with pytest.raises(orientation.OrientationError):
        orientation.close_amendments_early(text, user=world["coordinator"])
    assert not TextEvent.objects.exists()


# The action as a role × phase matrix ---------------------------------------------------------------

CLOSE_EXPECTED = {
    "ouverte": {"coordination", "admin"},
    "à venir": set(),
    "close": set(),
    "non prévue": set(),
    "vote": set(),
}


@pytest.mark.parametrize("phase", list(CLOSE_EXPECTED))
def test_close_amendments_permission_matrix(world, phase):
    text, _ = _prepared(world)
    now = timezone.now()
    window = {
        "ouverte": (now - timedelta(days=1), now + timedelta(days=1)),
        "à venir": (now + timedelta(days=1), now + timedelta(days=2)),
        "close": (now - timedelta(days=2), now - timedelta(days=1)),
        "non prévue": (None, None),
        "vote": (now - timedelta(days=1), now + timedelta(days=1)),
    }[phase]
    state = OrientationText.State.VOTING if phase == "vote" else OrientationText.State.DRAFTING
    OrientationText.objects.filter(pk=text.pk).update(
        amendments_open_at=window[0], amendments_close_at=window[1], state=state
    )
    text = OrientationText.objects.select_related("consultation__group").get(pk=text.pk)
    users = {
        "anonyme": AnonymousUser(),
        "membre": world["members"][0],
        "coordination": world["coordinator"],
        "autre_groupe": world["outsider"],
        "admin": make_user("admin-close", is_staff=True, is_superuser=True),
    }
    allowed = {role for role, user in users.items() if perms.can_close_amendments(user, text)}
    assert allowed == CLOSE_EXPECTED[phase]


# The group page says the real role -----------------------------------------------------------------


def test_the_group_page_says_the_visitors_role(db):
    group = make_group(slug="federation-lozere", name="Fédération de la Lozère")
    coordinator = add_member(group, "lozere-coord", role=Membership.Role.COORDINATOR)
    member = add_member(group, "lozere-m1")
    staff = make_user("lozere-admin", is_staff=True)
    page_url = reverse("proposals:group", args=[group.slug])

    def role_shown(user):
        client = Client()
        if user is not None:
            client.force_login(user)
        page = client.get(page_url).text
        start = page.index("<dt>Votre rôle</dt><dd>") + len("<dt>Votre rôle</dt><dd>")
        return page[start : page.index("</dd>", start)]

    assert role_shown(coordinator) == "coordination du groupe"
    assert role_shown(member) == "membre"
    assert role_shown(staff) == "non membre (administration du portail)"
    assert role_shown(None) == "non membre"


# Sources: the human name, as text ------------------------------------------------------------------


def test_sources_show_their_original_name_not_the_stored_one(client, pacte):
    document = pacte.source
    assert document.file_name == "003_71d251b4d41a99e3.txt"  # the safe storage name is kept
    assert document.original_name == "Pacte territoire santé 2012-2015.txt"
    for page_url in (reverse("proposals:source", args=[document.key]), pacte.get_absolute_url()):
        page = client.get(page_url).text
        assert "Pacte territoire santé 2012-2015.txt" in page
        assert "003_71d251b4d41a99e3" not in page, page_url


def test_an_original_name_is_inserted_as_text(client, pacte):
    SourceDocument.objects.filter(pk=pacte.source_id).update(original_name="<img src=x onerror=alert(1)>.txt")
    page = client.get(reverse("proposals:source", args=[pacte.source.key])).text
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;.txt" in page


def test_a_source_without_original_name_shows_its_title(client, pacte):
    SourceDocument.objects.filter(pk=pacte.source_id).update(original_name="")
    page = client.get(pacte.get_absolute_url()).text
    assert "003_71d251b4d41a99e3" not in page and pacte.source.title in page


def test_an_original_name_with_a_path_refuses_the_seed_file(db, tmp_path):
    import json

    from proposals.seed import SEED_FILE, load_programmes
    from territories.importing.contract import ImportRejected

    data = json.loads(SEED_FILE.read_text(encoding="utf-8"))
    data["sources"][1]["original_name"] = "../../etc/passwd"
    bad = tmp_path / "programmes.json"
    bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(ImportRejected) as exc:
        load_programmes(bad)
    assert [p.field for p in exc.value.problems] == ["sources[1].original_name"]
    assert not SourceDocument.objects.exists()
