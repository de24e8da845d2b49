"""What every page of the app that writes shares: the rate limit of posts and the refusal page."""

from django.conf import settings
from django.shortcuts import render
from django_ratelimit.decorators import ratelimit

RATE_GROUP = "proposals-post"


def post_rate(group, request):
    return getattr(settings, "PROPOSALS_POST_RATE", "30/h")


def limited_posting(view):
    """Rate-limit posting per user (django-ratelimit); a refused post says so in French, status 429."""

    @ratelimit(key="user_or_ip", rate=post_rate, method="POST", group=RATE_GROUP, block=False)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "limited", False):
            response = render(
                request,
                "proposals/rate_limited.html",
                {"next": request.META.get("HTTP_REFERER", "")},
                status=429,
            )
            return response
        return view(request, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def refuse(request, message):
    """403 with the reason, in French, on a page of the portal."""
    return render(request, "proposals/refused.html", {"message": message}, status=403)
