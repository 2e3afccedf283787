"""Retention: closed cases past TELLSAFE_RETENTION_DAYS lose every word that could name a
person, keep what statistics count, and nothing else is touched."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tellsafe.accounts.models import User
from tellsafe.cases import retention, tasks
from tellsafe.cases.models import Case, ContentItem, Message, Note
from tellsafe.core import keys
from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.core.schedule import ENTRIES
from tellsafe.intake import selectors, services
from tellsafe.intake.models import Feedback, IdempotencyRecord, Report
from tellsafe.intake.tests.factories import report_data
from tellsafe.intake.validation import validate_report

pytestmark = pytest.mark.django_db


def case_with_everything(word, *, closed_days_ago=None):
    """A case whose every text holds ``word``: narrative, contact, links, messages both
    ways, a staff note, feedback, and an API retry record. Closed that many days ago."""
    created = services.report_create(
        data=validate_report(
            report_data(
                details=f"{word} says he will share my photos.",
                contact={"kind": "email", "value": f"{word}.child@example.org"},
                urls=[f"https://social.example/u/{word}-profile", "https://chat.example/r/1"],
                categories=["sextortion", "grooming"],
            )
        ),
        channel="api",
        idempotency_key=f"retry-{word}",
    )
    report = created.report
    services.report_add_information(
        report=report, text=f"{word} wrote again.", urls=(f"https://more.example/{word}",)
    )
    case = report.case
    staff = User.objects.create_user(username=f"staff-{User.objects.count()}", password="x" * 16)
    now = timezone.now()
    Message.objects.create(
        case=case,
        report=report,
        direction="out",
        body=f"Dear {word}, we are on it.",
        author=staff,
        created_at=now,
    )
    Note.objects.create(
        case=case, author=staff, body=f"{word} lives near the park.", created_at=now
    )
    if closed_days_ago is not None:
        Case.objects.filter(pk=case.pk).update(
            status="closed",
            outcome_codes=["content_removed"],
            closed_at=now - timedelta(days=closed_days_ago),
        )
        services.feedback_give(
            report=report, listened=5, understood=4, helped=2, comment=f"Thanks from {word}."
        )
    return created


def everything_stored(*, skip=()):
    """Every row of every table as SQL returns it, plus every encrypted value decrypted:
    whatever the database could still tell anyone."""
    parts = []
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in sorted(set(connection.introspection.table_names()) - set(skip)):
            cursor.execute(f"SELECT * FROM {quote(table)}")  # noqa: S608
            parts.extend(repr(row) for row in cursor.fetchall())
    for target in keys.targets():
        parts.extend(target.model._base_manager.values_list(target.field_name, flat=True))
    return "\n".join(parts).lower()


def aggregates(case_pk):
    case = Case.objects.get(pk=case_pk)
    reports = Report.objects.filter(case_id=case_pk).order_by("pk")
    return {
        "case": (case.status, case.urgency, case.outcome_codes, case.created_at, case.closed_at),
        "reports": [
            (
                r.reference,
                r.channel,
                r.reporter_kind,
                r.age_band,
                r.language,
                r.created_at,
                r.contact_kind,
                sorted(r.categories.values_list("code", flat=True)),
            )
            for r in reports
        ],
        "content": sorted(
            ContentItem.objects.filter(case_id=case_pk).values_list("host", "url_hash")
        ),
        "messages": sorted(
            Message.objects.filter(case_id=case_pk).values_list("direction", "created_at")
        ),
        "scores": list(
            Feedback.objects.filter(report__case_id=case_pk).values_list(
                "listened", "understood", "helped"
            )
        ),
    }


def opens(created):
    try:
        selectors.report_by_codes(
            reference=created.report.reference,
            passphrase=created.passphrase,
            address="192.0.2.1",
        )
    except ApplicationError as error:
        assert error.code == "not_found"
        return False
    return True


def test_an_old_closed_case_is_anonymised_and_keeps_its_aggregates():
    old = case_with_everything("kestrel", closed_days_ago=400)
    case_pk = old.report.case_id
    kept = aggregates(case_pk)
    assert "kestrel" in everything_stored()
    assert opens(old)

    out = StringIO()
    call_command("retention", stdout=out)

    assert "Anonymised 1 cases" in out.getvalue()
    assert "kestrel" not in everything_stored()
    assert not opens(old)
    assert aggregates(case_pk) == kept
    assert Case.objects.get(pk=case_pk).anonymised_at is not None
    report = Report.objects.get(pk=old.report.pk)
    assert (report.details, report.contact_value, report.contact_hash) == ("", "", "")
    assert ContentItem.objects.filter(case_id=case_pk).count() == 3
    assert set(ContentItem.objects.filter(case_id=case_pk).values_list("url", flat=True)) == {""}
    assert not IdempotencyRecord.objects.filter(report__case_id=case_pk).exists()

    event = AuditEvent.objects.get(action="case.anonymise")
    assert event.object_id == str(case_pk)
    assert event.data == {
        "reports": 1,
        "messages": 2,
        "notes": 1,
        "content_items": 3,
        "feedback": 1,
        "idempotency_records": 1,
        "chat_messages_in": 0,
        "chat_messages_out": 0,
        "conversations": 0,
        "approvals": 0,
    }
    run = AuditEvent.objects.get(action="retention.run")
    assert run.data["anonymised"] == 1
    assert run.data["cutoff"].startswith((timezone.now() - timedelta(days=365)).date().isoformat())


def test_open_recent_and_merged_cases_are_untouched():
    open_case = case_with_everything("heron")
    recent = case_with_everything("plover", closed_days_ago=30)
    target = case_with_everything("osprey")  # open
    merged = case_with_everything("wren", closed_days_ago=400)
    Case.objects.filter(pk=merged.report.case_id).update(merged_into=target.report.case_id)
    before = everything_stored(skip={"core_auditevent"})

    result = retention.retention_run()

    assert result.cases == 0
    assert everything_stored(skip={"core_auditevent"}) == before
    for word in ("heron", "plover", "osprey", "wren"):
        assert word in before
    assert opens(open_case) and opens(recent) and opens(merged)
    assert not Case.objects.filter(anonymised_at__isnull=False).exists()
    assert not AuditEvent.objects.filter(action="case.anonymise").exists()


def test_the_retention_days_setting_moves_the_cutoff(settings):
    case_with_everything("plover", closed_days_ago=30)
    settings.RETENTION_DAYS = 7
    assert retention.retention_run().cases == 1
    assert "plover" not in everything_stored()


def test_a_second_run_does_nothing():
    case_with_everything("kestrel", closed_days_ago=400)
    assert retention.retention_run().cases == 1
    stamped = list(Case.objects.values_list("pk", "anonymised_at"))
    rows = everything_stored(skip={"core_auditevent"})

    assert retention.retention_run().cases == 0
    assert list(Case.objects.values_list("pk", "anonymised_at")) == stamped
    assert AuditEvent.objects.filter(action="case.anonymise").count() == 1
    assert list(
        AuditEvent.objects.filter(action="retention.run")
        .order_by("seq")
        .values_list("data__anonymised", flat=True)
    ) == [1, 0]
    # Apart from the second run's own audit event, not a byte changed.
    assert everything_stored(skip={"core_auditevent"}) == rows


def test_dry_run_reports_and_changes_nothing():
    case_with_everything("kestrel", closed_days_ago=400)
    case_with_everything("heron")
    before = everything_stored()

    out = StringIO()
    call_command("retention", "--dry-run", stdout=out)

    assert "Would anonymise 1 cases" in out.getvalue()
    assert "content items: 3" in out.getvalue()
    assert everything_stored() == before
    assert not AuditEvent.objects.filter(action__in=["case.anonymise", "retention.run"]).exists()


def test_the_task_runs_retention_and_is_scheduled_daily():
    case_with_everything("kestrel", closed_days_ago=400)
    assert tasks.run_retention.call() == 1
    assert "kestrel" not in everything_stored()
    assert any(
        entry.task == "tellsafe.cases.tasks.run_retention" and entry.every_seconds == 86400
        for entry in ENTRIES
    )
