"""Removal-time statistics: how fast partners remove what we notify, per partner and
nationally, from ``sent_at`` (the clock starts) to ``removed_at``.

Definitions (the desk page and the transparency report use these words):

- **sent**: notices whose clock started in the period (``sent_at`` in [start, end)).
- **removed**, **not found**, **refused**: the partner's answer (or a checker's removal);
  **open**: no answer and not closed; **withdrawn**: closed by us without an answer.
- **median, p75, p90**: of the removal times of the removed notices, as PostgreSQL's
  ``percentile_cont`` computes them (linear interpolation between neighbours).
- **% within 24 h / 3 days / 7 days**: removed within that time, out of all sent.
- **% over 42 days**: removed after 42 days, or still open 42 days after sending, out of
  all sent.
- **re-uploads**: content found again after the partner removed it (``reuploads``),
  detected in the period.

On PostgreSQL the figures come from one SQL query (``percentile_cont`` in the
database); on SQLite the two time columns are streamed and the same figures computed in
Python.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone

from tellsafe.partners.models import Partner
from tellsafe.routing.notices.models import Notice, Outcome, Reupload

HOUR = 3600.0
WITHIN = {
    "within_24h": timedelta(hours=24),
    "within_3d": timedelta(days=3),
    "within_7d": timedelta(days=7),
}
LONG = timedelta(days=42)
FRACTIONS = (0.5, 0.75, 0.9)
# PostgreSQL's work_mem for the statistics query (setting NOTICE_STATS_WORK_MEM).
DEFAULT_WORK_MEM = "128MB"
_MEMORY = re.compile(r"[1-9][0-9]{0,6}(kB|MB|GB)")


@dataclass
class RemovalStats:
    """One row of figures; ``partner_id`` None is the national row. Times are in hours,
    shares in percent of ``sent``; None where there is nothing to measure."""

    partner_id: int | None
    partner_name: str = ""
    sent: int = 0
    removed: int = 0
    not_found: int = 0
    refused: int = 0
    open: int = 0
    withdrawn: int = 0
    median_hours: float | None = None
    p75_hours: float | None = None
    p90_hours: float | None = None
    within_24h: float | None = None
    within_3d: float | None = None
    within_7d: float | None = None
    over_42d: float | None = None
    reuploads: int = 0
    counts: dict[str, int] = field(default_factory=dict, repr=False)

    def finish(self, seconds: list[float | None]) -> RemovalStats:
        """Fill the derived figures from the counts and the percentiles (seconds)."""
        self.withdrawn = self.sent - self.removed - self.not_found - self.refused - self.open
        self.median_hours, self.p75_hours, self.p90_hours = (
            None if s is None else round(s / HOUR, 2) for s in seconds
        )
        for name in (*WITHIN, "over_42d"):
            share = 100.0 * self.counts.get(name, 0) / self.sent if self.sent else None
            setattr(self, name, None if share is None else round(share, 1))
        return self


@dataclass
class StatsReport:
    national: RemovalStats
    partners: list[RemovalStats]
    start: datetime | None
    end: datetime | None


def percentile_cont(ordered: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over already sorted values."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def removal_stats(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    kind: str | None = None,
    by_partner: bool = True,
    now: datetime | None = None,
) -> StatsReport:
    """The figures of notices sent in [start, end) (of one ``kind``, or all), nationally
    and, with ``by_partner``, for each partner that was sent one, by partner name."""
    now = now or timezone.now()
    for moment in (start, end, now):
        if moment is not None and timezone.is_naive(moment):
            raise ValueError("start, end and now must be aware datetimes")
    if connection.vendor == "postgresql":
        rows = _postgres(start, end, kind, by_partner, now)
    else:
        rows = _streamed(start, end, kind, by_partner, now)
    national = rows.pop(None, None) or RemovalStats(None, "National").finish([None] * 3)
    national.partner_name = "National"
    reuploads = _reupload_counts(start, end)
    national.reuploads = sum(reuploads.values())
    names = dict(Partner.objects.filter(pk__in=list(rows)).values_list("pk", "name"))
    partners = []
    for partner_id, row in rows.items():
        if partner_id is None:  # pragma: no cover - popped above
            continue
        row.partner_name = names.get(partner_id, str(partner_id))
        row.reuploads = reuploads.get(partner_id, 0)
        partners.append(row)
    partners.sort(key=lambda row: row.partner_name.lower())
    return StatsReport(national=national, partners=partners, start=start, end=end)


def _reupload_counts(start: datetime | None, end: datetime | None) -> dict[int, int]:
    found = Reupload.objects.all()
    if start is not None:
        found = found.filter(detected_at__gte=start)
    if end is not None:
        found = found.filter(detected_at__lt=end)
    return dict(found.values("partner_id").annotate(n=Count("id")).values_list("partner_id", "n"))


# --- SQLite (and any other database): stream the columns ---------------------------------


class _Tally:
    def __init__(self, partner_id: int | None) -> None:
        self.row = RemovalStats(partner_id)
        self.times: list[float] = []

    def add(
        self,
        sent_at: datetime,
        removed_at: datetime | None,
        outcome: str,
        closed: bool,
        cutoff: datetime,
    ) -> None:
        row, counts = self.row, self.row.counts
        row.sent += 1
        if removed_at is not None:
            took = removed_at - sent_at
            row.removed += 1
            self.times.append(took.total_seconds())
            for name, limit in WITHIN.items():
                if took <= limit:
                    counts[name] = counts.get(name, 0) + 1
            if took > LONG:
                counts["over_42d"] = counts.get("over_42d", 0) + 1
        elif outcome == Outcome.NOT_FOUND:
            row.not_found += 1
        elif outcome == Outcome.REFUSED:
            row.refused += 1
        elif not closed:
            row.open += 1
            if sent_at <= cutoff:
                counts["over_42d"] = counts.get("over_42d", 0) + 1

    def finish(self) -> RemovalStats:
        self.times.sort()
        return self.row.finish([percentile_cont(self.times, f) for f in FRACTIONS])


def _streamed(
    start: datetime | None, end: datetime | None, kind: str | None, by_partner: bool, now: datetime
) -> dict[int | None, RemovalStats]:
    notices = Notice.objects.filter(sent_at__isnull=False)
    if start is not None:
        notices = notices.filter(sent_at__gte=start)
    if end is not None:
        notices = notices.filter(sent_at__lt=end)
    if kind:
        notices = notices.filter(kind=kind)
    columns = notices.values_list("partner_id", "sent_at", "removed_at", "outcome", "closed_at")
    cutoff = now - LONG
    national = _Tally(None)
    tallies: dict[int, _Tally] = {}
    for partner_id, sent_at, removed_at, outcome, closed_at in columns.iterator(chunk_size=10_000):
        assert sent_at is not None  # filtered above
        closed = closed_at is not None
        national.add(sent_at, removed_at, outcome, closed, cutoff)
        if by_partner:
            tally = tallies.get(partner_id)
            if tally is None:
                tally = tallies[partner_id] = _Tally(partner_id)
            tally.add(sent_at, removed_at, outcome, closed, cutoff)
    rows: dict[int | None, RemovalStats] = {pid: t.finish() for pid, t in tallies.items()}
    rows[None] = national.finish()
    return rows


# --- PostgreSQL: one query, percentile_cont in the database --------------------------------

# Table and column names come from the model, never from input; values are parameters.
_PG_SELECT = """
SELECT {group} AS partner_id,
  count(*) AS sent,
  count(removed_at) AS removed,
  count(*) FILTER (WHERE removed_at IS NULL AND outcome = 'not_found') AS not_found,
  count(*) FILTER (WHERE removed_at IS NULL AND outcome = 'refused') AS refused,
  count(*) FILTER (WHERE removed_at IS NULL AND outcome = '' AND closed_at IS NULL) AS open,
  percentile_cont(ARRAY[0.5, 0.75, 0.9]) WITHIN GROUP (ORDER BY removed_at - sent_at)
    FILTER (WHERE removed_at IS NOT NULL) AS percentiles,
  count(*) FILTER (WHERE removed_at - sent_at <= interval '24 hours') AS within_24h,
  count(*) FILTER (WHERE removed_at - sent_at <= interval '3 days') AS within_3d,
  count(*) FILTER (WHERE removed_at - sent_at <= interval '7 days') AS within_7d,
  count(*) FILTER (
    WHERE removed_at - sent_at > interval '42 days'
       OR (removed_at IS NULL AND outcome = '' AND closed_at IS NULL AND sent_at <= %s)
  ) AS over_42d
FROM {table}
WHERE {where}
{group_by}
"""


def _work_mem() -> str:
    value = str(getattr(settings, "NOTICE_STATS_WORK_MEM", "") or DEFAULT_WORK_MEM)
    return value if _MEMORY.fullmatch(value) else DEFAULT_WORK_MEM


def _seconds(values: Iterable[timedelta | None] | None) -> list[float | None]:
    if values is None:
        return [None] * len(FRACTIONS)
    return [None if v is None else v.total_seconds() for v in values]


def _postgres(
    start: datetime | None, end: datetime | None, kind: str | None, by_partner: bool, now: datetime
) -> dict[int | None, RemovalStats]:
    where: list[str] = ["sent_at IS NOT NULL"]
    params: list[Any] = [now - LONG]
    for clause, value in (("sent_at >= %s", start), ("sent_at < %s", end), ("kind = %s", kind)):
        if value:
            where.append(clause)
            params.append(value)
    sql = _PG_SELECT.format(
        group="partner_id" if by_partner else "NULL::bigint",
        table=connection.ops.quote_name(Notice._meta.db_table),
        where=" AND ".join(where),
        group_by="GROUP BY GROUPING SETS ((partner_id), ())" if by_partner else "",
    )
    rows: dict[int | None, RemovalStats] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        # The sorts of a million rows fit in memory with this; with the 4 MB default the
        # planner walks the index instead and takes three times as long.
        cursor.execute(f"SET LOCAL work_mem = '{_work_mem()}'")
        cursor.execute(sql, params)
        for record in cursor.fetchall():
            partner_id, sent, removed, not_found, refused, still_open, percentiles, *shares = record
            row = RemovalStats(
                partner_id,
                sent=sent,
                removed=removed,
                not_found=not_found,
                refused=refused,
                open=still_open,
                counts=dict(zip((*WITHIN, "over_42d"), shares, strict=True)),
            )
            rows[partner_id] = row.finish(_seconds(percentiles))
    return rows
