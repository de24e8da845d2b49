"""The current run, read once per page.

A territory page asks for the current run from several sections (key figures, « Accès aux
soins », « Où agir », policy measures); each asked the database. While a GET or HEAD request is
served, ``ComputationRun.current()`` keeps its answer for the rest of the request: reading never
computes nor switches runs, so the answer cannot change under the page. Other requests (a POST
that may compute in-process, commands, tasks, tests outside a request) always read the database.
"""

import contextvars

_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("current_run_memo", default=None)


def remembered(key, read):
    """``read()`` once per GET request under ``key``; outside such a request, every time."""
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


class CurrentRunMemoMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        token = _memo.set({})
        try:
            return self.get_response(request)
        finally:
            _memo.reset(token)
