"""Issue 24, items 3 and 4: limits key on the real client behind the configured proxies (a spoofed
X-Forwarded-For from elsewhere is ignored), and the sign-in throttle stops the attacker, not the
owner (names normalised before counting)."""

import pytest
from django.core.cache import caches
from django.test import RequestFactory, override_settings

from territories.web.client import client_ip
from territories.web.login import normalise
from tests.factories import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "motdepasse-solide-42"
PROXY = "10.0.0.2"
PROXIES = ["10.0.0.0/8", "::1"]


@pytest.fixture(autouse=True)
def _clear():
    for alias in ("default", "sessions"):
        caches[alias].clear()
    yield
    for alias in ("default", "sessions"):
        caches[alias].clear()


def _via_proxy(forwarded, remote=PROXY):
    return {"REMOTE_ADDR": remote, "HTTP_X_FORWARDED_FOR": forwarded}


@override_settings(TRUSTED_PROXIES=PROXIES)
@pytest.mark.parametrize(
    ("remote", "forwarded", "client"),
    [
        (PROXY, "198.51.100.1", "198.51.100.1"),
        (PROXY, "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the client's own header is not believed
        (PROXY, "6.6.6.6, 198.51.100.1, 10.1.2.3", "198.51.100.1"),  # two proxies of ours
        (PROXY, "2001:db8::5", "2001:db8::5"),
        (PROXY, "", PROXY),
        (PROXY, "n'importe quoi, 10.1.2.3", "10.1.2.3"),  # garbage: the proxy that received it
        ("203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not from a trusted proxy: spoofed, ignored
    ],
)
def test_client_address_from_the_trusted_chain(remote, forwarded, client):
    request = RequestFactory().get("/", **_via_proxy(forwarded, remote))
    assert client_ip(request) == client


@override_settings(TRUSTED_PROXIES=[])
def test_without_trusted_proxies_the_header_is_ignored():
    assert client_ip(RequestFactory().get("/", **_via_proxy("198.51.100.1"))) == PROXY


@override_settings(
    RATELIMIT_ENABLE=True, TRUSTED_PROXIES=PROXIES, LOGIN_RATE_PER_IP="3/h", LOGIN_RATE_PER_USERNAME="100/h"
)
def test_sign_in_limit_throttles_one_client_behind_the_proxy_not_the_others(client):
    attacker, visitor = _via_proxy("198.51.100.1"), _via_proxy("198.51.100.2")
    for i in range(3):
        assert (
            client.post("/connexion/", {"username": f"u{i}", "password": "x"}, **attacker).status_code == 200
        )
    refused = client.post("/connexion/", {"username": "u9", "password": "x"}, **attacker)
    assert refused.status_code == 429 and refused["Retry-After"] == "3600"
    make_user("visiteur", password=PASSWORD)
    ok = client.post("/connexion/", {"username": "visiteur", "password": PASSWORD}, **visitor)
    assert ok.status_code == 302


@override_settings(
    RATELIMIT_ENABLE=True, TRUSTED_PROXIES=PROXIES, LOGIN_RATE_PER_IP="3/h", LOGIN_RATE_PER_USERNAME="100/h"
)
def test_a_spoofed_forwarded_for_from_an_untrusted_address_changes_nothing(client):
    for i in range(3):
        spoofed = _via_proxy(f"198.51.100.{i}", remote="203.0.113.9")
        assert client.post("/connexion/", {"username": "x", "password": "x"}, **spoofed).status_code == 200
    spoofed = _via_proxy("198.51.100.77", remote="203.0.113.9")
    assert client.post("/connexion/", {"username": "x", "password": "x"}, **spoofed).status_code == 429


@override_settings(RATELIMIT_ENABLE=True, TRUSTED_PROXIES=PROXIES, API_RATE_LIMIT="2/m")
def test_api_limit_throttles_one_client_behind_the_proxy_not_the_others(client):
    url = "/api/v1/indicateurs/definitions/"
    for _ in range(2):
        assert client.get(url, **_via_proxy("198.51.100.1")).status_code == 200
    refused = client.get(url, **_via_proxy("198.51.100.1"))
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    assert client.get(url, **_via_proxy("198.51.100.2")).status_code == 200
    assert client.get(url, **_via_proxy("198.51.100.3")).status_code == 200


@override_settings(RATELIMIT_ENABLE=True, API_RATE_LIMIT="2/5m")
def test_retry_after_follows_the_configured_period(client):
    for _ in range(2):
        client.get("/api/v1/indicateurs/definitions/")
    refused = client.get("/api/v1/indicateurs/definitions/")
    assert refused.status_code == 429 and refused["Retry-After"] == "300"


def test_names_are_normalised_before_counting():
    assert normalise("ＣＬＡＩＲＥ") == normalise("Claire ") == normalise("claire") == "claire"
    assert normalise("STRASSE") == normalise("straße")


@override_settings(
    RATELIMIT_ENABLE=True, TRUSTED_PROXIES=PROXIES, LOGIN_RATE_PER_USERNAME="3/h", LOGIN_RATE_PER_IP="100/h"
)
def test_the_owner_is_not_locked_out_by_an_attacker(client, django_user_model):
    from django.test import Client

    owner_ip, attacker_ip = _via_proxy("198.51.100.10"), _via_proxy("198.51.100.66")
    make_user("claire", password=PASSWORD)
    owner = Client()
    assert (
        owner.post("/connexion/", {"username": "claire", "password": PASSWORD}, **owner_ip).status_code == 302
    )
    owner.post("/deconnexion/", **owner_ip)
    # the attacker exhausts the name's quota, also with full-width look-alikes
    for name in ("claire", "CLAIRE", "ｃｌａｉｒｅ"):
        client.post("/connexion/", {"username": name, "password": "faux"}, **attacker_ip)
    assert (
        client.post("/connexion/", {"username": "claire", "password": PASSWORD}, **attacker_ip).status_code
        == 429
    )
    # the owner still signs in: from the address she used…
    fresh = Client()
    assert (
        fresh.post("/connexion/", {"username": "claire", "password": PASSWORD}, **owner_ip).status_code == 302
    )
    # …and from a new address with the browser that signed in before (its cookie)
    assert (
        owner.post(
            "/connexion/", {"username": "claire", "password": PASSWORD}, **_via_proxy("198.51.100.11")
        ).status_code
        == 302
    )
    # a stranger at a new address, without the cookie, is still refused
    stranger = Client()
    assert (
        stranger.post(
            "/connexion/", {"username": "claire", "password": PASSWORD}, **_via_proxy("198.51.100.12")
        ).status_code
        == 429
    )
