"""Report Remove: a child stops an image of them spreading, without sending it.

The browser hashes the image (``static/matching/hash.js``) and sends only PDQ, MD5 and
SHA-256. Here the hashes become a report (so the child gets a reference and passphrase,
and the desk sees it) and entries in the self-reported bank, waiting for an analyst. They
are matched from the moment they arrive (an upload that matches shows "pending review",
never actionable), shared with partners once confirmed, and withdrawn with the
passphrase: withdrawn hashes leave every index and every partner download.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError
from django.utils.translation import gettext as _

from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.intake import services as intake_services
from tellsafe.intake.models import Channel, Report, ReporterKind
from tellsafe.intake.validation import ReportInput
from tellsafe.matching import hashing, services
from tellsafe.matching.formats import HashRecord
from tellsafe.matching.models import Bank, BankHash

BANK_NAME = "self-reported"
CATEGORY = "self_generated"
AGE_BANDS = ("under_9", "9_12", "13_15", "16_17", "adult")


@dataclass(frozen=True)
class Submitted:
    reference: str
    passphrase: str
    report: Report


def self_reported_bank() -> Bank:
    """The bank of Report Remove hashes, made on first use: reviewed before it is acted
    on, shareable (partners listed by an administrator receive confirmed hashes)."""
    bank = Bank.objects.filter(name=BANK_NAME).first()
    if bank is not None:
        return bank
    try:
        return services.bank_create(
            name=BANK_NAME,
            title="Self-reported (Report Remove)",
            source=Bank.Source.SELF_REPORTED,
            legal_scope=Bank.LegalScope.NONE,
            review_required=True,
            shareable=True,
            actor=audit.Actor.system(),
        )
    except (ApplicationError, IntegrityError):
        # Two first submissions at once: the other one made it; use that.
        return Bank.objects.get(name=BANK_NAME)


def clean_hashes(raw: dict[str, Any]) -> list[HashRecord]:
    """The hashes the page sent, validated; ApplicationError naming each bad field."""
    problems: dict[str, list[str]] = {}
    records = []
    for hash_type in ("pdq", "md5", "sha256"):
        try:
            value = hashing.get(hash_type).normalise(str(raw.get(hash_type) or ""))
        except ValueError:
            problems[hash_type] = [_("This is not a hash our page made. Please try again.")]
            continue
        quality = None
        if hash_type == "pdq":
            try:
                quality = int(str(raw.get("quality", "")))
            except ValueError:
                quality = -1
            if not 0 <= quality <= 100:
                problems["quality"] = [_("This is not a hash our page made. Please try again.")]
        records.append(HashRecord(hash_type, value, quality))
    if problems:
        raise ApplicationError(
            "invalid_hashes",
            _("We could not read the numbers from your photo. Please choose it again."),
            problems,
        )
    return records


def submit(*, age_band: str, helper: bool, language: str, hashes: list[HashRecord]) -> Submitted:
    """Make the report and add its hashes to the self-reported bank, in one transaction."""
    if age_band not in AGE_BANDS:
        raise ApplicationError(
            "invalid_age", _("Please choose an age."), {"age_band": [_("Please choose an age.")]}
        )
    data = ReportInput(
        reporter=ReporterKind.CAREGIVER if helper else ReporterKind.CHILD,
        age_band=age_band,
        language=language,
        categories=(CATEGORY,),
        extra={"report_remove": True},
    )
    bank = self_reported_bank()
    with write_transaction():
        created = intake_services.report_create(data=data, channel=Channel.REPORT_REMOVE)
        services.hashes_add(
            bank=bank,
            records=hashes,
            actor=audit.Actor("reporter", created.report.pk),
            report=created.report,
            source="report_remove",
        )
    return Submitted(created.report.reference, created.passphrase, created.report)


def withdraw(*, report: Report) -> int:
    """Remove every hash this report added, from every bank; returns how many were still
    there. The report itself stays (the desk keeps the record that it was withdrawn)."""
    with write_transaction():
        services.lock_changes()
        rows = list(
            BankHash.objects.select_for_update()
            .filter(report=report)
            .exclude(status=BankHash.Status.REMOVED)
        )
        return services.set_status(
            rows,
            status=BankHash.Status.REMOVED,
            action="bank.self_report_withdraw",
            actor=audit.Actor("reporter", report.pk),
            reason="withdrawn by the reporter",
        )


def hashes_of(report: Report) -> list[BankHash]:
    return list(BankHash.objects.filter(report=report).order_by("hash_type"))
