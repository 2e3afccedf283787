"""Fixed-window counters in the shared cache, for rate limits and lock-outs.

Keys are keyed hashes, so the cache never holds an address or a reference in clear.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

from tellsafe.core import crypto


def client_address(request: HttpRequest) -> str:
    """The client's address. Behind TELLSAFE_TRUSTED_PROXIES reverse proxies, it is read
    from X-Forwarded-For, counting that many hops from the right (the entries the
    proxies themselves added), so a client cannot choose its own address."""
    hops = settings.TRUSTED_PROXIES
    if hops > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(scope: str, subject: str) -> str:
    return f"rl:{scope}:{crypto.keyed_hash(subject, 'ratelimit')[:32]}"


def count(scope: str, subject: str) -> int:
    entry = cache.get(_key(scope, subject))
    if not entry or entry[1] <= time.time():
        return 0
    return int(entry[0])


def hit(scope: str, subject: str, window_seconds: int) -> int:
    """Add one to the counter and return the new count. The window starts with the
    first hit and is kept on every later one (cache.incr() on some backends would reset
    the expiry to the default timeout)."""
    key = _key(scope, subject)
    now = time.time()
    entry = cache.get(key)
    if not entry or entry[1] <= now:
        entry = (0, now + window_seconds)
    entry = (int(entry[0]) + 1, entry[1])
    cache.set(key, entry, timeout=max(1, int(entry[1] - now) + 1))
    return entry[0]


def reset(scope: str, subject: str) -> None:
    cache.delete(_key(scope, subject))


def allow(scope: str, subject: str, limit: int, window_seconds: int) -> bool:
    """Count one more use and say whether it is within ``limit`` (0 means no limit)."""
    if limit <= 0:
        return True
    return hit(scope, subject, window_seconds) <= limit


def client_ip_or_none(request: HttpRequest) -> str | None:
    """client_address() when it is a valid IP address, for django-axes (which stores it
    in an address column); None otherwise."""
    import ipaddress

    address = client_address(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
