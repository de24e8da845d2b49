"""What a page reads more than once, read once per GET request.

A territory page asks several sections for the same reference facts: the current run, the
classification thresholds, the latest GP-supply dataset, whether the user may simulate… While a
GET or HEAD request is served, ``remembered`` and ``@per_request`` keep the first answer for the
rest of the request: reading never computes nor switches runs, and a GET changes no permission,
so the answer cannot change under the page. Other requests (a POST that may compute in-process or
sign someone in, commands, tasks, tests outside a request) always read the database.

Only functions whose answer is never mutated by their callers are remembered (the memo hands the
same object to every caller of the request).
"""

import contextvars
from functools import wraps

_memo: contextvars.ContextVar[dict | None] = contextvars.ContextVar("request_memo", default=None)


def remembered(key, read):
    """``read()`` once per GET request under ``key``; outside such a request, every time."""
    memo = _memo.get()
    if memo is None:
        return read()
    if key not in memo:
        memo[key] = read()
    return memo[key]


def per_request(function):
    """``function(*args)`` once per GET request and arguments (hashable ones, lists read as
    tuples: model instances count by their class and primary key; anything unhashable is read
    every time)."""
    name = f"{function.__module__}.{function.__qualname__}"

    @wraps(function)
    def wrapper(*args, **kwargs):
        memo = _memo.get()
        if memo is None:
            return function(*args, **kwargs)
        key = (
            name,
            tuple((type(a), tuple(a) if isinstance(a, list) else a) for a in args),
            tuple(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in kwargs.items())),
        )
        try:
            if key in memo:
                return memo[key]
        except TypeError:  # an unhashable argument (a list, an unsaved instance)
            return function(*args, **kwargs)
        memo[key] = answer = function(*args, **kwargs)
        return answer

    return wrapper


class RequestMemoMiddleware:
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
