"""The matcher over the banks: ``python bench/bank_bench.py [N] [--postgres]``.

Builds a fresh database, imports N random PDQ hashes into a bank through the bank service
(the path ``tellsafe bank import`` takes), then measures: the import rate; the start of a
matcher process from the database and from a snapshot file (seconds, and the resident
memory the index adds); how long an added and a removed hash take to show in a lookup
(the incremental path: one change-log read, no rebuild); and end-to-end lookups/s through
``lookup()`` (index, then one query for the rows of any match). Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/test"
PG_DB = "tellsafe_bench_banks"


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "1000000"))
    postgres = "--postgres" in sys.argv
    workdir = tempfile.mkdtemp(prefix="tellsafe-banks-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tellsafe.config.settings_test"
    os.environ["TELLSAFE_DATA_DIR"] = workdir
    os.environ["TELLSAFE_LOG_LEVEL"] = "WARNING"
    os.environ["TELLSAFE_MATCHER_REFRESH_SECONDS"] = "0"
    if postgres:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {PG_DB}"], check=True)
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {PG_DB}"], check=True)
        os.environ["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from tellsafe.core import audit
    from tellsafe.matching import services
    from tellsafe.matching.formats import HashRecord
    from tellsafe.matching.index import warm_up
    from tellsafe.matching.lookup import Query, Viewer, lookup
    from tellsafe.matching.matcher import Matcher

    warm_up()
    system = audit.Actor.system()
    bank = services.bank_create(name="bench", source="iwf", legal_scope="baseline", actor=system)
    rng = random.Random(42)
    values = [f"{rng.getrandbits(256):064x}" for _ in range(n)]
    started = time.perf_counter()
    services.hashes_add(
        bank=bank, records=(HashRecord("pdq", v, 100) for v in values), actor=system
    )
    import_s = time.perf_counter() - started

    before = rss_mb()
    started = time.perf_counter()
    matcher = Matcher.from_database()
    db_start_s = time.perf_counter() - started
    db_rss = rss_mb() - before
    snapshot = os.path.join(workdir, "banks")
    matcher.save(snapshot)
    del matcher
    before = rss_mb()
    started = time.perf_counter()
    matcher = Matcher.from_snapshot(snapshot)
    snap_start_s = time.perf_counter() - started
    snap_rss = rss_mb() - before

    # Incremental: time from the service's commit to the first lookup that sees it.
    viewer = Viewer.staff()
    add_ms, remove_ms = [], []
    for _ in range(20):
        new = f"{rng.getrandbits(256):064x}"
        t0 = time.perf_counter()
        services.hashes_add(bank=bank, records=[HashRecord("pdq", new, 100)], actor=system)
        assert lookup([Query("pdq", new)], viewer=viewer, matcher=_refreshed(matcher), count=False)[
            0
        ].matches
        add_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        services.hashes_remove(bank=bank, keys=[("pdq", new)], actor=system)
        assert not lookup(
            [Query("pdq", new)], viewer=viewer, matcher=_refreshed(matcher), count=False
        )[0].matches
        remove_ms.append((time.perf_counter() - t0) * 1000)

    # End-to-end lookups: half near a stored hash (a match to map), half far from all.
    queries = []
    for i in range(2000):
        if i % 2:
            queries.append(f"{rng.getrandbits(256):064x}")
        else:
            v = int(rng.choice(values), 16)
            for b in rng.sample(range(256), rng.randint(0, 31)):
                v ^= 1 << b
            queries.append(f"{v:064x}")
    started = time.perf_counter()
    hits = 0
    for q in queries:
        hits += bool(
            lookup([Query("pdq", q)], viewer=viewer, matcher=matcher, count=False)[0].matches
        )
    lookup_qps = len(queries) / (time.perf_counter() - started)
    started = time.perf_counter()
    for k in range(0, len(queries), 100):
        lookup(
            [Query("pdq", q) for q in queries[k : k + 100]],
            viewer=viewer,
            matcher=matcher,
            count=False,
        )
    batch_qps = len(queries) / (time.perf_counter() - started)
    print(
        json.dumps(
            {
                "database": connection.vendor,
                "hashes": n,
                "import_s": round(import_s, 1),
                "import_per_s": round(n / import_s),
                "start_from_database_s": round(db_start_s, 2),
                "start_from_database_mb": round(db_rss),
                "start_from_snapshot_s": round(snap_start_s, 2),
                "start_from_snapshot_mb": round(snap_rss),
                "add_visible_ms": round(statistics.median(add_ms), 1),
                "remove_visible_ms": round(statistics.median(remove_ms), 1),
                "lookup_qps": round(lookup_qps),
                "lookup_batch100_qps": round(batch_qps),
                "hits": hits,
            }
        )
    )
    connection.close()
    if postgres:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {PG_DB}"], check=True)
    shutil.rmtree(workdir, ignore_errors=True)  # a 1M SQLite database is ~0.5 GB


def _refreshed(matcher):
    matcher.refresh(force=True)
    return matcher


if __name__ == "__main__":
    main()
