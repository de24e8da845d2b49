"""Markdown that used to pin a worker renders (pathological inputs of Python-Markdown), and every
Markdown field is capped in size with a message that says the limit and the length found."""

import pytest
from django.test import Client
from django.urls import reverse

from proposals.models import Contribution
from proposals.rendering import MAX_BODY_LENGTH, MAX_COMMENT_LENGTH, render_markdown

from .test_contributions import client_for, setting  # noqa: F401 (fixture)


@pytest.mark.parametrize("unit", ["[", "![", "*a", "[a](", "<"])
def test_pathological_inputs_render_as_text(unit):
    text = unit * (MAX_BODY_LENGTH // len(unit))
    html = render_markdown(text)
    assert html.startswith("<p>") and "<script" not in html
    # every character of the input is still there, escaped
    assert html.count("[") == text.count("[") and html.count("&lt;") == text.count("<")


def test_contribution_over_the_cap_is_refused_with_its_length(setting):  # noqa: F811
    response = client_for(setting["member"]).post(
        reverse("proposals:contribute", args=[setting["consultation"].slug]),
        {"measure": setting["measure"].pk, "title": "t", "body": "[" * (MAX_BODY_LENGTH + 1)},
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"{MAX_BODY_LENGTH + 1:,}".replace(",", "\u202f") in page or str(MAX_BODY_LENGTH + 1) in page
    assert 'maxlength="20000"' in page
    assert not Contribution.objects.exists()


def test_comment_over_the_cap_is_refused(setting):  # noqa: F811
    from tests.proposals.factories import make_contribution

    contribution = make_contribution(
        setting["consultation"],
        setting["member"],
    )
    client = client_for(setting["other"])
    client.post(
        reverse("proposals:comment", args=[contribution.pk]), {"body": "x" * (MAX_COMMENT_LENGTH + 1)}
    )
    assert not contribution.comments.exists()
    client.post(reverse("proposals:comment", args=[contribution.pk]), {"body": "x" * MAX_COMMENT_LENGTH})
    assert contribution.comments.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/?q=gu%00eret", "/territoires/commune/23%00096/", "/donnees/?x=%00", "/offre/?q=a%00"],
)
def test_nul_bytes_are_answered_400(url):
    response = Client().get(url)
    assert response.status_code == 400
    assert "caractère nul" in response.content.decode()


@pytest.mark.django_db
def test_nul_byte_in_a_posted_form_is_answered_400():
    body = "username=a%00b&password=x"
    response = Client().post("/connexion/", body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    # multipart forms reach the form, whose fields refuse NUL characters with a message (not a 500)
    response = Client().post("/connexion/", {"username": "a\x00b", "password": "x"})
    assert response.status_code == 200 and "_auth_user_id" not in response.wsgi_request.session


@pytest.mark.django_db
def test_every_page_has_a_strict_csp_and_a_permissions_policy(gueret):
    response = Client().get(gueret.get_absolute_url())
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "object-src 'none'" in csp
    assert "geolocation=()" in response["Permissions-Policy"]
    page = response.content.decode()
    # no inline script: every <script> has a src or is JSON data
    import re

    for tag in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in tag or 'type="application/json"' in tag, tag
    assert " style=" not in page and " onclick=" not in page


@pytest.mark.django_db
def test_oversized_bodies_are_refused_from_their_length():
    from django.test import override_settings

    from tests.factories import make_user

    with override_settings(MAX_REQUEST_BODY=1024, MAX_UPLOAD_BODY=4096):
        big = "x=" + "a" * 3000
        response = Client().post("/connexion/", big, content_type="application/x-www-form-urlencoded")
        assert response.status_code == 413 and "trop volumineuse" in response.content.decode()
        # the upload page: anonymous and non-staff users get the small cap, staff the large one
        assert (
            Client()
            .post("/indicateurs/imports/", big, content_type="application/x-www-form-urlencoded")
            .status_code
            == 413
        )
        staff = Client()
        staff.force_login(make_user("agent-staff", is_staff=True))
        response = staff.post("/indicateurs/imports/", big, content_type="application/x-www-form-urlencoded")
        assert response.status_code != 413  # reaches the view, which checks the permission itself
        response = staff.post(
            "/indicateurs/imports/", "x=" + "a" * 5000, content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 413
