"""Flood protection: a hash that suddenly matches far more lookups than it normally does
is quarantined for a person to look at, instead of being acted on blindly.

Why: one wrong hash in a bank (a logo, a meme, a blank frame) can match thousands of
harmless uploads within minutes. Every lookup that matched adds to an hourly tally per
hash. A hash is quarantined when its count in the current hour exceeds both
``FLOOD_MIN_MATCHES_PER_HOUR`` and ``FLOOD_FACTOR`` times its average hourly count over
the previous ``FLOOD_BASELINE_DAYS`` days. Quarantined hashes still show in results, with
``quarantined: true`` and ``actionable: false``; an analyst releases them (or removes them
and adds them to a negative bank). After a release the hash is not quarantined again for
``FLOOD_RELEASE_GRACE_HOURS``, or the same burst would quarantine it at once.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.matching.models import BankChange, BankHash, MatchTally
from tellsafe.matching.services import lock_changes

log = logging.getLogger(__name__)


def _hour(at: datetime) -> datetime:
    return at.replace(minute=0, second=0, microsecond=0)


def threshold(baseline_per_hour: float) -> float:
    """Matches in one hour above which a hash with this baseline is a flood."""
    return max(
        float(settings.FLOOD_MIN_MATCHES_PER_HOUR),
        float(settings.FLOOD_FACTOR) * baseline_per_hour,
    )


def record_matches(counts: Counter[int], *, now: datetime | None = None) -> list[int]:
    """Add lookups that matched to the hourly tallies (``counts``: bank-hash id -> number
    of lookups) and quarantine the hashes that flood. Returns the ids quarantined now."""
    if not counts:
        return []
    now = now or timezone.now()
    hour = _hour(now)
    quarantined: list[int] = []
    with write_transaction():
        for bank_hash_id, n in sorted(counts.items()):
            _add(bank_hash_id, hour, n)
        current = dict(
            MatchTally.objects.filter(bank_hash_id__in=list(counts), hour=hour).values_list(
                "bank_hash_id", "count"
            )
        )
        since = hour - timedelta(days=settings.FLOOD_BASELINE_DAYS)
        past = dict(
            MatchTally.objects.filter(bank_hash_id__in=list(counts), hour__gte=since, hour__lt=hour)
            .values("bank_hash_id")
            .annotate(total=Sum("count"))
            .values_list("bank_hash_id", "total")
        )
        hours = settings.FLOOD_BASELINE_DAYS * 24
        flooding = [i for i, c in current.items() if c > threshold((past.get(i) or 0) / hours)]
        if flooding:
            quarantined = _quarantine(flooding, now, current)
    return quarantined


def _add(bank_hash_id: int, hour: datetime, n: int) -> None:
    if MatchTally.objects.filter(bank_hash_id=bank_hash_id, hour=hour).update(count=F("count") + n):
        return
    try:
        with transaction.atomic():
            MatchTally.objects.create(bank_hash_id=bank_hash_id, hour=hour, count=n)
    except IntegrityError:  # another process created it meanwhile
        MatchTally.objects.filter(bank_hash_id=bank_hash_id, hour=hour).update(count=F("count") + n)


def _quarantine(ids: list[int], now: datetime, current: dict[int, int]) -> list[int]:
    grace = now - timedelta(hours=settings.FLOOD_RELEASE_GRACE_HOURS)
    lock_changes()
    rows = list(
        BankHash.objects.filter(
            pk__in=ids, quarantined_at__isnull=True, status=BankHash.Status.ACTIVE
        ).exclude(quarantine_released_at__gt=grace)
    )
    if not rows:
        return []
    BankHash.objects.filter(pk__in=[r.pk for r in rows]).update(quarantined_at=now)
    BankChange.objects.bulk_create(
        [BankChange(bank_id=r.bank_id, bank_hash=r, action="update", at=now) for r in rows]
    )
    for r in rows:
        audit.record(
            actor=audit.Actor.system(),
            action="bank.quarantine",
            object_type="bank_hash",
            object_id=r.pk,
            reason="flood",
            data={"bank": r.bank_id, "matches_this_hour": current.get(r.pk, 0)},
        )
        log.warning("hash quarantined (flood)", extra={"bank_hash": r.pk, "bank": r.bank_id})
    return [r.pk for r in rows]
