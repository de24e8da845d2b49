"""Exports (CSV for French spreadsheets, JSON) and safe Markdown."""

import csv
import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from proposals.models import Comment, Measure, Membership, StatusChange, Support
from proposals.rendering import render_markdown

from .factories import add_member, make_consultation, make_contribution, make_group


@pytest.fixture
def consultation_with_activity(programmes):
    group = make_group()
    consultation = make_consultation(group)
    author = add_member(group, "hélène")
    supporter = add_member(group, "françois")
    coordinator = add_member(group, "coordinatrice", role=Membership.Role.COORDINATOR)
    measure = Measure.objects.get(programme__slug="pacte-territoire-sante-2012-2015", number=9)
    contribution = make_contribution(
        consultation,
        author,
        measure=measure,
        title="Un SMUR à Aubusson : « accès en moins de 30 minutes »",
        body="Créer une antenne ; le délai dépasse 45 minutes à Féniers.",
        zone_level="commune",
        zone_code="23008",
        zone_name="Aubusson",
        status="retenue",
        status_reason="Retenue : priorité du département",
    )
    StatusChange.objects.create(
        contribution=contribution,
        previous_status="publiee",
        status="retenue",
        reason="Retenue : priorité du département",
        changed_by=coordinator,
    )
    Support.objects.create(contribution=contribution, user=supporter)
    Comment.objects.create(contribution=contribution, author=supporter, body="Très juste ; à chiffrer.")
    return consultation, coordinator, author


def test_csv_export_opens_in_a_french_spreadsheet_with_accents(consultation_with_activity):
    consultation, coordinator, _author = consultation_with_activity
    client = Client()
    client.force_login(coordinator)
    response = client.get(reverse("proposals:consultation_export", args=[consultation.slug, "csv"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel detects the encoding
    text = raw.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    header, row = rows[0], rows[1]
    assert header[:3] == ["Identifiant", "Titre", "Auteur"] and "Créée le" in header
    record = dict(zip(header, row, strict=True))
    assert record["Titre"] == "Un SMUR à Aubusson : « accès en moins de 30 minutes »"
    assert record["Auteur"] == "hélène"
    assert record["Statut"] == "Retenue" and record["Motif du statut"] == "Retenue : priorité du département"
    assert record["Soutiens"] == "1"
    assert "françois" in record["Commentaires"] and "Très juste ; à chiffrer." in record["Commentaires"]
    assert (
        "Publiée" in record["Historique des statuts"] and "coordinatrice" in record["Historique des statuts"]
    )
    assert record["Territoire"] == "Aubusson (commune:23008)"
    # Latin-1 (what Excel would use without the BOM) would garble the accents: the BOM matters.
    assert raw[3:].decode("latin-1") != text


def test_json_export(consultation_with_activity):
    consultation, coordinator, _author = consultation_with_activity
    client = Client()
    client.force_login(coordinator)
    response = client.get(reverse("proposals:consultation_export", args=[consultation.slug, "json"]))
    data = json.loads(response.content.decode("utf-8"))
    assert data["consultation"]["slug"] == consultation.slug
    (item,) = data["contributions"]
    assert item["supports"] == 1 and item["status"] == "Retenue"
    assert item["comments"][0]["author"] == "françois"
    assert item["history"][0]["reason"] == "Retenue : priorité du département"
    assert "hélène" in response.content.decode("utf-8")  # not escaped as \u00e9


def test_export_is_for_coordinators_and_staff(consultation_with_activity, django_user_model):
    consultation, _coordinator, author = consultation_with_activity
    url = reverse("proposals:consultation_export", args=[consultation.slug, "csv"])
    assert Client().get(url).status_code == 403
    member = Client()
    member.force_login(author)
    assert member.get(url).status_code == 403
    staff = Client()
    staff.force_login(django_user_model.objects.create_user("equipe", is_staff=True))
    assert staff.get(url).status_code == 200
    assert (
        staff.get(reverse("proposals:consultation_export", args=[consultation.slug, "xml"])).status_code
        == 404
    )


def test_measures_export(programmes):
    response = Client().get(reverse("proposals:measures_export", args=["csv"]))
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == Measure.objects.count()
    cesp = next(r for r in rows if r["Intitulé"].startswith("1 500 contrats"))
    assert cesp["Valeur cible"] == "1500" and cesp["Échéance"] == "d’ici 2017"
    # the source's human name, not its storage name
    assert "Pacte territoire santé 2012-2015.txt" in cesp["Document source"]
    assert "003_71d251b4d41a99e3" not in cesp["Document source"]
    data = json.loads(Client().get(reverse("proposals:measures_export", args=["json"])).content)
    assert {
        m["target_value"] for m in data["mesures"] if m["number"] == 2 and "CESP" in m["target_unit"]
    } == {1500.0}


@pytest.mark.parametrize(
    "text",
    [
        "<script>alert(1)</script>",
        "[x](javascript:alert(1))",
        '<a href="javascript:alert(1)">x</a>',
        "<img src=x onerror=alert(1)>",
        "[x](JaVaScRiPt:alert(1))",
    ],
)
def test_markdown_renders_script_and_javascript_links_inert(text):
    html = render_markdown(text)
    tags = re.findall(r"<(/?)(\w+)([^>]*)>", html)  # real tags only: escaped text is &lt;…
    assert {name for _slash, name, _attrs in tags} <= {"p", "a"}
    for _slash, _name, attrs in tags:
        assert "javascript" not in attrs.lower() and "onerror" not in attrs.lower()
    assert "<script" not in html.lower() and "<img" not in html.lower()


def test_markdown_keeps_ordinary_formatting():
    html = render_markdown("**gras** et [lien](https://www.ars.sante.fr)\n\n- un\n- deux")
    assert "<strong>gras</strong>" in html
    assert '<a href="https://www.ars.sante.fr" rel="nofollow noopener noreferrer">lien</a>' in html
    assert "<li>un</li>" in html


def test_contribution_page_renders_hostile_markdown_inert(consultation_with_activity):
    consultation, _coordinator, author = consultation_with_activity
    contribution = make_contribution(
        consultation,
        author,
        body="<script>alert('x')</script>\n\n[cliquez](javascript:alert(1)) et *texte*",
    )
    Comment.objects.create(contribution=contribution, author=author, body="<script>document.cookie</script>")
    page = Client().get(contribution.get_absolute_url()).content.decode()
    body = page[page.index('class="prose contribution-body"') :]
    assert "<script>alert" not in body and "<script>document.cookie" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body or "&lt;script&gt;alert(" in body
    # the javascript: link is refused by the parser and stays visible as plain text, never a link
    assert 'href="javascript' not in body.lower() and "[cliquez](javascript:alert(1))" in body
    assert "<em>texte</em>" in body


def test_comparison_puts_programmes_side_by_side_by_lever(programmes):
    page = Client().get(reverse("proposals:compare"), {"theme": "installation"}).content.decode()
    table = page[page.index('<table class="compare">') : page.index("</table>")]
    rows = re.findall(r'<th scope="row">([^<]+)</th>', table)
    assert rows[:3] == ["Incitation", "Régulation", "Salariat et offre publique"]
    headers = re.findall(r'<th scope="col"><a href="/programmes/([^/]+)/">', table)
    assert len(headers) == 6 and headers[0] == "pacte-territoire-sante-2012-2015"
    regulation = table[table.index(">Régulation<") : table.index(">Salariat et offre publique<")]
    assert "nouveaux dispositifs de régulation" in regulation
    salaried = table[table.index(">Salariat et offre publique<") :]
    assert "centres municipaux de santé" in salaried and "400 médecins généralistes" in salaried
    assert Client().get(reverse("proposals:compare"), {"theme": "inconnu"}).status_code == 404


def test_csv_export_neutralises_spreadsheet_formulas(consultation_with_activity):
    consultation, coordinator, author = consultation_with_activity
    make_contribution(
        consultation, author, title='=HYPERLINK("http://example.invalid";"clic")', body="@SUM(A1)"
    )
    client = Client()
    client.force_login(coordinator)
    text = client.get(reverse("proposals:consultation_export", args=[consultation.slug, "csv"])).content
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig")), delimiter=";"))
    titles = [dict(zip(rows[0], row, strict=True))["Titre"] for row in rows[1:]]
    assert '\'=HYPERLINK("http://example.invalid";"clic")' in titles
    assert not any(title.startswith(("=", "+", "-", "@")) for title in titles)


def test_json_export_dates_are_iso_8601_and_csv_keeps_french_dates(consultation_with_activity):
    from datetime import datetime

    from proposals.models import Contribution

    consultation, coordinator, _author = consultation_with_activity
    client = Client()
    client.force_login(coordinator)
    data = json.loads(
        client.get(reverse("proposals:consultation_export", args=[consultation.slug, "json"])).content
    )
    (item,) = data["contributions"]
    contribution = Contribution.objects.get(pk=item["id"])
    dates = [item["created_at"], item["comments"][0]["created_at"], item["history"][0]["at"]]
    dates += [data["consultation"]["opens_at"], data["consultation"]["closes_at"]]
    for value in dates:
        parsed = datetime.fromisoformat(value)  # raises on « 22/11/2026 10:00 »
        assert parsed.tzinfo is not None, value
    assert datetime.fromisoformat(item["created_at"]) == contribution.created_at
    csv_text = client.get(
        reverse("proposals:consultation_export", args=[consultation.slug, "csv"])
    ).content.decode("utf-8-sig")
    record = dict(zip(*list(csv.reader(io.StringIO(csv_text), delimiter=";"))[:2], strict=True))
    assert re.fullmatch(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}", record["Créée le"])
