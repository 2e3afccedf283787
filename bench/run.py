"""``make bench``: measurements, written to bench/RESULTS.md with date, machine and command.

  python bench/run.py weight            compressed weight of each public page
  python bench/run.py intake sqlite     sustained POST /api/v1/reports on SQLite
  python bench/run.py intake postgres   the same on PostgreSQL (DATABASE_URL or local test db)
  python bench/run.py webhooks [db]     inbound webhook acknowledgements (default postgres)
  python bench/run.py trace             hosting-trace throughput (recorded DNS)
  python bench/run.py notices [N]       removal-time statistics over N notices (PostgreSQL)
  python bench/run.py hashing           PDQ hashing, full and fast mode
  python bench/run.py queue [N]         desk queue latency with N open cases (default 100,000)
  python bench/run.py audit [N]         audit chain verification of N events (default 1,000,000)
  python bench/run.py matcher [SIZES]   PDQ matcher index against python-threatexchange's
                                        PDQIndex at SIZES hashes (default 1000000 10000000,
                                        apart or comma-separated; options after them go
                                        to bench/matcher_bench.py, e.g. --queries 500)
  python bench/run.py banks [N]         the matcher over the banks with N hashes, on SQLite
                                        and PostgreSQL (default 1,000,000)
  python bench/run.py                   all of the above

The matcher bench at 10M hashes takes a long time and about 10 GB for python-threatexchange.
A matcher run that leaves out a default size (``matcher 1000000``) keeps that size's columns
in RESULTS.md unchanged, marked with the date of the run that measured them.

The intake bench starts the production server (gunicorn, via ``tellsafe serve``) on
loopback with a fresh database, drives it with wrk for a fixed time, then checks that
the number of reports in the database equals the number of 201 answers.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from common import BIN, PG_URL, RESULTS, ROOT, _json_run, machine, record  # noqa: F401
from matcher_report import bench_matcher


def bench_weight() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tellsafe.config.settings_test")
    import brotli
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.contrib.staticfiles import finders
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    call_command("demo", stdout=open(os.devnull, "w"))
    css = Path(finders.find("public/public.css")).read_bytes()
    js = Path(finders.find("public/public.js")).read_bytes()
    client = Client()
    pages: list[tuple[str, bytes]] = []

    def get(name: str, path: str) -> None:
        response = client.get(path, follow=True)
        assert response.status_code == 200, (path, response.status_code)
        pages.append((name, response.content))

    get("home", "/")
    get("who", "/report/who/")
    client.post("/report/who/", {"reporter": "child"})
    get("age", "/report/age/")
    client.post("/report/age/", {"age_band": "9_12"})
    get("what", "/report/what/")
    client.post("/report/what/", {"concerns": ["threat_share", "asked_pictures"]})
    get("details", "/report/details/")
    client.post(
        "/report/details/",
        {"details": "A story " * 40, "link_count": "3", "url_0": "social.example/u/x"},
    )
    get("safe", "/report/safe/")
    client.post("/report/safe/", {"safe": "no"})
    get("help-now (not safe)", "/report/help-now/")
    get("contact", "/report/contact/")
    client.post("/report/contact/", {"contact_kind": "none"})
    get("check", "/report/check/")
    client.post("/report/check/")
    get("done", "/report/done/")
    done = client.session["done"]
    get("status lookup", "/status/")
    client.post("/status/", {"reference": done["reference"], "passphrase": done["passphrase"]})
    get("status", "/status/view/")
    get("safety", "/safety/")
    get("help", "/help/")
    connection.creation.destroy_test_db(":memory:", verbosity=0)

    css_gz, css_br = len(gzip.compress(css, 9)), len(brotli.compress(css))
    lines = [
        "Budget: 30 KB compressed for HTML + CSS together (no web fonts, no third-party "
        "requests). JavaScript is optional and counted apart.",
        "",
        f"CSS: {len(css)} B raw, {css_gz} B gzip, {css_br} B brotli. "
        f"JS: {len(js)} B raw, {len(gzip.compress(js, 9))} B gzip.",
        "",
        "| page | HTML raw | HTML gzip | HTML+CSS gzip | HTML+CSS brotli | within 30 KB |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for name, html in pages:
        gz = len(gzip.compress(html, 9))
        br = len(brotli.compress(html))
        total = gz + css_gz
        lines.append(
            f"| {name} | {len(html)} | {gz} | {total} | {br + css_br} | "
            f"{'yes' if total <= 30 * 1024 else 'NO'} |"
        )
    record("Public page weight", "make bench BENCH_ARGS=weight", lines)


# --- intake throughput ---------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not become ready: {url}")


def bench_intake(
    database: str, seconds: int = 20, connections: int = 32, kind: str = "reports"
) -> None:
    if not shutil.which("wrk"):
        sys.exit("The intake bench needs wrk: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="tellsafe-bench-"))
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tellsafe.config.settings",
        "TELLSAFE_DATA_DIR": str(workdir),
        "TELLSAFE_SECRET_KEY": "bench-secret-key-" + "x" * 40,
        "TELLSAFE_FIELD_KEYS": "b1:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        "TELLSAFE_HMAC_KEY": "YmVuY2gtaG1hYy1rZXktMDEyMzQ1Njc4OWFiY2RlZi0wMTIzNDU2Nzg5",
        "TELLSAFE_REPORTS_PER_HOUR_PER_ADDRESS": "0",
        "TELLSAFE_MANIFEST_STATIC": "false",
        "TELLSAFE_LOG_LEVEL": "WARNING",
    }
    if database == "postgres":
        env["DATABASE_URL"] = os.environ.get("DATABASE_URL", PG_URL)
        dbname = env["DATABASE_URL"].rsplit("/", 1)[1]
        env["DATABASE_URL"] = env["DATABASE_URL"].rsplit("/", 1)[0] + "/tellsafe_bench"
        subprocess.run(
            [
                "psql",
                env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + dbname,
                "-qc",
                "DROP DATABASE IF EXISTS tellsafe_bench",
            ],
            check=True,
        )
        subprocess.run(
            [
                "psql",
                env["DATABASE_URL"].rsplit("/", 1)[0] + "/" + dbname,
                "-qc",
                "CREATE DATABASE tellsafe_bench",
            ],
            check=True,
        )
    else:
        env.pop("DATABASE_URL", None)
    tellsafe = str(BIN / "tellsafe")
    subprocess.run([tellsafe, "migrate", "-v0"], env=env, check=True)
    script = "bench/post_report.lua" if kind == "reports" else "bench/post_telegram.lua"
    if kind == "webhooks":
        subprocess.run(
            [
                tellsafe,
                "shell",
                "-c",
                "from tellsafe.intake.demo_channels import "
                "ensure_demo_channels; ensure_demo_channels()",
            ],
            env=env,
            check=True,
        )
    port = free_port()
    workers = int(os.environ.get("BENCH_WORKERS", 0)) or (os.cpu_count() or 1) + 1
    server = subprocess.Popen(
        [tellsafe, "serve", "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz")
        # Warm up: connections, imports, caches.
        subprocess.run(
            [
                "wrk",
                "-t1",
                "-c4",
                "-d2s",
                "-s",
                str(ROOT / script),
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            check=True,
        )
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(ROOT / script),
                f"http://127.0.0.1:{port}",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(out.split("RESULT ", 1)[1].splitlines()[0])
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    def shell_count(code: str) -> int:
        out = subprocess.run(
            [tellsafe, "shell", "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout
        return int(out.strip().splitlines()[-1])

    if kind == "reports":
        in_db = shell_count(
            "from tellsafe.intake.models import Report; print(Report.objects.count())"
        )
        # Each warm-up 201 also made a report; count them from the database's side.
        warm = shell_count(
            "from tellsafe.intake.models import IdempotencyRecord as R; print(R.objects.count())"
        )
    else:
        in_db = shell_count(
            "from tellsafe.intake.models import InboundMessage as M; print(M.objects.count())"
        )
        warm = shell_count(
            "from django_tasks_db.models import DBTaskResult as T; "
            "print(T.objects.filter(task_path__endswith='process_inbound')"
            ".count())"
        )
    if database == "postgres":
        subprocess.run(["psql", PG_URL, "-qc", "DROP DATABASE IF EXISTS tellsafe_bench"])
    shutil.rmtree(workdir, ignore_errors=True)
    rate = result["created"] / (result["duration_us"] / 1e6)
    if kind == "webhooks":
        record_webhooks(database, result, rate, in_db, warm, workers, connections, seconds)
        return
    goal = 500 if database == "sqlite" else 1000
    lines = [
        f"Production server: gunicorn, {workers} gthread workers x 2 threads, on "
        f"127.0.0.1; load: wrk, 2 threads, {connections} connections, {seconds} s, "
        "a fresh Idempotency-Key per request (so every request makes a report).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| reports/s (201 answers) | **{rate:.0f}** (goal {goal}) |",
        f"| p50 latency | {result['p50_us'] / 1000:.1f} ms |",
        f"| p99 latency | {result['p99_us'] / 1000:.1f} ms |",
        f"| 201 answers in the timed run | {result['created']} |",
        f"| other answers / socket errors | {result['other']} / "
        f"{result['errors_connect'] + result['errors_timeout']} |",
        f"| reports in the database (timed run + warm-up) | {in_db} |",
        f"| idempotency records (one per 201, timed + warm-up) | {warm} |",
        f"| database count equals 201 answers | {'yes' if in_db == int(warm) else 'NO'} |",
    ]
    record(
        f"Intake throughput on {'SQLite' if database == 'sqlite' else 'PostgreSQL'}",
        f"make bench BENCH_ARGS='intake {database}'",
        lines,
    )


def record_webhooks(
    database: str,
    result: dict,
    rate: float,
    in_db: int,
    queued: int,
    workers: int,
    connections: int,
    seconds: int,
) -> None:
    lines = [
        f"Telegram webhook updates (fresh update_id each, 5,000 chats) posted to "
        f"/hooks/telegram/demo/; gunicorn, {workers} gthread workers x 2 threads; wrk, 2 "
        f"threads, {connections} connections, {seconds} s. Acknowledged = recorded durably "
        "(encrypted) and queued for the worker; the worker was not running (acknowledgement "
        "is what the provider waits for).",
        "",
        "| figure | value |",
        "|---|---:|",
        f"| acknowledged messages/s | **{rate:.0f}** (goal 1,000 on PostgreSQL) |",
        f"| p50 / p99 acknowledgement latency | {result['p50_us'] / 1000:.1f} / "
        f"{result['p99_us'] / 1000:.1f} ms |",
        f"| 200 answers in the timed run | {result['created']} |",
        f"| other answers / socket errors | {result['other']} / "
        f"{result['errors_connect'] + result['errors_timeout']} |",
        f"| messages recorded (timed run + warm-up) | {in_db} |",
        f"| processing tasks queued | {queued} |",
        f"| zero loss (recorded = queued) | {'yes' if in_db == queued else 'NO'} |",
    ]
    record(
        f"Inbound webhooks on {'SQLite' if database == 'sqlite' else 'PostgreSQL'}",
        f"make bench BENCH_ARGS='webhooks {database}'",
        lines,
    )


def bench_queue(n: int = 100_000) -> None:
    """Desk queue latency with ``n`` open cases, on SQLite and PostgreSQL."""
    lines = [
        f"{n:,} open cases (one report each, 1-2 categories, mixed urgency, channel, age and "
        "team). Queue page timed in process (Django test client, counsellor signed in with "
        "TOTP), 30 requests each; goal: the queue under 200 ms.",
        "",
        "| database | queue median / p95 | category filter | overdue filter | page 20 |",
        "|---|---:|---:|---:|---:|",
    ]
    for flag in ([], ["--postgres"]):
        r = _json_run(["bench/queue_bench.py", str(n), *flag])

        def cell(key: str, r: dict = r) -> str:
            return f"{r[key]['median_ms']} / {r[key]['p95_ms']} ms"

        lines.append(
            f"| {r['database']} | **{cell('queue')}** | {cell('category_filter')} | "
            f"{cell('overdue_filter')} | {cell('page_20')} |"
        )
    record("Desk queue latency", f"make bench BENCH_ARGS='queue {n}'", lines)


def bench_hashing() -> None:
    """PDQ hashing throughput: full and fast mode against python-threatexchange."""
    r = _json_run(["bench/hashing_bench.py"])
    lines = [
        "Generated photo-like JPEGs, 10 per size, one thread. Full mode equals Meta's C++ PDQ "
        "(pdqhash) bit for bit; fast mode shrinks during JPEG decode (goal: at least 3x "
        "python-threatexchange's pdq_from_bytes on photos of 2 MP and more, within 8 bits).",
        "",
        "| photos | full img/s | fast img/s | threatexchange img/s | fast / threatexchange "
        "| fast vs full bits (max / mean) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key in ("1mp", "2mp", "12mp"):
        f = r[key]
        lines.append(
            f"| {f['size']} | {f['full_img_s']} | {f['fast_img_s']} | "
            f"{f['threatexchange_img_s']} | **{f['fast_vs_threatexchange']}x** | "
            f"{f['fast_vs_full_bits_max']} / {f['fast_vs_full_bits_mean']} |"
        )
    record("PDQ hashing", "make bench BENCH_ARGS=hashing", lines)


def bench_audit(n: int = 1_000_000) -> None:
    """Time to verify the audit hash chain of ``n`` events."""
    lines = ["| database | events | verify time | events/s |", "|---|---:|---:|---:|"]
    for flag in ([], ["--postgres"]):
        r = _json_run(["bench/audit_verify.py", str(n), *flag])
        lines.append(
            f"| {r['database']} | {r['events']:,} | **{r['seconds']:.1f} s** | "
            f"{r['events_per_second']:,.0f} |"
        )
    record("Audit chain verification", f"make bench BENCH_ARGS='audit {n}'", lines)


# --- PDQ matcher index ---------------------------------------------------------------
def bench_trace() -> None:
    """Hosting-trace throughput with recorded DNS answers and the real IP database."""
    r = _json_run(["bench/trace_bench.py"])
    lines = [
        f"{r['urls']:,} URLs over {r['hosts']:,} hosts (plain, IPv6, CDN CNAMEs, chains, "
        "NXDOMAIN, timeouts, private addresses, IP literals), answers recorded so DNS time "
        "is left out: the work of the trace itself, one core.",
        "",
        "| first pass (fresh process) | warm | per trace (warm) | peak memory |",
        "|---:|---:|---:|---:|",
        f"| {r['first_pass_traces_per_s']:,} traces/s | **{r['warm_traces_per_s']:,} "
        f"traces/s** | {r['warm_ms_per_trace']} ms | {r['peak_rss_mib']} MiB |",
        "",
        "Real traces are bound by DNS answers (milliseconds to the resolver's timeout), not "
        "by this work.",
    ]
    record("Hosting trace", "make bench BENCH_ARGS='trace'", lines)


def bench_notices(n: int = 1_000_000) -> None:
    """National removal-time statistics over ``n`` notices on PostgreSQL."""
    r = _json_run(["bench/notice_stats_bench.py", str(n)])
    lines = [
        f"{r['notices']:,} notices to {r['partners']} partners, sent over a year (80% removed "
        "after 1 minute to 41 days, 7% not found, 3% refused, 10% open), inserted in SQL; "
        "`stats.removal_stats` timed, median of 5 runs after a warm-up. Goal: national "
        "figures under 2 s.",
        "",
        "| national | national + per partner | last 90 days |",
        "|---:|---:|---:|",
        f"| **{r['national_seconds']} s** | {r['national_and_per_partner_seconds']} s | "
        f"{r['last_90_days_seconds']} s |",
    ]
    record("Removal-time statistics", f"make bench BENCH_ARGS='notices {n}'", lines)


def bench_banks(n: int = 1_000_000) -> None:
    """The matcher over the banks (bench/bank_bench.py), on SQLite and PostgreSQL."""
    runs = [_json_run(["bench/bank_bench.py", str(n), *flag]) for flag in ([], ["--postgres"])]
    lines = [
        f"{n:,} random PDQ hashes imported into one bank through the bank service (the path "
        "`tellsafe bank import` takes). Start: a matcher process builds its index from the "
        "database, or loads a snapshot file (seconds, and the resident memory the index "
        "adds). Add / remove visible: from the service's call to the first lookup that sees "
        "the change (one change-log read, no rebuild), median of 20. Lookups: end to end "
        "through `lookup()` (index, then the rows of any match), 2,000 hashes, half within "
        "31 bits of a stored one, half far from all; one process, in process (no HTTP).",
    ]
    if n != 1_000_000:
        lines.append("")
        lines.append(f"Run at {n:,} hashes, not the default 1,000,000.")
    lines += [
        "",
        "| database | hashes | import hashes/s | start from database s / MiB | start from "
        "snapshot s / MiB | add visible ms | remove visible ms | lookups/s single | "
        "lookups/s in batches of 100 |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in runs:
        lines.append(
            f"| {r['database']} | {r['hashes']:,} | {r['import_per_s']:,} "
            f"({r['import_s']:,.0f} s) | {r['start_from_database_s']:.2f} s / "
            f"{r['start_from_database_mb']} | **{r['start_from_snapshot_s']:.2f} s** / "
            f"{r['start_from_snapshot_mb']} | **{r['add_visible_ms']}** | "
            f"**{r['remove_visible_ms']}** | {r['lookup_qps']:,} | {r['lookup_batch100_qps']:,} |"
        )
    worst = max(max(r["add_visible_ms"], r["remove_visible_ms"]) for r in runs)
    lines += [
        "",
        "A hash added to or removed from a bank shows in a lookup at most "
        f"{worst:,.0f} ms (median) after the bank service is called, the service's own "
        "write included, on either database (goal: visible to the next query within one "
        f"second, {'met' if worst < 1000 else 'NOT met'}), because the matcher applies the "
        "change log to its index in place instead of rebuilding it. A new matcher process "
        "starts "
        "from a snapshot in "
        + " / ".join(f"{r['start_from_snapshot_s']:.2f} s" for r in runs)
        + " (SQLite / PostgreSQL) against "
        + " / ".join(f"{r['start_from_database_s']:.1f} s" for r in runs)
        + " reading every hash from the database, so a restart or an extra worker need "
        "not wait for the banks to be read.",
    ]
    record("Matcher over the banks", f"make bench BENCH_ARGS='banks {n}'", lines)


def main() -> None:
    args = sys.argv[1:]
    if not args:
        bench_weight()
        bench_intake("sqlite")
        bench_intake("postgres")
        bench_intake("postgres", kind="webhooks")
        bench_queue()
        bench_audit()
        bench_hashing()
        bench_trace()
        bench_notices()
        bench_matcher()
        bench_banks()
    elif args[0] == "matcher":
        # Sizes first; everything from the first --option on goes to matcher_bench.py.
        cut = next((i for i, a in enumerate(args) if a.startswith("-")), len(args))
        sizes = [int(s) for a in args[1:cut] for s in a.split(",") if s]
        bench_matcher(sizes or None, args[cut:])
    elif args[0] == "banks":
        bench_banks(*(int(a) for a in args[1:2]))
    elif args[0] == "webhooks":
        bench_intake(
            args[1] if len(args) > 1 else "postgres", *(int(a) for a in args[2:4]), kind="webhooks"
        )
    elif args[0] == "trace":
        bench_trace()
    elif args[0] == "notices":
        bench_notices(*(int(a) for a in args[1:2]))
    elif args[0] == "hashing":
        bench_hashing()
    elif args[0] == "queue":
        bench_queue(*(int(a) for a in args[1:2]))
    elif args[0] == "audit":
        bench_audit(*(int(a) for a in args[1:2]))
    elif args[0] == "weight":
        bench_weight()
    elif args[0] == "intake":
        bench_intake(args[1] if len(args) > 1 else "sqlite", *(int(a) for a in args[2:4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
