"""Consultations run from the front, without the Django admin: a coordinator opens, schedules,
edits and closes one; members of the group see it first and contribute; everyone else is refused
with a reason (matrix of roles × actions)."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from proposals.models import Consultation, Contribution, Measure, Membership
from tests.factories import make_user

from .factories import add_member, make_consultation, make_group

ROLES = ["anonymous", "outsider", "member", "coordinator", "other_coordinator", "staff"]
MANAGERS = {"coordinator", "staff"}


@pytest.fixture
def world(programmes):
    group = make_group()
    other = make_group(slug="federation-lozere", name="Fédération de la Lozère")
    return {
        "group": group,
        "anonymous": None,
        "outsider": make_user("passant"),
        "member": add_member(group, "camille"),
        "coordinator": add_member(group, "claire", role=Membership.Role.COORDINATOR),
        "other_coordinator": add_member(other, "olivier", role=Membership.Role.COORDINATOR),
        "staff": make_user("admin", is_staff=True),
    }


def client_for(user):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def _form(**overrides):
    now = timezone.localtime()
    data = {
        "title": "Accès aux soins en Creuse : vos propositions",
        "opens_at": (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M"),
        "scope": "Creuse",
        "description": "Consultation de la **fédération**.",
        "rules": "Une contribution par mesure ; modération sous 48 h.",
        "measures": [Measure.objects.get(programme__slug="ma-sante-2022", number=1).pk],
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ROLES)
def test_create_matrix(world, role):
    response = client_for(world[role]).post(
        reverse("proposals:consultation_create", args=[world["group"].slug]), _form()
    )
    created = Consultation.objects.filter(title__startswith="Accès aux soins en Creuse").exists()
    assert created is (role in MANAGERS), role
    if role == "anonymous":
        assert response.status_code == 302 and "/connexion/" in response["Location"]
    elif role not in MANAGERS:
        assert response.status_code == 403
        assert "Seuls les coordinateurs du groupe « Fédération de la Creuse »" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_edit_open_and_close_matrix(world, role):
    consultation = make_consultation(world["group"], state="upcoming")
    client = client_for(world[role])
    client.post(
        reverse("proposals:consultation_edit", args=[consultation.slug]),
        _form(title="Titre revu", opens_at=f"{timezone.localtime(consultation.opens_at):%Y-%m-%dT%H:%M}"),
    )
    client.post(reverse("proposals:consultation_open", args=[consultation.slug]))
    consultation.refresh_from_db()
    assert (consultation.title == "Titre revu") is (role in MANAGERS), role
    assert (consultation.phase == "ouverte") is (role in MANAGERS), role
    if role in MANAGERS:
        client.post(reverse("proposals:consultation_close", args=[consultation.slug]))
        consultation.refresh_from_db()
        assert consultation.phase == "close"


def test_a_coordinator_opens_a_consultation_and_a_member_contributes(world):
    coordinator = client_for(world["coordinator"])
    group_page = coordinator.get(reverse("proposals:group", args=[world["group"].slug])).content.decode()
    assert "Ouvrir une consultation" in group_page
    now = timezone.localtime()
    response = coordinator.post(
        reverse("proposals:consultation_create", args=[world["group"].slug]),
        _form(opens_at=now.strftime("%Y-%m-%dT%H:%M")),
    )
    consultation = Consultation.objects.get(title__startswith="Accès aux soins en Creuse")
    assert response.status_code == 302 and response["Location"] == consultation.get_absolute_url()
    assert consultation.slug == "acces-aux-soins-en-creuse-vos-propositions"
    assert (consultation.scope_level, consultation.scope_code, consultation.scope_name) == (
        "departement",
        "23",
        "Creuse",
    )
    assert consultation.created_by == world["coordinator"] and consultation.phase == "ouverte"
    page = coordinator.get(consultation.get_absolute_url()).content.decode()
    assert "Règles de participation" in page and "modération sous 48 h" in page
    assert 'href="/territoires/departement/23/">Creuse' in page and "Clore maintenant" in page

    member = client_for(world["member"])
    # the member's groups' consultations come first, open ones before closed ones
    make_consultation(world["group"], state="closed")
    index = member.get(reverse("proposals:index")).content.decode()
    home = member.get("/").content.decode()
    for text in (index, home):
        assert "Les consultations de vos groupes" in text
        assert text.index("Accès aux soins en Creuse") < text.index("Consultation closed")
    member.post(
        reverse("proposals:contribute", args=[consultation.slug]),
        {
            "measure": consultation.measures.get().pk,
            "title": "Une MSP à Bourganeuf",
            "body": "texte",
            "territory": "Bourganeuf",
        },
    )
    contribution = Contribution.objects.get()
    assert contribution.consultation == consultation and contribution.zone_code == "23030"
    assert "Les consultations de vos groupes" not in client_for(None).get("/").content.decode()


def test_bad_dates_are_refused_next_to_their_field(world):
    coordinator = client_for(world["coordinator"])
    now = timezone.localtime()
    url = reverse("proposals:consultation_create", args=[world["group"].slug])
    page = coordinator.post(
        url,
        _form(
            opens_at=now.strftime("%Y-%m-%dT%H:%M"),
            closes_at=(now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        ),
    ).content.decode()
    assert "La clôture doit suivre l’ouverture." in page
    page = coordinator.post(url, _form(opens_at="pas une date", scope="zzqqxx")).content.decode()
    assert "Saisissez une date et une heure valides." in page and "ne correspond à « zzqqxx »" in page
    assert not Consultation.objects.filter(title__startswith="Accès aux soins").exists()


def test_closing_twice_or_opening_a_closed_one_is_explained(world):
    consultation = make_consultation(world["group"], state="closed")
    client = client_for(world["coordinator"])
    response = client.post(reverse("proposals:consultation_open", args=[consultation.slug]), follow=True)
    assert "Action impossible : la consultation est close." in response.content.decode()
    consultation.refresh_from_db()
    assert consultation.phase == "close"
