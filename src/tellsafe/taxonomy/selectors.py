from __future__ import annotations

import time

from tellsafe.taxonomy.models import HarmCategory

_TTL_SECONDS = 30.0
_cached: tuple[float, frozenset[str]] | None = None


def active_codes() -> frozenset[str]:
    """Codes a report may use. Checked on every report, so each process keeps them for a
    few seconds; an administrator's change is seen within _TTL_SECONDS."""
    global _cached
    now = time.monotonic()
    if _cached is None or now - _cached[0] > _TTL_SECONDS:
        codes = frozenset(HarmCategory.objects.filter(active=True).values_list("code", flat=True))
        _cached = (now, codes)
    return _cached[1]


def categories() -> list[HarmCategory]:
    return list(HarmCategory.objects.filter(active=True))


def forget_cached() -> None:
    global _cached, _ids
    _cached = None
    _ids = None


_ids: tuple[float, dict[str, int]] | None = None


def ids_by_code() -> dict[str, int]:
    """Active category ids by code, cached like active_codes()."""
    global _ids
    now = time.monotonic()
    if _ids is None or now - _ids[0] > _TTL_SECONDS:
        _ids = (now, dict(HarmCategory.objects.filter(active=True).values_list("code", "id")))
    return _ids[1]
