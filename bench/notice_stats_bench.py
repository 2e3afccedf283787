"""Removal-time statistics over many notices: ``python bench/notice_stats_bench.py [N]``.

Builds a fresh PostgreSQL database (BENCH_POSTGRES_URL, default the local test server)
with N notices (default 1,000,000) to 50 partners, inserted in SQL with
``generate_series``: sent over the last year; 80% removed after 1 minute to about 41
days (log-uniform), 7% not found, 3% refused, 10% still open. Then times
``stats.removal_stats`` nationally (the goal: under 2 s), per partner, and for the last
90 days, each the median of 5 runs after one warm-up. Prints one JSON line. ``--keep``
leaves the database for a look with psql; ``--reuse`` times a kept one again.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
PG_DB = "tellsafe_bench_notices"
PARTNERS = 50
RUNS = 5

CONTENT_SQL = """
INSERT INTO cases_contentitem (case_id, report_id, kind, url, url_hash, host, created_at,
  media_type, pdq, pdq_quality, md5, sha256, fetch_error, match_summary, media_ref)
SELECT %s, NULL, 'url', '', md5(g::text), 'host' || (g %% 997) || '.example', now(),
  '', '', NULL, '', '', '', NULL, ''
FROM generate_series(1, %s) AS g
"""

NOTICE_SQL = """
INSERT INTO routing_notice (reference, content_item_id, partner_id, kind, category,
  legal_basis, basis_reference, status, outcome, response_reason, response_via, transport,
  content_key, host, earlier_notice_id, created_at, sent_at, acknowledged_at,
  responded_at, removed_at, closed_at, reminders_sent, next_reminder_at, escalation_level,
  delivery_attempts, failures_in_a_row, attention, last_checked_at, gone_since,
  gone_checks, link_salt, token_hash)
SELECT 'B' || lpad(s.id::text, 12, '0'), s.id, s.partner_id, 'takedown', 'csam',
  'national', '', s.outcome_or_sent, s.outcome,
  CASE WHEN s.outcome = 'refused' THEN 'not our customer' ELSE '' END,
  CASE WHEN s.outcome = '' THEN '' ELSE 'api' END, 'email', s.url_hash, s.host, NULL,
  s.sent, s.sent, NULL,
  CASE WHEN s.outcome = '' THEN NULL ELSE s.sent + s.took END,
  CASE WHEN s.outcome = 'removed' THEN s.sent + s.took END, NULL,
  0, CASE WHEN s.outcome = '' THEN s.sent + interval '24 hours' END, 0, 1, 0, '',
  NULL, NULL, 0, md5('salt' || s.id), md5('a' || s.id) || md5('b' || s.id)
FROM (
  SELECT c.id, c.url_hash, c.host, %s + (c.id %% %s) AS partner_id,
    now() - random() * interval '365 days' AS sent,
    interval '1 minute' * exp(random() * 11) AS took,
    r.outcome, CASE WHEN r.outcome = '' THEN 'sent' ELSE r.outcome END AS outcome_or_sent
  FROM cases_contentitem c,
  LATERAL (SELECT CASE WHEN x < 0.80 THEN 'removed' WHEN x < 0.87 THEN 'not_found'
                       WHEN x < 0.90 THEN 'refused' ELSE '' END AS outcome
           FROM (SELECT random() + c.id * 0 AS x) AS pick) AS r
) AS s
"""


def _psql(sql: str) -> None:
    subprocess.run(["psql", PG_ADMIN, "-qc", sql], check=True)


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "1000000"))
    reuse = "--reuse" in sys.argv
    if not reuse:
        _psql(f"DROP DATABASE IF EXISTS {PG_DB}")
        _psql(f"CREATE DATABASE {PG_DB}")
    os.environ["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
    os.environ["DJANGO_SETTINGS_MODULE"] = "tellsafe.config.settings_test"
    os.environ["TELLSAFE_DATA_DIR"] = tempfile.mkdtemp(prefix="tellsafe-notices-")
    os.environ["TELLSAFE_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from datetime import timedelta

    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from tellsafe.cases.models import Case
    from tellsafe.partners.models import Partner
    from tellsafe.routing.notices import stats

    started = time.perf_counter()
    now = timezone.now()
    if not reuse:
        call_command("migrate", verbosity=0)
        case = Case.objects.create(first_response_due=now, created_at=now, updated_at=now)
        Partner.objects.bulk_create(
            Partner(name=f"Bench ISP {i}", kind="isp", country="IN") for i in range(PARTNERS)
        )
        first_partner = Partner.objects.order_by("pk").values_list("pk", flat=True).first()
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.42)")
            cursor.execute(CONTENT_SQL, [case.pk, n])
            cursor.execute(NOTICE_SQL, [first_partner, PARTNERS])
            cursor.execute("VACUUM ANALYZE routing_notice")
    build = time.perf_counter() - started

    def timed(**kwargs: object) -> tuple[float, object]:
        stats.removal_stats(**kwargs)  # warm-up
        samples, report = [], None
        for _ in range(RUNS):
            t = time.perf_counter()
            report = stats.removal_stats(**kwargs)
            samples.append(time.perf_counter() - t)
        return round(statistics.median(samples), 3), report

    national_s, national = timed(by_partner=False)
    partners_s, by_partner = timed()
    recent_s, _ = timed(start=now - timedelta(days=90))
    row = national.national  # type: ignore[attr-defined]
    print(
        json.dumps(
            {
                "notices": n,
                "partners": PARTNERS,
                "build_seconds": round(build, 1),
                "national_seconds": national_s,
                "national_and_per_partner_seconds": partners_s,
                "last_90_days_seconds": recent_s,
                "goal_seconds": 2.0,
                "national": {
                    "sent": row.sent,
                    "removed": row.removed,
                    "median_hours": row.median_hours,
                    "p75_hours": row.p75_hours,
                    "p90_hours": row.p90_hours,
                    "within_24h": row.within_24h,
                    "within_3d": row.within_3d,
                    "within_7d": row.within_7d,
                    "over_42d": row.over_42d,
                },
                "partner_rows": len(by_partner.partners),  # type: ignore[attr-defined]
            }
        )
    )
    connection.close()
    if "--keep" not in sys.argv and not reuse:
        _psql(f"DROP DATABASE IF EXISTS {PG_DB}")


if __name__ == "__main__":
    main()
