"""Overdue cases go to the on-call supervisor. The sweep runs every minute from the
worker's schedule; each overdue case is escalated once, through every configured
notifier, and the escalation is audited."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from tellsafe.cases.models import Case, Status
from tellsafe.cases.notifiers import Escalation, configured
from tellsafe.core import audit
from tellsafe.core.db import write_transaction

log = logging.getLogger(__name__)
# A case is "due soon" in the queue when less than this share of its clock is left.
DUE_SOON_SHARE = 0.25


def overdue(now=None):
    now = now or timezone.now()
    return Case.objects.filter(
        Q(first_response_at__isnull=True),
        first_response_due__lt=now,
        escalated_at__isnull=True,
        merged_into__isnull=True,
    ).exclude(status=Status.CLOSED)


def escalate_overdue(now=None) -> list[int]:
    """Escalate every overdue case not yet escalated; returns their ids.

    A case is marked escalated only once every notifier has taken it. If one fails, the
    case stays unmarked (so the retry sends it again: at least once, never lost) and the
    sweep raises after trying the other cases, so the task retries with backoff."""
    now = now or timezone.now()
    escalated: list[int] = []
    failures = 0
    notifiers = configured()
    for case in overdue(now).order_by("urgency_rank", "first_response_due")[:200]:
        item = Escalation(
            case_id=case.pk,
            urgency=case.urgency,
            minutes_overdue=int((now - case.first_response_due) / timedelta(minutes=1)),
            desk_url=settings.PUBLIC_URL + reverse("desk:case", args=[case.pk]),
        )
        try:
            for notifier in notifiers:
                notifier.send(item)
        except Exception:
            log.exception("notifier failed", extra={"case_id": case.pk})
            failures += 1
            continue
        with write_transaction():
            if not Case.objects.filter(pk=case.pk, escalated_at__isnull=True).update(
                escalated_at=now
            ):
                continue
            audit.record(
                actor=audit.Actor.system(),
                action="case.escalate",
                object_type="case",
                object_id=case.pk,
                data={"urgency": case.urgency, "notifiers": [n.name for n in notifiers]},
            )
        escalated.append(case.pk)
    if failures:
        raise RuntimeError(f"{failures} escalation notices failed")
    return escalated


def clock_state(case: Case, now) -> str:
    """ "overdue", "due_soon" or "" for the queue's highlighting."""
    if case.first_response_at is not None:
        return ""
    if now >= case.first_response_due:
        return "overdue"
    total = (case.first_response_due - case.created_at).total_seconds() or 1
    left = (case.first_response_due - now).total_seconds()
    return "due_soon" if left / total < DUE_SOON_SHARE else ""


from django_tasks import task  # noqa: E402

from tellsafe.core.retry import retrying  # noqa: E402


@task()
@retrying("tellsafe.cases.escalation.escalate_overdue_task", attempts=5, base_seconds=20)
def escalate_overdue_task() -> list[int]:
    """Every minute from the worker's schedule: escalate overdue cases."""
    return escalate_overdue()
