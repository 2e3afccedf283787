"""``tellsafe worker``: runs background tasks (django-tasks-db) and the periodic schedule."""

from __future__ import annotations

import threading
from typing import Any

from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from tellsafe.core import schedule


class Command(DBWorkerCommand):
    help = "Run the background worker: queued tasks, plus the periodic schedule."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--no-schedule",
            action="store_true",
            help="Do not enqueue periodic tasks from this worker.",
        )

    def handle(self, *args: Any, no_schedule: bool = False, **options: Any) -> None:  # type: ignore[override]
        options.setdefault("reload", False)
        stop = threading.Event()
        if not no_schedule and not options.get("batch"):
            schedule.start(stop)
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
