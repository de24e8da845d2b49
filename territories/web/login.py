"""The sign-in page, throttled on the shared cache (django-ratelimit) so that it stops an attacker
without locking the owner out:

- per client address (the real client behind the trusted proxies, ``territories.web.client``):
  at most ``LOGIN_RATE_PER_IP`` attempts, whatever the names tried;
- per user name: at most ``LOGIN_RATE_PER_USERNAME`` attempts from *unknown* clients. A client
  that has already signed in with that name — same address, or the « known device » cookie set
  at that sign-in — is neither counted nor refused: ten wrong passwords from elsewhere do not lock
  the owner out. Names are normalised (NFKC, case-folded) before counting, so a full-width
  look-alike shares the quota of the name it imitates.

A throttled attempt is refused before the password is even checked, with the same message whether
the account exists or not (no user enumeration), status 429, and a ``Retry-After`` of the
configured period.
"""

import hashlib
import unicodedata

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.core import signing
from django.core.cache import caches
from django.forms.utils import ErrorDict
from django_ratelimit.core import _split_rate, is_ratelimited

from territories.web.client import client_ip

THROTTLED = (
    "Trop de tentatives de connexion pour ce compte ou depuis cette adresse : réessayez plus tard "
    "(au plus {rate} tentatives par compte)."
)
KNOWN_COOKIE = "st_known"
KNOWN_SALT = "territories.login.known"
KNOWN_SECONDS = 60 * 60 * 24 * 180


def normalise(name: str) -> str:
    """« ＡＤＭＩＮ » and « Admin » count as « admin »."""
    return unicodedata.normalize("NFKC", name or "").casefold().strip()[:150] or "vide"


def _digest(*parts) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _cache():
    return caches[getattr(settings, "RATELIMIT_USE_CACHE", "default")]


def _known_pair_key(name, request) -> str:
    return f"login-known:{_digest(name, client_ip(request))}"


def is_known_client(request, name) -> bool:
    """Has this client signed in with this name before (its address, or its signed cookie)?"""
    try:
        names = signing.loads(request.COOKIES.get(KNOWN_COOKIE, ""), salt=KNOWN_SALT, max_age=KNOWN_SECONDS)
    except signing.BadSignature:
        names = []
    return _digest(name) in names or bool(_cache().get(_known_pair_key(name, request)))


def remember_client(request, response, name) -> None:
    _cache().set(_known_pair_key(name, request), 1, KNOWN_SECONDS)
    try:
        names = signing.loads(request.COOKIES.get(KNOWN_COOKIE, ""), salt=KNOWN_SALT)
    except signing.BadSignature:
        names = []
    names = [_digest(name), *[n for n in names if n != _digest(name)]][:5]
    response.set_cookie(
        KNOWN_COOKIE,
        signing.dumps(names, salt=KNOWN_SALT),
        max_age=KNOWN_SECONDS,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def throttled(request, name) -> str | None:
    """The limiting rate (« 10/h ») when this attempt must be refused, else None; counts it."""
    ip_rate = getattr(settings, "LOGIN_RATE_PER_IP", "50/h")
    if is_ratelimited(request, group="login-ip", key="ip", rate=ip_rate, method="POST", increment=True):
        return ip_rate
    if is_known_client(request, name):
        return None
    name_rate = getattr(settings, "LOGIN_RATE_PER_USERNAME", "10/h")
    limited = is_ratelimited(
        request, group="login-user", key=lambda g, r: name, rate=name_rate, method="POST", increment=True
    )
    return name_rate if limited else None


class ThrottledLoginView(LoginView):
    def post(self, request, *args, **kwargs):
        name = normalise(request.POST.get("username"))
        rate = throttled(request, name)
        if rate:
            form = self.get_form()
            form._errors, form.cleaned_data = ErrorDict(), {}  # never validated: no password check
            per_name = getattr(settings, "LOGIN_RATE_PER_USERNAME", "10/h")
            form.add_error(None, THROTTLED.format(rate=per_name.split("/")[0]))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            response["Retry-After"] = str(_split_rate(rate)[1])
            return response
        response = super().post(request, *args, **kwargs)
        if request.user.is_authenticated:
            remember_client(request, response, name)
        return response
