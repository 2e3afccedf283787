"""How fast ``tellsafe audit-verify`` walks a long audit chain.

  .venv/bin/python bench/audit_verify.py [N] [--postgres]

Makes a fresh database (SQLite in a temporary folder; with --postgres, a database named
tellsafe_bench_audit on the local server, created and dropped with psql), migrates it,
inserts N valid hash-chained audit events (default 1,000,000), then times
``core.audit.verify()`` and prints one JSON line:

  {"events": N, "seconds": ..., "events_per_second": ..., "database": "sqlite"}

The chain is built here in Python with core.audit's own hashing (``_digest`` and
``_fields``) and written with bulk_create, 10,000 events per transaction: going through
``audit.record()`` would take one transaction per event.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
PG_DATABASE = "tellsafe_bench_audit"
BATCH = 10_000
ACTIONS = ("case.view", "case.status", "case.note", "report.create", "case.message")


def psql(sql: str) -> None:
    subprocess.run(["psql", PG_SERVER, "-qAtc", sql], check=True, capture_output=True)


def insert_chain(n: int) -> None:
    from django.db import transaction

    from tellsafe.core.audit import GENESIS, _digest, _fields
    from tellsafe.core.models import AuditEvent

    start = datetime(2026, 1, 1, tzinfo=UTC)
    prev_hash = GENESIS
    for first in range(1, n + 1, BATCH):
        events = []
        for seq in range(first, min(first + BATCH, n + 1)):
            event = AuditEvent(
                seq=seq,
                at=start + timedelta(milliseconds=seq * 37),
                actor_kind="staff" if seq % 3 else "reporter",
                actor_id=str(seq % 97),
                action=ACTIONS[seq % len(ACTIONS)],
                object_type="case",
                object_id=str(seq // 7),
                reason="",
                data={"report": seq // 7, "channel": "web", "urls": seq % 4},
                prev_hash=prev_hash,
            )
            event.hash = _digest(prev_hash, _fields(event))
            prev_hash = event.hash
            events.append(event)
        with transaction.atomic():
            AuditEvent.objects.bulk_create(events)


def run(n: int, postgres: bool) -> dict[str, object]:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    call_command("migrate", verbosity=0)
    insert_chain(n)
    connection.close()  # verify starts on a fresh connection, as the command would
    from tellsafe.core import audit

    started = time.perf_counter()
    checked, broken = audit.verify()
    seconds = time.perf_counter() - started
    if broken is not None or checked != n:
        raise SystemExit(f"verify found {checked} events, broken: {broken}")
    connection.close()
    return {
        "events": n,
        "seconds": round(seconds, 2),
        "events_per_second": round(n / seconds),
        "database": "postgresql" if postgres else "sqlite",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    data_dir = tempfile.mkdtemp(prefix="tellsafe-bench-audit-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tellsafe.config.settings_test"
    os.environ["TELLSAFE_DATA_DIR"] = data_dir
    os.environ["TELLSAFE_LOG_LEVEL"] = "WARNING"
    os.environ.pop("DATABASE_URL", None)
    if args.postgres:
        psql(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        psql(f"CREATE DATABASE {PG_DATABASE}")
        os.environ["DATABASE_URL"] = PG_SERVER.rsplit("/", 1)[0] + "/" + PG_DATABASE
    try:
        print(json.dumps(run(args.n, args.postgres)))
    finally:
        if args.postgres:
            psql(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
