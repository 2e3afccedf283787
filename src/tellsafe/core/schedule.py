"""Periodic work. The worker enqueues each entry through the Django Tasks API at its
interval; the tasks are idempotent, so two workers enqueueing the same entry is harmless.
This is a timer, not a queue: the queue is the configured Tasks backend."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Entry:
    task: str  # dotted path of a @task function
    every_seconds: int


ENTRIES: tuple[Entry, ...] = (
    Entry("tellsafe.intake.tasks.purge_idempotency_records", 3600),
    Entry("tellsafe.cases.escalation.escalate_overdue_task", 60),
    Entry("tellsafe.intake.tasks.sweep_conversations", 60),
    Entry("tellsafe.core.tasks.clear_expired_sessions", 3600),
    Entry("tellsafe.core.tasks.prune_task_results", 24 * 3600),
    Entry("tellsafe.cases.tasks.run_retention", 24 * 3600),
    Entry("tellsafe.intake.tasks.sweep_chat_media", 600),
    Entry("tellsafe.routing.notices.tasks.send_notice_reminders", 15 * 60),
    Entry("tellsafe.routing.notices.tasks.recheck_notices", 3600),
    Entry("tellsafe.matching.tasks.write_matcher_snapshot", settings.MATCHER_SNAPSHOT_SECONDS),
)


def start(stop: threading.Event, entries: tuple[Entry, ...] = ENTRIES) -> threading.Thread:
    def loop() -> None:
        # First runs are spread over the first minute, not all at start-up.
        start = time.monotonic()
        due = {
            entry: start + min(entry.every_seconds, 10 + 10 * i) for i, entry in enumerate(entries)
        }
        while not stop.is_set():
            now = time.monotonic()
            for entry, at in due.items():
                if now >= at:
                    try:
                        import_string(entry.task).enqueue()
                        log.info("scheduled task enqueued", extra={"task": entry.task})
                    except Exception:
                        log.exception("could not enqueue", extra={"task": entry.task})
                    finally:
                        close_old_connections()
                    due[entry] = now + entry.every_seconds
            stop.wait(5)

    thread = threading.Thread(target=loop, name="tellsafe-schedule", daemon=True)
    thread.start()
    return thread
