"""Removal-time statistics against an example computed by hand.

Partner A, every notice sent at T0:
  removed after 2 h, 10 h, 30 h, 100 h and 1,200 h (50 days); one refused; one open.
  sent 7, removed 5. Sorted removal times [2, 10, 30, 100, 1200] h, n = 5:
    median: position 0.50 x 4 = 2   -> 30 h
    p75:    position 0.75 x 4 = 3   -> 100 h
    p90:    position 0.90 x 4 = 3.6 -> 100 + 0.6 x (1200 - 100) = 760 h
    <= 24 h: 2 of 7 = 28.57 %  -> 28.6;   <= 3 days (72 h): 3 of 7 = 42.86 % -> 42.9
    <= 7 days (168 h): 4 of 7 = 57.14 % -> 57.1
    over 42 days (1,008 h): the 1,200 h removal + the notice open since T0 (60 days
    before "now") = 2 of 7 = 28.57 % -> 28.6
Partner B: removed after 5 h (sent T0); not found; open since T0 + 50 days (10 days
  before "now": not over 42 days); withdrawn (closed by us without an answer).
  sent 4, removed 1: median = p75 = p90 = 5 h; <= 24 h, 3 days, 7 days: 1 of 4 = 25 %;
  over 42 days: 0 of 4 = 0 %.
National: sent 11, removed 6, sorted [2, 5, 10, 30, 100, 1200] h, n = 6:
    median: 0.50 x 5 = 2.5  -> 10 + 0.5 x (30 - 10) = 20 h
    p75:    0.75 x 5 = 3.75 -> 30 + 0.75 x (100 - 30) = 82.5 h
    p90:    0.90 x 5 = 4.5  -> 100 + 0.5 x (1200 - 100) = 650 h
    <= 24 h: 3 of 11 = 27.27 % -> 27.3; <= 3 days: 4 of 11 = 36.36 % -> 36.4;
    <= 7 days: 5 of 11 = 45.45 % -> 45.5; over 42 days: 2 of 11 = 18.18 % -> 18.2
A draft notice (never sent) counts nowhere. One re-upload counts against A.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection

from tellsafe.routing.notices import reuploads, services, stats
from tellsafe.routing.tests.notices import factories as f
from tellsafe.routing.tests.notices.factories import T0, hours

pytestmark = pytest.mark.django_db
NOW = T0 + timedelta(days=60)


def _answered(to, outcome, after_hours, sent=T0, reason=""):
    notice = f.sent_notice(to=to, now=sent)
    return services.notice_record_response(
        notice=notice,
        outcome=outcome,
        reason=reason or ("not ours" if outcome == "refused" else ""),
        via="api",
        actor=f.STAFF,
        now=sent + hours(after_hours),
    )


@pytest.fixture
def world():
    a, b = f.partner(name_hint="A"), f.partner(name_hint="B")
    removed_a = [_answered(a, "removed", h) for h in (2, 10, 30, 100, 1200)]
    _answered(a, "refused", 4)
    f.sent_notice(to=a)  # open since T0
    _answered(b, "removed", 5)
    _answered(b, "not_found", 1)
    f.sent_notice(to=b, now=T0 + timedelta(days=50))  # open, 10 days
    withdrawn = f.sent_notice(to=b)
    services.notice_close(notice=withdrawn, actor=f.STAFF, reason="wrong host", now=T0 + hours(1))
    f.notice(to=b, hold=True)  # never sent
    same = f.url_item()  # the URL of removed_a[0] again
    type(same).objects.filter(pk=same.pk).update(url_hash=removed_a[0].content_key)
    same.refresh_from_db()
    assert reuploads.check_reupload(same, now=T0 + timedelta(days=59)) == removed_a[0]
    return a, b


def _figures(row):
    return (
        row.sent,
        row.removed,
        row.not_found,
        row.refused,
        row.open,
        row.withdrawn,
        row.median_hours,
        row.p75_hours,
        row.p90_hours,
        row.within_24h,
        row.within_3d,
        row.within_7d,
        row.over_42d,
        row.reuploads,
    )


def test_hand_computed_example(world):
    a, b = world
    report = stats.removal_stats(now=NOW)
    assert _figures(report.national) == (
        11,
        6,
        1,
        1,
        2,
        1,
        20.0,
        82.5,
        650.0,
        27.3,
        36.4,
        45.5,
        18.2,
        1,
    )
    by_id = {row.partner_id: row for row in report.partners}
    assert set(by_id) == {a.pk, b.pk}
    assert _figures(by_id[a.pk]) == (
        7,
        5,
        0,
        1,
        1,
        0,
        30.0,
        100.0,
        760.0,
        28.6,
        42.9,
        57.1,
        28.6,
        1,
    )
    assert _figures(by_id[b.pk]) == (4, 1, 1, 0, 1, 1, 5.0, 5.0, 5.0, 25.0, 25.0, 25.0, 0.0, 0)
    assert by_id[a.pk].partner_name == a.name


def test_period_and_kind(world):
    _a, b = world
    later = stats.removal_stats(start=T0 + timedelta(days=1), now=NOW)
    assert [(r.partner_id, r.sent, r.open) for r in later.partners] == [(b.pk, 1, 1)]
    assert later.national.median_hours is None and later.national.within_24h == 0.0
    assert later.national.reuploads == 1  # detected on day 59
    none = stats.removal_stats(kind="forward", now=NOW)
    assert none.partners == [] and none.national.sent == 0
    assert none.national.within_24h is None and none.national.median_hours is None
    national_only = stats.removal_stats(by_partner=False, now=NOW)
    assert national_only.partners == [] and national_only.national.sent == 11


def test_both_ways_of_computing_agree(world):
    """On PostgreSQL, the SQL and the streamed computation give the same figures."""
    python = stats._streamed(None, None, None, True, NOW)
    if connection.vendor != "postgresql":
        pytest.skip("the SQL path needs PostgreSQL")
    sql = stats._postgres(None, None, None, True, NOW)
    assert {k: _figures(v) for k, v in sql.items()} == {k: _figures(v) for k, v in python.items()}


def test_percentile_cont_matches_postgres_definition():
    assert stats.percentile_cont([], 0.5) is None
    assert stats.percentile_cont([7.0], 0.9) == 7.0
    assert stats.percentile_cont([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert stats.percentile_cont([0.0, 10.0], 0.9) == 9.0


def test_naive_times_are_refused():
    from datetime import datetime

    with pytest.raises(ValueError):
        stats.removal_stats(start=datetime(2026, 1, 1))


@pytest.mark.parametrize(
    ("hours", "text"),
    [
        (None, "–"),
        (0.001, "1 min"),
        (0.25, "15 min"),
        (5.5, "5.5 h"),
        (47.9, "47.9 h"),
        (80, "3.3 days"),
    ],
)
def test_removal_times_read_in_minutes_hours_or_days(hours, text):
    from tellsafe.routing.templatetags.notice_format import duration

    assert duration(hours) == text
