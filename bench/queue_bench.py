"""Queue latency with many open cases: ``python bench/queue_bench.py [N] [--postgres]``.

Builds a fresh database with N open cases (each with one report and one or two harm
categories, spread over urgencies, channels, ages and teams), then times the desk's queue
page in process (Django test client, signed in as a counsellor with TOTP): the default
view, a category filter, the overdue filter and a deep page. Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

PG_ADMIN = "postgres://postgres@127.0.0.1:5432/test"
PG_DB = "tellsafe_bench_queue"


def main() -> None:
    n = int(next((a for a in sys.argv[1:] if a.isdigit()), "100000"))
    postgres = "--postgres" in sys.argv
    workdir = tempfile.mkdtemp(prefix="tellsafe-queue-")
    os.environ["DJANGO_SETTINGS_MODULE"] = "tellsafe.config.settings_test"
    os.environ["TELLSAFE_DATA_DIR"] = workdir
    os.environ["TELLSAFE_LOG_LEVEL"] = "WARNING"
    if postgres:
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {PG_DB}"], check=True)
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {PG_DB}"], check=True)
        os.environ["DATABASE_URL"] = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.utils import timezone

    setup_test_environment()
    call_command("migrate", verbosity=0)
    from tellsafe.accounts.tests.factories import login, staff
    from tellsafe.cases.models import URGENCY_RANK, Case
    from tellsafe.intake.models import Report
    from tellsafe.taxonomy.models import HarmCategory

    rng = random.Random(7)
    categories = list(HarmCategory.objects.values_list("id", flat=True))
    now = timezone.now()
    started = time.perf_counter()
    batch = 5000
    for offset in range(0, n, batch):
        cases = []
        for _ in range(min(batch, n - offset)):
            urgency = rng.choices(["imminent", "high", "normal"], [1, 10, 89])[0]
            created = now - timedelta(minutes=rng.randint(0, 60 * 24 * 60))
            cases.append(
                Case(
                    status=rng.choice(["new", "new", "in_review", "action_taken"]),
                    urgency=urgency,
                    urgency_rank=URGENCY_RANK[urgency],
                    imminent_danger=urgency == "imminent",
                    first_response_due=created + timedelta(hours=rng.choice([1, 24, 72])),
                    created_at=created,
                    updated_at=created,
                    team=rng.choice(["", "", "north", "south"]),
                )
            )
        cases = Case.objects.bulk_create(cases)
        reports = Report.objects.bulk_create(
            Report(
                case=case,
                reference=f"B{case.pk:07d}",
                passphrase_hash="x",
                channel=rng.choice(["web", "web", "api", "phone", "whatsapp"]),
                reporter_kind="child",
                age_band=rng.choice(["under_9", "9_12", "13_15", "16_17"]),
                language="en",
                contact_kind="none",
                created_at=case.created_at,
            )
            for case in cases
        )
        Report.categories.through.objects.bulk_create(
            Report.categories.through(report_id=r.pk, harmcategory_id=c)
            for r in reports
            for c in rng.sample(categories, rng.choice([1, 2]))
        )
    build = time.perf_counter() - started
    user = staff("counsellor", team="north", username="bench")
    client = login(Client(), user)
    client.get("/desk/")

    def timed(path: str, runs: int = 30) -> dict:
        samples = []
        for _ in range(runs):
            t = time.perf_counter()
            response = client.get(path)
            samples.append((time.perf_counter() - t) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        samples.sort()
        return {
            "median_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 1),
        }

    result = {
        "database": "postgresql" if postgres else "sqlite",
        "open_cases": n,
        "build_seconds": round(build, 1),
        "queue": timed("/desk/"),
        "category_filter": timed("/desk/?category=grooming"),
        "overdue_filter": timed("/desk/?overdue=1"),
        "page_20": timed("/desk/?page=20"),
    }
    print(json.dumps(result))
    if postgres:
        from django.db import connections

        connections.close_all()
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {PG_DB}"])


if __name__ == "__main__":
    main()
