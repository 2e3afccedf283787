"""Background work of notices. Tasks take ids, call a service, and are idempotent.

``deliver_notice`` is queued by the services when a notice is queued; the other two are
periodic (core.schedule): ``send_notice_reminders`` every 15 minutes and
``recheck_notices`` every hour.
"""

from __future__ import annotations

from django_tasks import task

from tellsafe.core.retry import retrying
from tellsafe.routing.notices import delivery


@task()
@retrying(
    "tellsafe.routing.notices.tasks.deliver_notice",
    attempts=delivery.DELIVERY_ATTEMPTS,
    base_seconds=delivery.BACKOFF_BASE_SECONDS,
)
def deliver_notice(notice_id: int) -> str:
    """Deliver one queued notice; a failure retries with exponential backoff (1, 2, 4,
    8, 16 minutes) and, after the last, the notice waits for a person. Idempotent: a
    notice no longer queued is skipped."""
    return delivery.notice_deliver(notice_id=notice_id)


@task()
def send_notice_reminders() -> dict[str, int]:
    """Send the reminders and escalations that are due, and queue again any delivery
    whose task was lost."""
    counts = delivery.send_due_reminders()
    counts["requeued"] = delivery.requeue_stalled()
    return counts


@task()
def recheck_notices() -> dict[str, int]:
    """Re-check open notices with the configured checkers."""
    return delivery.recheck_open_notices()
