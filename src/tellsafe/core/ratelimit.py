"""Fixed-window counters in the shared cache, for rate limits and lock-outs.

Keys are keyed hashes, so the cache never holds an address or a reference in clear.
"""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest

from tellsafe.core import crypto


def client_address(request: HttpRequest) -> str:
    # The deployer's proxy must set REMOTE_ADDR correctly (see docs/runbook.md).
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(scope: str, subject: str) -> str:
    return f"rl:{scope}:{crypto.keyed_hash(subject, 'ratelimit')[:32]}"


def count(scope: str, subject: str) -> int:
    return int(cache.get(_key(scope, subject), 0))


def hit(scope: str, subject: str, window_seconds: int) -> int:
    """Add one to the counter and return the new count."""
    key = _key(scope, subject)
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window_seconds)
        return 1


def reset(scope: str, subject: str) -> None:
    cache.delete(_key(scope, subject))


def allow(scope: str, subject: str, limit: int, window_seconds: int) -> bool:
    """Count one more use and say whether it is within ``limit`` (0 means no limit)."""
    if limit <= 0:
        return True
    return hit(scope, subject, window_seconds) <= limit
