"""Writes of the intake: creating a report, and what a reporter adds to it later."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import asdict, dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from tellsafe.cases import urgency as urgency_rules
from tellsafe.cases.models import URGENCY_RANK, Case, ContentItem, Message
from tellsafe.core import audit, crypto
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.intake import credentials
from tellsafe.intake.models import Feedback, IdempotencyRecord, Report
from tellsafe.intake.validation import ReportInput
from tellsafe.taxonomy import selectors as taxonomy_selectors

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReportCreated:
    report: Report
    passphrase: str
    created: bool  # False when an idempotent retry returned an earlier report


def fingerprint(data: ReportInput, channel: str) -> str:
    canonical = json.dumps({"channel": channel, **asdict(data)}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _content_items(*, case: Case, report: Report, urls: tuple[str, ...], now) -> None:
    """Record the reported URLs; each is traced to its host in the background, and one
    removed before after a notice of ours is flagged as a re-upload."""
    from tellsafe.routing.notices.reuploads import check_reupload
    from tellsafe.routing.services import schedule_trace

    items = ContentItem.objects.bulk_create(
        ContentItem(
            case=case,
            report=report,
            url=url,
            url_hash=crypto.keyed_hash(url, "url"),
            host=(urlsplit(url).hostname or "")[:255],
            created_at=now,
        )
        for url in urls
    )
    for item in items:
        schedule_trace(item=item)
        check_reupload(item)


def report_create(
    *, data: ReportInput, channel: str, idempotency_key: str | None = None
) -> ReportCreated:
    """Open a case for a new report, committed in one transaction with its content items
    and its audit event, before the reporter is told anything (SECURITY.md: nothing is lost).

    With ``idempotency_key``, a retry of the same request returns the first report; the
    same key with a different request is refused. Nothing is looked up before the insert:
    the unique key itself detects a retry, so the common case costs no extra query.
    """
    print_ = fingerprint(data, channel) if idempotency_key else ""
    for _attempt in range(3):
        try:
            return _create(
                data=data, channel=channel, idempotency_key=idempotency_key, fingerprint_=print_
            )
        except IntegrityError:
            # Either this key was used before (answer as the first time did), or two
            # random references collided (draw again).
            if idempotency_key:
                earlier = _replay(idempotency_key, print_)
                if earlier:
                    return earlier
    raise RuntimeError("could not create the report")


def _replay(key: str, print_: str) -> ReportCreated | None:
    record = IdempotencyRecord.objects.select_related("report").filter(key=key).first()
    if record is None:
        return None
    if record.fingerprint != print_:
        raise ApplicationError(
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different report.",
            status=409,
        )
    return ReportCreated(report=record.report, passphrase=record.passphrase, created=False)


def _create(
    *, data: ReportInput, channel: str, idempotency_key: str | None, fingerprint_: str
) -> ReportCreated:
    passphrase = credentials.new_passphrase()
    # The slow and pure work happens before the write lock is taken.
    passphrase_hash = credentials.hash_passphrase(passphrase)
    contact_hash = crypto.keyed_hash(data.contact_value, "contact") if data.contact_value else ""
    level = urgency_rules.assess(
        safe_now=data.safe_now, age_band=data.age_band, category_codes=data.categories
    )
    category_ids = [taxonomy_selectors.ids_by_code()[code] for code in data.categories]
    with write_transaction():
        now = timezone.now()
        case = Case.objects.create(
            urgency=level,
            urgency_rank=URGENCY_RANK[level],
            imminent_danger=data.safe_now is False,
            first_response_due=urgency_rules.first_response_due(level, now),
            created_at=now,
            updated_at=now,
        )
        report = Report.objects.create(
            case=case,
            reference=credentials.new_reference(),
            passphrase_hash=passphrase_hash,
            channel=channel,
            reporter_kind=data.reporter,
            age_band=data.age_band,
            language=data.language,
            details=data.details,
            safe_now=data.safe_now,
            contact_kind=data.contact_kind,
            contact_value=data.contact_value,
            contact_hash=contact_hash,
            extra=data.extra,
            created_at=now,
        )
        Report.categories.through.objects.bulk_create(
            Report.categories.through(report_id=report.pk, harmcategory_id=category_id)
            for category_id in category_ids
        )
        if data.urls:
            _content_items(case=case, report=report, urls=data.urls, now=now)
        if idempotency_key:
            IdempotencyRecord.objects.create(
                key=idempotency_key,
                fingerprint=fingerprint_,
                report=report,
                passphrase=passphrase,
                created_at=now,
            )
        event = audit.record(
            actor=audit.Actor("reporter", report.pk),
            action="report.create",
            object_type="case",
            object_id=case.pk,
            data={
                "report": report.pk,
                "channel": channel,
                "urgency": level,
                "categories": list(data.categories),
                "urls": len(data.urls),
            },
        )
    log.info(
        "report created",
        extra={
            "report_id": report.pk,
            "case_id": case.pk,
            "channel": channel,
            "urgency": level,
            "audit_seq": event.seq,
        },
    )
    return ReportCreated(report=report, passphrase=passphrase, created=True)


def report_add_information(*, report: Report, text: str, urls: tuple[str, ...]) -> Message | None:
    """What a reporter adds after sending: more words, more links, or both. It joins the
    same case, so the child never tells the story twice."""
    if not text and not urls:
        raise ApplicationError("empty", "Nothing to add.", {"text": ["Nothing to add."]})
    with write_transaction():
        now = timezone.now()
        case = Case.objects.select_for_update().get(pk=report.case_id)
        message = None
        if text:
            message = Message.objects.create(
                case=case,
                report=report,
                direction=Message.Direction.INBOUND,
                body=text,
                created_at=now,
            )
        if urls:
            _content_items(case=case, report=report, urls=urls, now=now)
        case.updated_at = now
        case.save(update_fields=["updated_at"])
        audit.record(
            actor=audit.Actor("reporter", report.pk),
            action="report.add_information",
            object_type="case",
            object_id=case.pk,
            data={"report": report.pk, "text": bool(text), "urls": len(urls)},
        )
    return message


def feedback_give(
    *, report: Report, listened: int, understood: int, helped: int, comment: str
) -> Feedback:
    """Record the reporter's survey answers. Only once a case is closed, and only once."""
    with write_transaction():
        case = Case.objects.select_for_update().get(pk=report.case_id)
        if case.status != "closed":
            raise ApplicationError("case_open", "Feedback opens when the case is closed.")
        if Feedback.objects.filter(report=report).exists():
            raise ApplicationError("feedback_given", "Feedback was already given.", status=409)
        feedback = Feedback.objects.create(
            report=report,
            listened=listened,
            understood=understood,
            helped=helped,
            comment=comment,
            created_at=timezone.now(),
        )
        audit.record(
            actor=audit.Actor("reporter", report.pk),
            action="feedback.give",
            object_type="case",
            object_id=case.pk,
            data={"report": report.pk, "scores": [listened, understood, helped]},
        )
    return feedback


def purge_idempotency_records() -> int:
    cutoff = timezone.now() - timedelta(seconds=settings.IDEMPOTENCY_SECONDS)
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
