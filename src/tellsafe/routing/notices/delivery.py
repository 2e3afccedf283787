"""The clock's work: delivering notices, reminding and escalating, re-checking.

Network work (a transport, an e-mail, a HEAD request) always happens outside a write
transaction; its result is then written with its timeline event and audit event. Each
function takes ``now=`` so tests run a frozen clock.

- ``notice_deliver``: one delivery attempt of a queued notice. A failure is recorded and
  raised so ``core.retry`` tries again with exponential backoff; after the last attempt,
  or at once for a permanent failure, the notice is flagged for a person.
- ``send_due_reminders``: the periodic sweep. Each due notice gets its next reminder
  through its transport; past the schedule's thresholds the reminder also goes to the
  partner's escalation contact (level 1), then takes the MoU path (level 2: its contact,
  and a person on the desk).
- ``recheck_open_notices``: the periodic re-check by the configured checkers.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q

from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.routing.notices import checkers, payload, transports
from tellsafe.routing.notices.models import (
    OPEN_STATUSES,
    Attention,
    Notice,
    NoticeEvent,
    NoticeStatus,
    Outcome,
    PartnerNoticeSettings,
    ReminderSchedule,
)
from tellsafe.routing.notices.partner_settings import schedule_for, schedule_text
from tellsafe.routing.notices.services import clock, enqueue_delivery, event, record_outcome
from tellsafe.routing.notices.transports import DeliveryError, Message
from tellsafe.routing.notices.transports.email import render_body, send_email

log = logging.getLogger(__name__)

DELIVERY_ATTEMPTS = 6  # 1 + 5 retries: 1, 2, 4, 8 and 16 minutes apart
BACKOFF_BASE_SECONDS = 60
REMINDER_LEASE = timedelta(minutes=10)  # a claimed reminder; another sweep skips it
REMINDER_FAILURES_FOR_ATTENTION = 5
RECHECK_EVERY = timedelta(hours=1)
GONE_CONFIRMATIONS = 2  # consecutive "gone" checks before a checker records removal
STALLED_AFTER = timedelta(hours=1)  # queued, never tried: its task was lost
SYSTEM = audit.Actor.system()


class DeliveryRetry(Exception):
    """Raised after a failed attempt that may work later, so core.retry tries again."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def _load(notice_id: int) -> Notice | None:
    return (
        Notice.objects.select_related("content_item", "partner", "earlier_notice")
        .filter(pk=notice_id)
        .first()
    )


def _config(notice: Notice) -> PartnerNoticeSettings | None:
    return (
        PartnerNoticeSettings.objects.select_related("schedule")
        .filter(partner_id=notice.partner_id)
        .first()
    )


def message_for(
    notice: Notice, event_name: str, sequence: int, schedule: ReminderSchedule
) -> Message:
    return Message(
        event=event_name,
        sequence=sequence,
        payload=payload.notice_payload(notice),
        confirm_url=payload.link_url(notice),
        schedule=schedule_text(schedule),
    )


def _attempt(notice: Notice, config: PartnerNoticeSettings | None, message: Message) -> Any:
    """Deliver through the partner's transport as it is set now (a partner that moved
    from e-mail to the API gets its open notices there; ``notice.transport`` follows).
    Every failure becomes DeliveryError."""
    if config is None:
        raise DeliveryError("not_configured", retryable=False)
    notice.transport = config.transport
    plugin = transports.registry().get(notice.transport)
    if plugin is None:
        raise DeliveryError("unknown_transport", retryable=False)
    try:
        return plugin.deliver(config, message)
    except DeliveryError:
        raise
    except Exception as exc:  # a fault in a plugin: recorded, retried, never lost
        log.exception("notice transport fault", extra={"code": type(exc).__name__})
        raise DeliveryError(f"error_{type(exc).__name__}") from exc


# --- delivery ------------------------------------------------------------------------------


def notice_deliver(*, notice_id: int, now: datetime | None = None) -> str:
    """One delivery attempt of a queued notice. Returns ``delivered``, ``failed`` (for
    good: flagged for a person) or ``skipped`` (nothing to do: not queued any more, or
    already flagged). Raises DeliveryRetry after a failure that may pass."""
    at = clock(now)
    notice = _load(notice_id)
    if notice is None or notice.status != NoticeStatus.QUEUED:
        return "skipped"
    if notice.attention == Attention.DELIVERY_FAILED:
        return "skipped"
    config = _config(notice)
    schedule = schedule_for(config)
    attempt = notice.delivery_attempts + 1
    # What the message says; stored only once it is delivered.
    notice.sent_at, notice.status = at, NoticeStatus.SENT
    try:
        delivered = _attempt(notice, config, message_for(notice, "notice", 0, schedule))
    except DeliveryError as exc:
        return _delivery_failed(notice, exc, attempt, at)
    with write_transaction():
        changed = Notice.objects.filter(pk=notice.pk, status=NoticeStatus.QUEUED).update(
            transport=notice.transport,
            status=NoticeStatus.SENT,
            sent_at=at,
            delivery_attempts=attempt,
            next_reminder_at=at + timedelta(hours=schedule.first_after_hours),
            attention=Attention.NONE,
        )
        if not changed:
            return "skipped"
        data = {"pulled": delivered.pulled, "provider_id": delivered.provider_id}
        event(
            notice,
            NoticeEvent.Kind.DELIVERED,
            at=at,
            transport=notice.transport,
            attempt=attempt,
            data=data,
        )
        audit.record(
            actor=SYSTEM,
            action="notice.deliver",
            object_type="notice",
            object_id=notice.pk,
            data={"transport": notice.transport, "attempt": attempt, "pulled": delivered.pulled},
        )
    log.info(
        "notice delivered",
        extra={"event": "notice.deliver", "attempt": attempt, "notice_id": notice.pk},
    )
    return "delivered"


def _delivery_failed(notice: Notice, exc: DeliveryError, attempt: int, at: datetime) -> str:
    final = not exc.retryable or attempt >= DELIVERY_ATTEMPTS
    with write_transaction():
        update: dict[str, Any] = {"delivery_attempts": attempt}
        if final:
            update["attention"] = Attention.DELIVERY_FAILED
        Notice.objects.filter(pk=notice.pk, status=NoticeStatus.QUEUED).update(**update)
        event(
            notice,
            NoticeEvent.Kind.DELIVERY_FAILED,
            at=at,
            transport=notice.transport,
            attempt=attempt,
            code=exc.code,
            data={"retryable": exc.retryable, "final": final},
        )
        audit.record(
            actor=SYSTEM,
            action="notice.deliver_failed",
            object_type="notice",
            object_id=notice.pk,
            data={
                "transport": notice.transport,
                "attempt": attempt,
                "code": exc.code,
                "final": final,
            },
        )
        if final:
            event(notice, NoticeEvent.Kind.ATTENTION, at=at, code=Attention.DELIVERY_FAILED)
    log.warning(
        "notice delivery failed",
        extra={
            "event": "notice.deliver_failed",
            "code": exc.code,
            "attempt": attempt,
            "notice_id": notice.pk,
        },
    )
    if final and not exc.retryable:
        return "failed"
    raise DeliveryRetry(exc.code)  # the last one ends the task FAILED (attention list)


def requeue_stalled(*, now: datetime | None = None, limit: int = 200) -> int:
    """Queue again the notices queued more than STALLED_AFTER ago and never tried (the
    task queue was down, or a task was lost). Returns how many."""
    at = clock(now)
    stalled = Q(
        status=NoticeStatus.QUEUED,
        attention="",
        delivery_attempts=0,
        queued_at__lte=at - STALLED_AFTER,
    )
    requeued = 0
    for notice_id in Notice.objects.filter(stalled).values_list("pk", flat=True)[:limit]:
        with write_transaction():
            claimed = Notice.objects.filter(stalled, pk=notice_id).update(queued_at=at)
        if claimed and enqueue_delivery(notice_id):
            requeued += 1
    if requeued:
        log.warning("stalled notices queued again", extra={"count": requeued})
    return requeued


# --- reminders and escalation --------------------------------------------------------------


def send_due_reminders(*, now: datetime | None = None, limit: int = 200) -> dict[str, int]:
    """Send every reminder that is due (at most ``limit`` per run, oldest due first).
    Returns counts by result."""
    at = clock(now)
    due = list(
        Notice.objects.filter(status__in=OPEN_STATUSES, next_reminder_at__lte=at)
        .order_by("next_reminder_at", "id")
        .values_list("pk", "next_reminder_at")[:limit]
    )
    counts: dict[str, int] = {}
    for notice_id, due_at in due:
        assert due_at is not None  # filtered above
        result = _chase(notice_id, due_at, at)
        counts[result] = counts.get(result, 0) + 1
    return counts


def _claim(notice_id: int, due_at: datetime, at: datetime) -> bool:
    with write_transaction():
        return bool(
            Notice.objects.filter(
                pk=notice_id, next_reminder_at=due_at, status__in=OPEN_STATUSES
            ).update(next_reminder_at=at + REMINDER_LEASE)
        )


def _chase(notice_id: int, due_at: datetime, at: datetime) -> str:
    if not _claim(notice_id, due_at, at):
        return "skipped"  # another sweep has it, or the partner just answered
    notice = _load(notice_id)
    if notice is None:  # pragma: no cover - notices are never deleted
        return "skipped"
    config = _config(notice)
    schedule = schedule_for(config)
    sequence = notice.reminders_sent + 1
    if schedule.max_reminders is not None and sequence > schedule.max_reminders:
        with write_transaction():
            Notice.objects.filter(pk=notice.pk).update(next_reminder_at=None)
        return "exhausted"
    try:
        delivered = _attempt(notice, config, message_for(notice, "reminder", sequence, schedule))
    except DeliveryError as exc:
        return _reminder_failed(notice, exc, sequence, at, schedule)
    levels = []
    if sequence > schedule.escalate_after and notice.escalation_level < 1:
        levels.append(1)
    if sequence > schedule.mou_after and notice.escalation_level < 2:
        levels.append(2)
    notice.reminders_sent = sequence
    escalations = [(level, _escalate(notice, config, level, schedule)) for level in levels]
    following = due_at + timedelta(hours=schedule.every_hours)
    if following <= at:  # the worker was away: no burst of catch-up reminders
        following = at + timedelta(hours=schedule.every_hours)
    with write_transaction():
        update: dict[str, Any] = {
            "reminders_sent": sequence,
            "failures_in_a_row": 0,
            "transport": notice.transport,
        }
        if levels:
            update["escalation_level"] = max(levels)
        Notice.objects.filter(pk=notice.pk).update(**update)
        # Only while still open: an answer that came in meanwhile ends the chasing.
        attention = _attention_after(escalations)
        Notice.objects.filter(pk=notice.pk, status__in=OPEN_STATUSES).update(
            next_reminder_at=following, **({"attention": attention} if attention else {})
        )
        event(
            notice,
            NoticeEvent.Kind.REMINDER,
            at=at,
            transport=notice.transport,
            attempt=sequence,
            data={"pulled": delivered.pulled},
        )
        audit.record(
            actor=SYSTEM,
            action="notice.reminder",
            object_type="notice",
            object_id=notice.pk,
            data={"sequence": sequence, "transport": notice.transport},
        )
        for level, code in escalations:
            kind = (
                NoticeEvent.Kind.ESCALATION
                if code in ("sent", "no_contact")
                else NoticeEvent.Kind.ESCALATION_FAILED
            )
            event(notice, kind, at=at, code=code, data={"level": level, "after": sequence - 1})
            audit.record(
                actor=SYSTEM,
                action="notice.escalate",
                object_type="notice",
                object_id=notice.pk,
                data={"level": level, "result": code, "reminders": sequence},
            )
        if attention:
            event(notice, NoticeEvent.Kind.ATTENTION, at=at, code=attention)
    log.info(
        "notice reminder sent",
        extra={"event": "notice.reminder", "count": sequence, "notice_id": notice.pk},
    )
    return "escalated" if levels else "reminded"


def _escalate(
    notice: Notice, config: PartnerNoticeSettings | None, level: int, schedule: ReminderSchedule
) -> str:
    """E-mail the escalation contact of ``level`` (1: the partner's named contact, 2:
    the MoU path). Returns sent, no_contact or the failure's code."""
    address = ""
    if config is not None:
        address = config.escalation_email if level == 1 else config.mou_email
    if not address:
        return "no_contact"
    partner = notice.partner.name
    if level == 1:
        name = config.escalation_name if config is not None else ""
        you = f"You ({name})" if name else "You"
        who = f"{you} are named by {partner} as its escalation contact for our notices."
    else:
        who = (
            f"We are following the escalation path of the cooperation agreement (MoU) with "
            f"{partner}."
        )
    words = (
        f"ESCALATION. Our notice {notice.reference} to {partner} has had {notice.reminders_sent} "
        f"reminders without an answer since it was sent on {notice.sent_at:%Y-%m-%d %H:%M %Z}. "
        f"{who} Please make sure it is dealt with, and answer through the link below."
    )
    message = message_for(notice, "reminder", notice.reminders_sent, schedule)
    try:
        send_email(
            to=address,
            subject=f"Escalation: notice {notice.reference} to {partner} has no answer",
            body=render_body(message, escalation=words),
            payload=message.payload,
        )
    except DeliveryError as exc:
        return exc.code
    return "sent"


def _attention_after(escalations: list[tuple[int, str]]) -> str:
    codes = dict(escalations)
    if any(code not in ("sent", "no_contact") for code in codes.values()):
        return Attention.ESCALATION_FAILED
    if 2 in codes:
        return Attention.MOU_ESCALATION
    if codes.get(1) == "no_contact":
        return Attention.NO_ESCALATION_CONTACT
    return ""


def _reminder_failed(
    notice: Notice, exc: DeliveryError, sequence: int, at: datetime, schedule: ReminderSchedule
) -> str:
    failures = notice.failures_in_a_row + 1
    wait = min(timedelta(minutes=15) * 2 ** (failures - 1), timedelta(hours=schedule.every_hours))
    flag = failures >= REMINDER_FAILURES_FOR_ATTENTION or not exc.retryable
    with write_transaction():
        Notice.objects.filter(pk=notice.pk).update(failures_in_a_row=failures)
        Notice.objects.filter(pk=notice.pk, status__in=OPEN_STATUSES).update(
            next_reminder_at=at + wait,
            **({"attention": Attention.REMINDER_FAILED} if flag else {}),
        )
        event(
            notice,
            NoticeEvent.Kind.REMINDER_FAILED,
            at=at,
            transport=notice.transport,
            attempt=sequence,
            code=exc.code,
            data={"failures_in_a_row": failures},
        )
        audit.record(
            actor=SYSTEM,
            action="notice.reminder_failed",
            object_type="notice",
            object_id=notice.pk,
            data={"sequence": sequence, "code": exc.code, "failures_in_a_row": failures},
        )
        if flag:
            event(notice, NoticeEvent.Kind.ATTENTION, at=at, code=Attention.REMINDER_FAILED)
    log.warning(
        "notice reminder failed",
        extra={"event": "notice.reminder", "code": exc.code, "notice_id": notice.pk},
    )
    return "failed"


# --- re-checks ----------------------------------------------------------------------------


def recheck_open_notices(*, now: datetime | None = None, limit: int = 500) -> dict[str, int]:
    """Run the configured checkers over open notices not checked for RECHECK_EVERY.
    ``partner_confirmation`` alone does nothing, so without ``http_head`` nothing runs.
    GONE_CONFIRMATIONS gone results in a row record the removal (via ``check``), timed
    at the first of them."""
    at = clock(now)
    active = [c for c in checkers.configured() if c.name != "partner_confirmation"]
    if not active:
        return {}
    due = (
        Notice.objects.filter(status__in=OPEN_STATUSES)
        .filter(Q(last_checked_at__isnull=True) | Q(last_checked_at__lte=at - RECHECK_EVERY))
        .select_related("content_item")
        .order_by(F("last_checked_at").asc(nulls_first=True), "id")[:limit]
    )
    counts: dict[str, int] = {}
    for notice in due:
        results = [(checker.name, checker.check(notice)) for checker in active]
        name, result = next(
            ((n, r) for n, r in results if r.code in ("gone", "present")), results[0]
        )
        counts[result.code] = counts.get(result.code, 0) + 1
        _record_check(notice, name, result, at)
    return counts


def _record_check(notice: Notice, name: str, result: checkers.CheckResult, at: datetime) -> None:
    update: dict[str, Any] = {"last_checked_at": at}
    if result.gone:
        update["gone_checks"] = notice.gone_checks + 1
        update["gone_since"] = notice.gone_since or at
    elif result.code == "present":
        update["gone_checks"] = 0
        update["gone_since"] = None
    with write_transaction():
        Notice.objects.filter(pk=notice.pk).update(**update)
        event(
            notice,
            NoticeEvent.Kind.CHECK,
            at=at,
            code=result.code,
            data={"checker": name, "detail": result.detail},
        )
        audit.record(
            actor=SYSTEM,
            action="notice.check",
            object_type="notice",
            object_id=notice.pk,
            data={"checker": name, "result": result.code, "detail": result.detail},
        )
    if result.gone and update["gone_checks"] >= GONE_CONFIRMATIONS:
        try:
            record_outcome(
                notice=notice,
                outcome=Outcome.REMOVED,
                reason="",
                via="check",
                actor=SYSTEM,
                at=at,
                removed_at=update["gone_since"],
            )
        except ApplicationError as exc:  # answered or closed meanwhile: theirs stands
            log.info("check result not recorded", extra={"code": exc.code, "notice_id": notice.pk})
