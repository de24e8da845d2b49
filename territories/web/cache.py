"""A Redis cache that degrades instead of failing: when Redis is down or slow, reads miss, writes
are dropped and the page is computed as if nothing were cached (a warning is logged, once per
outage). Every cached thing in the portal (pages, map layers, API answers, rate-limit counters,
the session copies of ``cached_db``) can be recomputed or read from PostgreSQL, so a Redis outage
costs speed, never a 500.

After a failure the backend does not try Redis again for ``RETRY_AFTER`` seconds (a circuit
breaker), so that an outage does not add a connection timeout to every request.
"""

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)
RETRY_AFTER = 5.0
# Connection and socket timeouts (seconds) unless CACHES[…]["OPTIONS"] says otherwise.
TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}


class FailSafeRedisCache(RedisCache):
    """django's RedisCache whose operations never raise a Redis error."""

    def __init__(self, server, params):
        params = {**params, "OPTIONS": {**TIMEOUTS, **(params.get("OPTIONS") or {})}}
        super().__init__(server, params)
        self._down_until = 0.0

    def _call(self, name, fallback, *args, **kwargs):
        import redis

        if time.monotonic() < self._down_until:
            return fallback
        try:
            result = getattr(super(), name)(*args, **kwargs)
        except (redis.exceptions.RedisError, OSError) as exc:
            if not self._down_until:
                logger.warning("cache unavailable (%s: %s): serving without cache", type(exc).__name__, exc)
            self._down_until = time.monotonic() + RETRY_AFTER
            return fallback
        if self._down_until:
            logger.warning("cache available again")
            self._down_until = 0.0
        return result

    @property
    def available(self) -> bool:
        """False during the pause that follows a failure."""
        return time.monotonic() >= self._down_until

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._call("get", default, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set", None, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, key, timeout, version)

    def delete(self, key, version=None):
        return self._call("delete", False, key, version)

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, keys, version)

    def has_key(self, key, version=None):
        return self._call("has_key", False, key, version)

    def incr(self, key, delta=1, version=None):
        marker = object()
        value = self._call("incr", marker, key, delta, version)
        if value is marker:  # the contract of a missing key (django-ratelimit then fails open)
            raise ValueError(f"Key '{key}' not found (cache unavailable).")
        return value

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("set_many", list(data), data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._call("delete_many", None, keys, version)

    def clear(self):
        return self._call("clear", False)
