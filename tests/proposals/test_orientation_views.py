"""The orientation text through its pages: drafting, amending, voting, reading the result, exports."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from proposals.models import Amendment, OrientationText, Participation, TextSection, Vote, VoteOption

from .orientation_factories import close_vote, make_world

pytestmark = pytest.mark.django_db
FORMAT = "%Y-%m-%dT%H:%M"


@pytest.fixture
def world(pacte):
    return make_world(pacte.measures.order_by("number").first())


def url(name, world, *args):
    return reverse(f"proposals:{name}", args=[world["consultation"].slug, *args])


def test_from_contributions_to_the_adopted_text_through_the_pages(client, world):
    c1, c2 = world["contributions"]
    coordinator, (m1, m2, m3) = world["coordinator"], world["members"]
    client.force_login(coordinator)
    # the consultation page offers to create the text
    assert "Créer le texte d’orientation" in client.get(world["consultation"].get_absolute_url()).text
    now = timezone.localtime()
    response = client.post(
        url("text_create", world),
        {
            "title": "Santé et territoires : orientation 2019",
            "amendments_open_at": (now - timedelta(hours=1)).strftime(FORMAT),
            "amendments_close_at": (now + timedelta(days=3)).strftime(FORMAT),
        },
    )
    text = OrientationText.objects.get()
    assert response.status_code == 302 and response.url == text.get_absolute_url()
    # a section drafted from a contribution, with a territory typed by name
    page = client.get(url("section_create", world) + f"?contribution={c2.pk}")
    assert c2.title in page.text
    response = client.post(
        url("section_create", world),
        {
            "title": "L’installation des médecins",
            "body": "Encourager l’installation.",
            "contributions": [c2.pk],
            "measures": [world["measure"].pk],
            "territories": "Creuse\nGuéret",
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    section = TextSection.objects.get()
    assert list(section.territories.values_list("level", "code")) == [
        ("departement", "23"),
        ("commune", "23096"),
    ]
    response = client.post(
        url("section_edit", world, 1),
        {"title": section.title, "body": "Encourager l’installation.\nEt réguler en zone sur-dense.",
         "contributions": [c2.pk], "territories": "Creuse"},
    )  # fmt: skip
    assert response.status_code == 302
    history = client.get(url("section_history", world, 1))
    assert "Modifié : texte, mesures, territoires" in history.text
    assert "Et réguler en zone sur-dense." in history.text and "Ajouté" in history.text
    # a member amends, another supports, the coordinator accepts
    client.force_login(m1)
    assert "Amender" in client.get(text.get_absolute_url()).text
    response = client.post(
        url("amend", world, 1), {"body": "Réguler l’installation en zone sur-dense.", "rationale": "Urgence."}
    )
    amendment = Amendment.objects.get()
    assert response.url == amendment.get_absolute_url()
    client.force_login(m2)
    client.post(reverse("proposals:amendment_support", args=[amendment.pk]))
    assert amendment.supports.count() == 1
    client.force_login(coordinator)
    client.post(
        reverse("proposals:amendment_decide", args=[amendment.pk]), {"status": "accepte", "reason": ""}
    )
    section.refresh_from_db()
    assert section.body == "Réguler l’installation en zone sur-dense." and section.version == 3
    page = client.get(amendment.get_absolute_url())
    assert "Accepté : sa rédaction est celle de la section 1" in page.text
    # the contribution says where it went (to those who may read the draft text)
    assert "Reprise dans la section 1" in client.get(c2.get_absolute_url()).text
    client.logout()
    assert "Reprise dans la section 1" not in client.get(c2.get_absolute_url()).text
    # the vote: prepared while amendments are still open is allowed, opening is not
    client.force_login(coordinator)
    closes = (timezone.localtime() + timedelta(days=5)).strftime(FORMAT)
    client.post(
        url("vote_prepare", world), {"closes_at": closes, "quorum_percent": 25, "groups": [world["group"].pk]}
    )
    response = client.post(
        url("point_create", world),
        {"section": section.pk, "title": "Réguler ?", "option_1_label": "Réguler",
         "option_1_text": "Réguler.", "option_2_label": "Inciter", "option_2_text": "Inciter."},
    )  # fmt: skip
    assert response.status_code == 302
    response = client.post(url("vote_open", world), follow=True)
    assert "La période d’amendement n’est pas terminée" in response.text
    # the coordinator closes the window early from the vote page (confirmation ticked)
    page = client.get(url("vote", world)).text
    assert "Clore la période d’amendement" in page and "Confirmer l’ouverture du vote" in page
    response = client.post(
        url("amendments_close", world), {"retour": "vote", "confirmer": "oui"}, follow=True
    )
    assert "Période d’amendement close" in response.text
    response = client.post(url("vote_open", world), follow=True)
    assert "Le vote est ouvert" in response.text
    vote = Vote.objects.get()
    # three members vote through the ballot form; the confirmation names no choice
    options = {(o.question.kind, o.label): o.pk for o in VoteOption.objects.select_related("question")}
    adoption_q = vote.questions.get(kind="adoption").pk
    point_q = vote.questions.get(kind="point").pk
    for member, choice in ((m1, "Pour"), (m2, "Pour"), (m3, "Contre")):
        client.force_login(member)
        page = client.get(url("vote", world))
        assert "Déposer mon bulletin" in page.text
        response = client.post(
            url("vote_cast", world),
            {f"q{adoption_q}": options[("adoption", choice)], f"q{point_q}": options[("point", "Réguler")]},
            follow=True,
        )
        assert "A voté" in response.text and choice not in response.text.split("A voté")[1][:120]
    response = client.post(
        url("vote_cast", world),
        {f"q{adoption_q}": options[("adoption", "Contre")], f"q{point_q}": options[("point", "Inciter")]},
        follow=True,
    )
    assert "Vous avez déjà voté" in response.text
    # the ballots stay sealed until the close: no counter moves while the vote is open
    assert vote.sealed_ballots.count() == 3
    assert set(VoteOption.objects.filter(question__vote=vote).values_list("count", flat=True)) == {0}
    assert "Résultats" not in client.get(url("vote", world)).text  # no running score
    # the close: the first reader proclaims; everyone reads the text, the result and the exports
    close_vote(vote)
    client.logout()
    page = client.get(url("vote", world))
    assert (
        "Le texte est adopté." in page.text and "3 votants sur 4" in client.get(text.get_absolute_url()).text
    )
    adopted = client.get(url("adopted_text", world))
    assert "Réguler." in adopted.text and "Reprend" in adopted.text and c2.title in adopted.text
    pdf = client.get(url("adopted_text_export", world, "pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    from pypdf import PdfReader

    pdf_text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Santé et territoires : orientation 2019" in pdf_text and "Réguler" in pdf_text
    rows = list(
        csv.reader(
            io.StringIO(client.get(url("tally_export", world, "csv")).content.decode("utf-8-sig")),
            delimiter=";",
        )
    )
    assert ["1", f"Adoptez-vous le texte « {text.title} » ?", "Pour", "2", "oui"] in rows
    tally = json.loads(client.get(url("tally_export", world, "json")).content)
    assert tally["votants"] == 3 and tally["adopte"] is True and len(tally["empreinte_sha256"]) == 64
    trace_rows = client.get(url("trace_export", world, "csv")).content.decode("utf-8-sig")
    assert f"{c2.pk};{c2.title}" in trace_rows and "1. L’installation des médecins" in trace_rows
    assert "non reprise (publiée)" in trace_rows  # c1 was not taken up
    # traceability from the measure and from the territory
    measure = world["measure"]
    page = client.get(reverse("proposals:trace"), {"mesure": f"{measure.programme.slug}/{measure.number}"})
    assert "section 1 « L’installation des médecins »" in page.text and "texte adopté" in page.text
    page = client.get(reverse("proposals:trace"), {"territoire": "Creuse"})
    assert c2.title in page.text and "Reprise dans la section 1" in page.text
    assert Participation.objects.filter(vote=vote).count() == 3


def test_the_draft_text_is_refused_to_outsiders_with_the_reason(client, world):
    OrientationText.objects.create(consultation=world["consultation"], title="Brouillon")
    response = client.get(url("text", world))
    assert response.status_code == 403 and "Se connecter" in response.text
    client.force_login(world["outsider"])
    response = client.get(url("text", world))
    assert response.status_code == 403 and "réservé aux membres du groupe" in response.text
    response = client.post(url("section_create", world), {"title": "x", "body": "y"})
    assert response.status_code == 403 and not TextSection.objects.exists()


def test_bad_input_is_answered_next_to_the_field_and_changes_nothing(client, world):
    text = OrientationText.objects.create(consultation=world["consultation"], title="Texte")
    client.force_login(world["coordinator"])
    for odd in ("abc", "²", "①", "9" * 30):  # « ² ».isdigit(): once a 500 (issue 24, Low)
        assert client.get(url("section_create", world), {"contribution": odd}).status_code == 200, odd
    response = client.post(
        url("section_create", world),
        {"title": "Section", "body": "Texte", "territories": "Creuse\nAtlantide"},
    )
    assert "Ligne 2 (« Atlantide »)" in response.text and not TextSection.objects.exists()
    past = (timezone.localtime() - timedelta(days=1)).strftime(FORMAT)
    response = client.post(url("vote_prepare", world), {"closes_at": past, "quorum_percent": 150})
    assert "Cette date est passée" in response.text and "100" in response.text
    assert not Vote.objects.exists()
    client.post(url("section_create", world), {"title": "Section", "body": "Texte"})
    soon = (timezone.localtime() + timedelta(days=1)).strftime(FORMAT)
    client.post(
        url("vote_prepare", world), {"closes_at": soon, "quorum_percent": 0, "groups": [world["group"].pk]}
    )
    response = client.post(
        url("point_create", world),
        {"section": TextSection.objects.get().pk, "title": "Q", "option_1_label": "A", "option_2_label": " "},
    )
    assert "Ce champ est obligatoire" in response.text
    assert Vote.objects.get().questions.count() == 1  # only the adoption question
    client.post(url("vote_open", world))
    member = world["members"][0]
    client.force_login(member)
    response = client.post(url("vote_cast", world), {"qabc": "1"}, follow=True)
    assert "Bulletin non valable" in response.text
    response = client.post(url("vote_cast", world), {}, follow=True)
    assert "Bulletin incomplet" in response.text
    assert not Participation.objects.exists() and sum(VoteOption.objects.values_list("count", flat=True)) == 0
    text.refresh_from_db()
    assert text.state == OrientationText.State.VOTING


def test_after_the_close_an_amendment_page_is_public_on_its_first_visit(client, world):
    """The first reader may arrive by an amendment: it proclaims, then reads with the new state."""
    from proposals import orientation

    from .orientation_factories import ballot, make_text, open_vote_with_point

    text, s1, s2 = make_text(world)
    amendment = orientation.propose_amendment(s1, user=world["members"][0], body="Autre rédaction.")
    orientation.decide_amendment(amendment, user=world["coordinator"], status="refuse", reason="Hors sujet")
    OrientationText.objects.filter(pk=text.pk).update(amendments_close_at=timezone.now())
    text.refresh_from_db()
    vote, _ = open_vote_with_point(world, text, s2, quorum=0)
    orientation.cast_ballot(vote, world["members"][1], ballot(vote, "Pour", "Réguler"))
    assert client.get(amendment.get_absolute_url()).status_code == 403
    close_vote(vote)
    response = client.get(amendment.get_absolute_url())
    assert response.status_code == 200 and "Refusé : Hors sujet" in response.text
    assert OrientationText.objects.get(pk=text.pk).state == OrientationText.State.ADOPTED


def test_a_vote_in_preparation_is_changed_then_opened_and_a_section_reads_back_by_name(client, world):
    from .orientation_factories import make_text

    text, _, s2 = make_text(world, amendments="none")
    client.force_login(world["coordinator"])
    page = client.get(url("section_edit", world, 2))
    assert "Creuse (département 23)" in page.text  # names, not codes, when a section is edited again
    soon = timezone.localtime() + timedelta(days=2)
    for days, quorum in ((2, 10), (4, 30)):
        closes = (timezone.localtime() + timedelta(days=days)).strftime(FORMAT)
        response = client.post(
            url("vote_prepare", world),
            {
                "closes_at": closes,
                "quorum_percent": quorum,
                "groups": [world["group"].pk, world["other_group"].pk],
            },
        )
        assert response.status_code == 302
    vote = Vote.objects.get()
    assert vote.quorum_percent == 30 and vote.closes_at > soon and vote.groups.count() == 2
    assert vote.questions.count() == 1  # still one adoption question
