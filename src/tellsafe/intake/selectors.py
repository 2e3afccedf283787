"""Reads for reporters: finding their report by reference and passphrase, and what they
may see of it. Wrong guesses are counted per reference and per address, and both answers
(no such reference, wrong passphrase) look and take the same."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override

from tellsafe.cases.models import Message
from tellsafe.cases.status import CHILD_STATUSES, FINISHED, OUTCOMES, child_status
from tellsafe.core import audit, ratelimit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.intake import credentials, wording
from tellsafe.intake.models import Feedback, Report


def _locked_error() -> ApplicationError:
    minutes = max(1, settings.STATUS_LOCK_SECONDS // 60)
    return ApplicationError(
        "locked",
        _("Too many tries. Please wait %(minutes)d minutes and try again.") % {"minutes": minutes},
        status=429,
    )


def report_by_codes(*, reference: str, passphrase: str, address: str) -> Report:
    """The report these codes open, or ApplicationError ``not_found`` / ``locked``."""
    reference = credentials.normalise(reference)
    window = settings.STATUS_LOCK_SECONDS
    if (
        ratelimit.count("status-ref", reference) >= settings.STATUS_MAX_FAILURES
        or ratelimit.count("status-addr", address) >= settings.STATUS_ADDRESS_MAX_FAILURES
    ):
        raise _locked_error()
    report = None
    if credentials.looks_valid(reference, credentials.REFERENCE_LENGTH):
        report = Report.objects.filter(reference=reference).select_related("case").first()
    if credentials.check_passphrase(passphrase, report.passphrase_hash if report else None):
        assert report is not None
        ratelimit.reset("status-ref", reference)
        return report
    ratelimit.hit("status-ref", reference, window)
    ratelimit.hit("status-addr", address, window)
    raise ApplicationError(
        "not_found",
        _("These codes do not match a report. Check them and try again."),
        status=404,
    )


@dataclass(frozen=True)
class StatusMessage:
    at: datetime
    text: str


@dataclass(frozen=True)
class ReporterView:
    reference: str
    status: str
    status_text: str
    step: int  # 1-based position on the status track, for the progress display
    updated_at: datetime
    messages: list[StatusMessage]
    feedback_open: bool
    outcome_codes: list[str]


def status_for_reporter(*, report: Report, language: str | None = None) -> ReporterView:
    """What the reporter may see, in their language and words. Audited as a read."""
    case = report.case
    status = child_status(case)
    with override(language or report.language):
        status_text = str(wording.text(f"status_{status}", report.wording_band))
    messages = [
        StatusMessage(at=m.created_at, text=m.body)
        for m in Message.objects.filter(
            report=report, direction=Message.Direction.OUTBOUND
        ).order_by("created_at")
    ]
    feedback_open = status == FINISHED and not Feedback.objects.filter(report=report).exists()
    with write_transaction():
        audit.record(
            actor=audit.Actor("reporter", report.pk),
            action="case.view_by_reporter",
            object_type="case",
            object_id=case.pk,
            data={"report": report.pk},
        )
    return ReporterView(
        reference=report.reference,
        status=status,
        status_text=status_text,
        step=CHILD_STATUSES.index(status) + 1,
        updated_at=case.updated_at,
        messages=messages,
        feedback_open=feedback_open,
        outcome_codes=[f"outcome_{code}" for code in case.outcome_codes if code in OUTCOMES],
    )
