"""The sign-in page, throttled on the shared cache (django-ratelimit): at most
``LOGIN_RATE_PER_USERNAME`` attempts per submitted user name and ``LOGIN_RATE_PER_IP`` per client
address. A throttled attempt is refused before the password is even checked, with the same
message whether the account exists or not (no user enumeration), status 429."""

from django.conf import settings
from django.contrib.auth.views import LoginView
from django.forms.utils import ErrorDict
from django.utils.decorators import method_decorator
from django_ratelimit.decorators import ratelimit

THROTTLED = (
    "Trop de tentatives de connexion pour ce compte ou depuis cette adresse : réessayez plus tard "
    "(au plus {rate} tentatives par compte)."
)


def _username_rate(group, request):
    return getattr(settings, "LOGIN_RATE_PER_USERNAME", "10/h")


def _ip_rate(group, request):
    return getattr(settings, "LOGIN_RATE_PER_IP", "50/h")


def _username_key(group, request):
    return (request.POST.get("username") or "").strip().lower()[:150] or "vide"


@method_decorator(
    ratelimit(key=_username_key, rate=_username_rate, method="POST", group="login-user", block=False),
    name="post",
)
@method_decorator(
    ratelimit(key="ip", rate=_ip_rate, method="POST", group="login-ip", block=False), name="post"
)
class ThrottledLoginView(LoginView):
    def post(self, request, *args, **kwargs):
        if getattr(request, "limited", False):
            form = self.get_form()
            form._errors, form.cleaned_data = ErrorDict(), {}  # never validated: no password check
            form.add_error(None, THROTTLED.format(rate=_username_rate(None, request).split("/")[0]))
            response = self.render_to_response(self.get_context_data(form=form))
            response.status_code = 429
            return response
        return super().post(request, *args, **kwargs)
