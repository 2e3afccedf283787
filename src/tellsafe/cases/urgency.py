"""Initial urgency of a new case, and when its first response is due.

These are the default rules from the case desk design: imminent danger first; sextortion
and grooming of a child under 13 next. The desk issue turns them into data an
administrator can edit; until then they live here, in one function.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings

from tellsafe.cases.models import Urgency

HIGH_FOR_UNDER_13 = {"sextortion", "grooming", "livestreaming", "trafficking", "contact_abuse"}
HIGH_FOR_ALL = {"sextortion", "livestreaming", "trafficking"}
UNDER_13 = {"under_9", "9_12"}


def assess(*, safe_now: bool | None, age_band: str, category_codes: Iterable[str]) -> Urgency:
    codes = set(category_codes)
    if safe_now is False:
        return Urgency.IMMINENT
    if codes & HIGH_FOR_ALL or (age_band in UNDER_13 and codes & HIGH_FOR_UNDER_13):
        return Urgency.HIGH
    return Urgency.NORMAL


def first_response_due(urgency: str, start: datetime) -> datetime:
    return start + timedelta(minutes=settings.FIRST_RESPONSE_MINUTES[urgency])
