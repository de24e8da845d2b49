"""Sign-in throttling: after N attempts for a user name the right password is refused too, with a
message that does not say whether the account exists (429)."""

import re

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.factories import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "motdepasse-solide-42"


@pytest.fixture(autouse=True)
def _clear():
    cache.clear()
    yield
    cache.clear()


@override_settings(RATELIMIT_ENABLE=True, LOGIN_RATE_PER_USERNAME="3/h", LOGIN_RATE_PER_IP="100/h")
def test_wrong_passwords_then_the_right_one_is_refused(client):
    make_user("claire", password=PASSWORD)
    for _ in range(3):
        response = client.post("/connexion/", {"username": "claire", "password": "faux"})
        assert response.status_code == 200 and "_auth_user_id" not in client.session
    response = client.post("/connexion/", {"username": "claire", "password": PASSWORD})
    assert response.status_code == 429 and "_auth_user_id" not in client.session
    known = response.content.decode()
    assert "Trop de tentatives de connexion" in known
    for _ in range(4):
        unknown = client.post("/connexion/", {"username": "personne", "password": "faux"})
    assert unknown.status_code == 429

    # the same words whether the account exists or not
    def errors(html):
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)
        return html[html.index("<main") : html.index("</main>")].replace("personne", "claire")

    assert errors(unknown.content.decode()) == errors(known)
    # another account is not locked by these attempts
    make_user("dominique", password=PASSWORD)
    assert client.post("/connexion/", {"username": "dominique", "password": PASSWORD}).status_code == 302


@override_settings(RATELIMIT_ENABLE=True, LOGIN_RATE_PER_USERNAME="100/h", LOGIN_RATE_PER_IP="5/h")
def test_one_address_trying_many_accounts_is_throttled(client):
    for i in range(5):
        assert client.post("/connexion/", {"username": f"u{i}", "password": "x"}).status_code == 200
    assert client.post("/connexion/", {"username": "u9", "password": "x"}).status_code == 429
