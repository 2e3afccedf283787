"""``tellsafe worker``: runs background tasks (django-tasks-db) and the periodic schedule."""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django_tasks_db.management.commands.db_worker import Command as DBWorkerCommand

from tellsafe.core import schedule


class Command(DBWorkerCommand):
    help = (
        "Run the background worker: queued tasks (database or Redis, as "
        "TELLSAFE_TASK_BACKEND says), plus the periodic schedule."
    )

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        if settings.TASK_BACKEND == "rq":
            # db_worker checks that --backend names a database backend; with Redis the
            # option is not used, so accept the name as given.
            parser._option_string_actions["--backend"].type = str
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
            if settings.TASK_BACKEND == "rq":
                # Redis queues: django-rq's worker, with its scheduler for deferred retries.
                call_command(
                    "rqworker",
                    *options["queue_name"].split(","),
                    job_class="django_tasks_rq.backend.Job",
                    with_scheduler=True,
                    burst=bool(options.get("batch")),
                    verbosity=options.get("verbosity", 1),
                )
            else:
                super().handle(*args, **options)
        finally:
            stop.set()
