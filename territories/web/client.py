"""The client's address behind the configured reverse proxies.

In production gunicorn listens on 127.0.0.1 behind a reverse proxy, so ``REMOTE_ADDR`` is the
proxy for every visitor. ``TRUSTED_PROXIES`` (environment: a comma-separated list of addresses or
networks, e.g. ``127.0.0.1,::1,10.0.0.0/8``) names the proxies whose ``X-Forwarded-For`` is
believed. Reading that header from the right (each proxy appends the address it saw), the first
address that is not a trusted proxy is the client. A request that does not come from a trusted
proxy is keyed on ``REMOTE_ADDR`` whatever its headers say, so a spoofed header is ignored.

Used by django-ratelimit (``RATELIMIT_IP_META_KEY``): the sign-in, API, map-layer and posting
limits count per real client, not per proxy.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]):
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def trusted_networks():
    return _networks(tuple(getattr(settings, "TRUSTED_PROXIES", ()) or ()))


def _address(text: str):
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _is_trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str:
    """The real client's address (a valid IP address string)."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = trusted_networks()
    nearest = _address(remote)
    if not networks or not _is_trusted(nearest, networks):
        return remote
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:  # not written by a proxy of ours: key on the proxy that received it
            return str(nearest)
        if not _is_trusted(address, networks):
            return str(address)
        nearest = address
    return str(nearest)  # only proxies in the chain: the farthest one stands for the client
