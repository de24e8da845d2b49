"""The contribution flow through the pages: contribute, moderate, support once, comment, read-only."""

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client, override_settings
from django.urls import reverse

from proposals.models import Comment, Contribution, Measure, Membership, StatusChange, Support

from .factories import add_member, make_consultation, make_contribution, make_group


@pytest.fixture
def setting(programmes):
    group = make_group()
    cpts = Measure.objects.get(programme__slug="ma-sante-2022", number=1)
    consultation = make_consultation(group, measures=[cpts])
    return {
        "group": group,
        "consultation": consultation,
        "measure": cpts,
        "member": add_member(group, "camille"),
        "other": add_member(group, "dominique"),
        "coordinator": add_member(group, "claire", role=Membership.Role.COORDINATOR),
    }


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


def test_member_contributes_coordinator_publishes_members_support_once_and_comment(setting):
    consultation, measure = setting["consultation"], setting["measure"]
    member = client_for(setting["member"])
    response = member.post(
        reverse("proposals:contribute", args=[consultation.slug]),
        {
            "measure": measure.pk,
            "title": "Une CPTS pour tout le département",
            "body": "Les **maisons de santé** de la Creuse se fédèrent.",
            "territory": "departement:23",
        },
    )
    contribution = Contribution.objects.get()
    assert response.status_code == 302 and response["Location"] == contribution.get_absolute_url()
    assert contribution.status == Contribution.Status.DRAFT
    assert (contribution.zone_level, contribution.zone_code, contribution.zone_name) == (
        "departement",
        "23",
        "Creuse",
    )
    assert contribution.author == setting["member"]

    # A draft is not public.
    assert Client().get(contribution.get_absolute_url()).status_code == 404

    coordinator = client_for(setting["coordinator"])
    moderate = reverse("proposals:moderate", args=[contribution.pk])
    coordinator.post(moderate, {"status": "publiee", "reason": ""})
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.PUBLISHED
    assert Client().get(contribution.get_absolute_url()).status_code == 200

    other = client_for(setting["other"])
    support = reverse("proposals:support", args=[contribution.pk])
    first = other.post(support, follow=True)
    assert "Votre soutien est enregistré." in first.content.decode()
    second = other.post(support, follow=True)
    assert "Vous soutenez déjà cette contribution : un seul soutien par membre." in second.content.decode()
    assert Support.objects.filter(contribution=contribution).count() == 1

    other.post(reverse("proposals:comment", args=[contribution.pk]), {"body": "D’accord, *avec* la MSP."})
    comment = Comment.objects.get()
    assert comment.author == setting["other"] and comment.contribution == contribution
    page = Client().get(contribution.get_absolute_url()).content.decode()
    assert "<em>avec</em>" in page and "1</dd>" in page  # comment rendered; one support shown


def test_one_support_per_member_is_a_database_constraint(setting):
    contribution = make_contribution(setting["consultation"], setting["member"], measure=setting["measure"])
    Support.objects.create(contribution=contribution, user=setting["other"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Support.objects.create(contribution=contribution, user=setting["other"])


def test_setting_aside_requires_a_reason_and_is_historised(setting):
    contribution = make_contribution(
        setting["consultation"], setting["member"], measure=setting["measure"], status="brouillon"
    )
    coordinator = client_for(setting["coordinator"])
    moderate = reverse("proposals:moderate", args=[contribution.pk])
    refused = coordinator.post(moderate, {"status": "ecartee", "reason": "  "}, follow=True)
    assert "Indiquez le motif pour retenir ou écarter une contribution." in refused.content.decode()
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.DRAFT and not StatusChange.objects.exists()

    coordinator.post(moderate, {"status": "ecartee", "reason": "Hors du champ de la consultation."})
    coordinator.post(moderate, {"status": "retenue", "reason": "Finalement retenue après débat."})
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.RETAINED
    assert contribution.status_reason == "Finalement retenue après débat."
    history = list(
        StatusChange.objects.filter(contribution=contribution).values_list(
            "previous_status", "status", "reason", "changed_by__username"
        )
    )
    assert history == [
        ("brouillon", "ecartee", "Hors du champ de la consultation.", "claire"),
        ("ecartee", "retenue", "Finalement retenue après débat.", "claire"),
    ]
    page = Client().get(contribution.get_absolute_url()).content.decode()
    assert "Hors du champ de la consultation." in page and "Finalement retenue après débat." in page


def test_members_cannot_moderate(setting):
    contribution = make_contribution(setting["consultation"], setting["member"], measure=setting["measure"])
    response = client_for(setting["other"]).post(
        reverse("proposals:moderate", args=[contribution.pk]), {"status": "ecartee", "reason": "non"}
    )
    assert response.status_code == 403
    contribution.refresh_from_db()
    assert contribution.status == Contribution.Status.PUBLISHED


def test_non_member_cannot_post_in_the_groups_consultation(setting, django_user_model):
    outsider = django_user_model.objects.create_user("dehors", password="x-motdepasse-42")
    client = client_for(outsider)
    url = reverse("proposals:contribute", args=[setting["consultation"].slug])
    assert client.get(url).status_code == 403
    response = client.post(url, {"measure": setting["measure"].pk, "title": "t", "body": "b"})
    assert response.status_code == 403 and not Contribution.objects.exists()
    contribution = make_contribution(setting["consultation"], setting["member"], measure=setting["measure"])
    assert client.post(reverse("proposals:support", args=[contribution.pk])).status_code == 403
    assert client.post(reverse("proposals:comment", args=[contribution.pk]), {"body": "x"}).status_code == 403
    assert not Support.objects.exists() and not Comment.objects.exists()
    # Anonymous visitors are sent to the login page, nothing is written.
    anonymous = Client().post(url, {"measure": setting["measure"].pk, "title": "t", "body": "b"})
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]


def test_after_the_closing_date_the_consultation_is_read_only(setting):
    contribution = make_contribution(setting["consultation"], setting["member"], measure=setting["measure"])
    draft = make_contribution(
        setting["consultation"], setting["member"], measure=setting["measure"], status="brouillon"
    )
    consultation = setting["consultation"]
    consultation.closes_at = consultation.opens_at + (consultation.closes_at - consultation.opens_at) / 1000
    consultation.save()
    assert not consultation.is_open()
    member, other = client_for(setting["member"]), client_for(setting["other"])
    posted = member.post(
        reverse("proposals:contribute", args=[consultation.slug]),
        {"measure": setting["measure"].pk, "title": "trop tard", "body": "b"},
    )
    assert posted.status_code == 403 and "lecture seule" in posted.content.decode()
    assert other.post(reverse("proposals:support", args=[contribution.pk])).status_code == 403
    assert other.post(reverse("proposals:comment", args=[contribution.pk]), {"body": "x"}).status_code == 403
    assert (
        member.post(reverse("proposals:contribution_edit", args=[draft.pk]), {"title": "x"}).status_code
        == 403
    )
    assert Contribution.objects.count() == 2 and not Support.objects.exists() and not Comment.objects.exists()
    page = Client().get(consultation.get_absolute_url()).content.decode()
    assert "Consultation close : seules les décisions de synthèse des coordinateurs restent possibles" in page
    assert "Proposer une contribution" not in member.get(consultation.get_absolute_url()).content.decode()


def test_after_closing_coordinators_only_retain_or_set_aside_public_contributions(setting):
    published = make_contribution(setting["consultation"], setting["member"], measure=setting["measure"])
    draft = make_contribution(
        setting["consultation"], setting["member"], measure=setting["measure"], status="brouillon"
    )
    consultation = setting["consultation"]
    consultation.closes_at = consultation.opens_at + (consultation.closes_at - consultation.opens_at) / 1000
    consultation.save()
    coordinator = client_for(setting["coordinator"])
    moderate = reverse("proposals:moderate", args=[published.pk])
    # The synthesis decision is still possible, with its reason, and historised.
    response = coordinator.post(moderate, {"status": "retenue", "reason": "Synthèse : priorité n° 1."})
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.status == Contribution.Status.RETAINED
    assert StatusChange.objects.filter(contribution=published, status="retenue").exists()
    # Publishing a draft or sending back to draft after closing is refused, nothing written.
    for pk, status in [(draft.pk, "publiee"), (draft.pk, "retenue"), (published.pk, "brouillon")]:
        refused = coordinator.post(
            reverse("proposals:moderate", args=[pk]), {"status": status, "reason": "tardif"}
        )
        assert refused.status_code == 403, status
        assert "Consultation close" in refused.content.decode()
    draft.refresh_from_db()
    published.refresh_from_db()
    assert draft.status == Contribution.Status.DRAFT and published.status == Contribution.Status.RETAINED
    assert StatusChange.objects.count() == 1
    # The moderation form says so and offers only the synthesis decisions.
    detail = coordinator.get(published.get_absolute_url()).content.decode()
    form = detail[detail.index('id="moderation"') :]
    assert "Consultation close : seules les décisions de synthèse des coordinateurs restent possibles" in form
    assert 'value="retenue"' in form and 'value="ecartee"' in form
    assert 'value="publiee"' not in form and 'value="brouillon"' not in form
    # A closed consultation's draft offers no moderation form at all.
    assert 'id="moderation"' not in coordinator.get(draft.get_absolute_url()).content.decode()


def test_author_edits_own_draft(setting):
    draft = make_contribution(
        setting["consultation"], setting["member"], measure=setting["measure"], status="brouillon"
    )
    response = client_for(setting["member"]).post(
        reverse("proposals:contribution_edit", args=[draft.pk]),
        {
            "measure": setting["measure"].pk,
            "title": "Titre revu",
            "body": "Texte revu",
            "territory": "commune:23096",
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert (draft.title, draft.zone_name) == ("Titre revu", "Guéret")


def test_unknown_territory_is_refused_in_french(setting):
    response = client_for(setting["member"]).post(
        reverse("proposals:contribute", args=[setting["consultation"].slug]),
        {"measure": setting["measure"].pk, "title": "t", "body": "b", "territory": "departement:99"},
    )
    assert response.status_code == 200 and "n’est connu du portail" in response.content.decode()
    assert not Contribution.objects.exists()


def test_consultation_ranks_contributions_by_supports(setting):
    first = make_contribution(
        setting["consultation"], setting["member"], measure=setting["measure"], title="Peu soutenue"
    )
    second = make_contribution(
        setting["consultation"], setting["other"], measure=setting["measure"], title="Très soutenue"
    )
    Support.objects.create(contribution=second, user=setting["member"])
    Support.objects.create(contribution=second, user=setting["coordinator"])
    Support.objects.create(contribution=first, user=setting["other"])
    page = Client().get(setting["consultation"].get_absolute_url()).content.decode()
    assert page.index("Très soutenue") < page.index("Peu soutenue")


def test_csrf_is_enforced(setting):
    client = Client(enforce_csrf_checks=True)
    client.force_login(setting["member"])
    response = client.post(
        reverse("proposals:contribute", args=[setting["consultation"].slug]),
        {"measure": setting["measure"].pk, "title": "t", "body": "b"},
    )
    assert response.status_code == 403 and not Contribution.objects.exists()


def test_posting_is_rate_limited(setting):
    cache.clear()
    contribution = make_contribution(setting["consultation"], setting["member"], measure=setting["measure"])
    client = client_for(setting["other"])
    url = reverse("proposals:comment", args=[contribution.pk])
    with override_settings(RATELIMIT_ENABLE=True, PROPOSALS_POST_RATE="2/m"):
        statuses = [client.post(url, {"body": f"commentaire {i}"}).status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    assert Comment.objects.count() == 2
    # The limiter is off in test settings: the same burst passes.
    assert client.post(url, {"body": "encore"}).status_code == 302
    cache.clear()


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("Creuse", ("departement", "23", "Creuse")),
        ("Guéret", ("commune", "23096", "Guéret")),
        ("gueret", ("commune", "23096", "Guéret")),
        ("Guéret (commune 23096)", ("commune", "23096", "Guéret")),
        ("23096", ("commune", "23096", "Guéret")),
    ],
)
def test_a_contribution_takes_its_territory_by_name(setting, typed, expected):
    response = client_for(setting["member"]).post(
        reverse("proposals:contribute", args=[setting["consultation"].slug]),
        {"measure": setting["measure"].pk, "title": "t", "body": "b", "territory": typed},
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    contribution = Contribution.objects.get()
    assert (contribution.zone_level, contribution.zone_code, contribution.zone_name) == expected
    # editing shows the picker's label, which is read back unchanged
    page = client_for(setting["member"]).get(reverse("proposals:contribution_edit", args=[contribution.pk]))
    assert f"{expected[2]} (" in page.content.decode()
