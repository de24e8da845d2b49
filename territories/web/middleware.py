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
        # A cookie is not the visitor's to fix: one with a NUL byte (a forged session key) is
        # dropped, so the request goes on as without it (a fresh session), never a 500.
        for name in [n for n, v in request.COOKIES.items() if "\x00" in n or "\x00" in v]:
            del request.COOKIES[name]
        return self.get_response(request)


class CapRequestBodyMiddleware:
    """Request bodies are capped before anything reads them (413): ``MAX_REQUEST_BODY`` for every
    request, and ``MAX_UPLOAD_BODY`` only on the upload pages (``UPLOAD_PATHS``) for signed-in
    staff — the pages themselves then check the import permission. An anonymous 300 MiB POST is
    refused from its Content-Length, never spooled to disk. (Placed after the authentication
    middleware; a body without Content-Length is bounded by Django's own limits.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.conf import settings

        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponseBadRequest("Requête invalide : longueur du corps illisible.")
        limit = settings.MAX_REQUEST_BODY
        user = getattr(request, "user", None)
        if (
            request.path.startswith(tuple(settings.UPLOAD_PATHS))
            and user is not None
            and user.is_authenticated
            and user.is_staff
        ):
            limit = settings.MAX_UPLOAD_BODY
        if length > limit:
            from django.http import HttpResponse

            return HttpResponse(
                f"Requête trop volumineuse : {length // (1024 * 1024)} Mio, "
                f"{limit // (1024 * 1024)} Mio au plus ici.",
                status=413,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
