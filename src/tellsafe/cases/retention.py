"""Retention: closed cases are anonymised once TELLSAFE_RETENTION_DAYS have passed since
they were closed (see SECURITY.md: retention).

Anonymising blanks everything a person wrote or that could identify one: the reporter's
narrative and contact (the keyed hash too, so the reporter can no longer be linked to
later reports), message and note bodies, reported URLs and feedback comments. The
passphrase hash is replaced, so the codes open nothing any more, and API retry records,
which hold the passphrase, are deleted. What transparency reporting counts is kept:
dates, channel, reporter kind, age band, language, categories, urgency, status, outcomes,
the content items themselves with their host and URL hash (a re-upload of the same URL is
still recognised), and feedback scores.

Each case is anonymised in its own transaction with its own audit event, so a long run
holds the write lock only briefly and an interrupted run loses nothing; a run picks up
whatever is still due, so running it again is harmless.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from tellsafe.cases.models import Approval, Case, ContentItem, Message, Note, Status
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.intake.models import (
    Conversation,
    Feedback,
    IdempotencyRecord,
    InboundMessage,
    OutboundMessage,
    Report,
)

log = logging.getLogger(__name__)

# Never a valid argon2 hash, so no passphrase verifies against it (like Django's
# unusable passwords).
UNUSABLE_PASSPHRASE_HASH = "!anonymised"  # noqa: S105 (a marker, not a secret)

KINDS = (
    "reports",
    "messages",
    "notes",
    "content_items",
    "feedback",
    "idempotency_records",
    "chat_messages_in",
    "chat_messages_out",
    "conversations",
    "approvals",
)


@dataclass
class RetentionRun:
    """What a run did (or, with ``dry_run``, would do). Counts only."""

    cutoff: datetime
    dry_run: bool
    cases: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))


def cutoff_for(now: datetime) -> datetime:
    return now - timedelta(days=settings.RETENTION_DAYS)


def due_cases(cutoff: datetime) -> QuerySet[Case]:
    """Closed before ``cutoff``, not yet anonymised, and not merged into a case that is
    still open (a merge moves the data to the target, which keeps it while open)."""
    return (
        Case.objects.filter(status=Status.CLOSED, closed_at__lt=cutoff, anonymised_at__isnull=True)
        .filter(Q(merged_into__isnull=True) | Q(merged_into__status=Status.CLOSED))
        .order_by("pk")
    )


def _counts(case_ids: list[int]) -> dict[str, int]:
    """What anonymising these cases would touch."""
    return {
        "reports": Report.objects.filter(case_id__in=case_ids).count(),
        "messages": Message.objects.filter(case_id__in=case_ids).count(),
        "notes": Note.objects.filter(case_id__in=case_ids).count(),
        "content_items": ContentItem.objects.filter(case_id__in=case_ids).count(),
        "feedback": Feedback.objects.filter(report__case_id__in=case_ids).count(),
        "idempotency_records": IdempotencyRecord.objects.filter(
            report__case_id__in=case_ids
        ).count(),
        "chat_messages_out": OutboundMessage.objects.filter(
            conversation__report__case_id__in=case_ids
        ).count(),
        "conversations": Conversation.objects.filter(report__case_id__in=case_ids).count(),
        "approvals": Approval.objects.filter(case_id__in=case_ids).count(),
    }


def case_anonymise(*, case_id: int, cutoff: datetime) -> dict[str, int] | None:
    """Anonymise one case if it is still due, with its audit event, in one transaction.
    Returns the counts of what was blanked, or None if the case was not due (reopened or
    anonymised since it was selected)."""
    with write_transaction():
        now = timezone.now()
        Case.objects.select_for_update().filter(pk=case_id).first()
        if not due_cases(cutoff).filter(pk=case_id).exists():
            return None
        reports = Report.objects.filter(case_id=case_id)
        counts = {
            "reports": reports.update(
                details="",
                contact_value="",
                contact_hash="",
                passphrase_hash=UNUSABLE_PASSPHRASE_HASH,
            ),
            "messages": Message.objects.filter(case_id=case_id).update(body=""),
            "notes": Note.objects.filter(case_id=case_id).update(body=""),
            # Media hashes stay: they identify known material, not the child, and let a
            # re-upload be recognised after the case is gone.
            "content_items": ContentItem.objects.filter(case_id=case_id).update(
                url="", media_ref=""
            ),
            "feedback": Feedback.objects.filter(report__case_id=case_id).update(comment=""),
            "idempotency_records": IdempotencyRecord.objects.filter(
                report__case_id=case_id
            ).delete()[0],
            **_anonymise_chats(case_id),
            "approvals": Approval.objects.filter(case_id=case_id).update(
                reason="", decision_note=""
            ),
        }
        Case.objects.filter(pk=case_id).update(anonymised_at=now)
        audit.record(
            actor=audit.Actor.system(),
            action="case.anonymise",
            object_type="case",
            object_id=case_id,
            data=counts,
        )
    return counts


def retention_run(*, now: datetime | None = None, dry_run: bool = False) -> RetentionRun:
    """Anonymise every case that is due, each in its own transaction, then record the
    run in one ``retention.run`` audit event. With ``dry_run``, only count."""
    cutoff = cutoff_for(now or timezone.now())
    case_ids = list(due_cases(cutoff).values_list("pk", flat=True))
    run = RetentionRun(cutoff=cutoff, dry_run=dry_run)
    if dry_run:
        run.cases = len(case_ids)
        if case_ids:
            run.counts = _counts(case_ids)
        return run
    for case_id in case_ids:
        counts = case_anonymise(case_id=case_id, cutoff=cutoff)
        if counts is None:
            continue
        run.cases += 1
        for kind, count in counts.items():
            run.counts[kind] = run.counts.get(kind, 0) + count
    with write_transaction():
        audit.record(
            actor=audit.Actor.system(),
            action="retention.run",
            object_type="retention",
            object_id=cutoff.date().isoformat(),
            data={"anonymised": run.cases, "cutoff": cutoff.isoformat()},
        )
    log.info("retention run: cases anonymised", extra={"count": run.cases})
    return run


__all__ = ["RetentionRun", "case_anonymise", "due_cases", "retention_run"]


def _anonymise_chats(case_id: int) -> dict[str, int]:
    """The chats behind the case's reports: what was written and who wrote it."""
    conversations = Conversation.objects.filter(report__case_id=case_id)
    keys = list(conversations.values_list("channel_id", "contact_hash"))
    inbound = 0
    for channel_id, contact_hash in keys:
        inbound += InboundMessage.objects.filter(
            channel_id=channel_id, contact_hash=contact_hash
        ).update(event="{}")
    return {
        "chat_messages_in": inbound,
        "chat_messages_out": OutboundMessage.objects.filter(
            conversation__report__case_id=case_id
        ).update(to="", body=""),
        # The contact hash is unique per channel: keep a placeholder, not the person.
        "conversations": sum(
            Conversation.objects.filter(pk=pk).update(
                contact="", answers="", contact_hash=f"anonymised:{pk}"
            )
            for pk in conversations.values_list("pk", flat=True)
        ),
    }
