"""Initial urgency of a new case, from the urgency rules (cases.UrgencyRule, data an
administrator edits), and when its first response is due (TELLSAFE_FIRST_RESPONSE_*)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings

from tellsafe.cases.models import Urgency, UrgencyRule

_TTL_SECONDS = 30.0
_cached: tuple[float, list[UrgencyRule]] | None = None

# The rules every installation starts with (seeded by a data migration).
DEFAULT_RULES = [
    {"position": 10, "name": "Not safe right now", "urgency": "imminent", "when_not_safe": True},
    {
        "position": 20,
        "name": "Sextortion, live-streamed abuse or trafficking",
        "urgency": "high",
        "categories": ["sextortion", "livestreaming", "trafficking"],
    },
    {
        "position": 30,
        "name": "Grooming or contact abuse of a child under 13",
        "urgency": "high",
        "categories": ["grooming", "contact_abuse", "self_generated", "image_sharing"],
        "age_bands": ["under_9", "9_12"],
    },
    {
        "position": 40,
        "name": "Abuse material of a real child",
        "urgency": "high",
        "categories": ["csam"],
    },
]


def rules() -> list[UrgencyRule]:
    """Active rules in order; each process keeps them for a few seconds."""
    global _cached
    now = time.monotonic()
    if _cached is None or now - _cached[0] > _TTL_SECONDS:
        _cached = (now, list(UrgencyRule.objects.filter(active=True)))
    return _cached[1]


def forget_cached() -> None:
    global _cached
    _cached = None


def assess(*, safe_now: bool | None, age_band: str, category_codes: Iterable[str]) -> Urgency:
    codes = set(category_codes)
    if safe_now is False:
        # A child who is not safe now comes first, whatever the rules say.
        return Urgency.IMMINENT
    for rule in rules():
        if rule.matches(safe_now=safe_now, age_band=age_band, category_codes=codes):
            return Urgency(rule.urgency)
    return Urgency.NORMAL


def first_response_due(urgency: str, start: datetime) -> datetime:
    return start + timedelta(minutes=settings.FIRST_RESPONSE_MINUTES[urgency])
