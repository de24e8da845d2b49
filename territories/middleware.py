"""Request hygiene shared by every app (the lowest app owns it; ``config`` only wires it).

A NUL byte is never legitimate in a URL, a query string or a form field, and PostgreSQL refuses it
in text: such requests are answered 400 with a short message instead of reaching a view (which
would end in a 500).
"""

from urllib.parse import unquote_to_bytes

from django.http import HttpResponseBadRequest

NUL_MESSAGE = "Requête invalide : caractère nul (U+0000) dans l’adresse ou le formulaire."


def _has_nul(request) -> bool:
    raw_path = request.META.get("PATH_INFO", "")
    query = request.META.get("QUERY_STRING", "")
    if "\x00" in raw_path or b"\x00" in unquote_to_bytes(query.replace("+", " ")):
        return True
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        try:
            return any(
                "\x00" in key or any("\x00" in v for v in values) for key, values in request.POST.lists()
            )
        except Exception:  # malformed body: Django answers it itself
            return False
    return False


class RejectNulBytesMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request):
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
