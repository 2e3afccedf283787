"""Key rotation: every stored ciphertext moves to the new key, and nothing changes."""

import base64
from contextlib import contextmanager
from io import StringIO

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from tellsafe.accounts.models import User
from tellsafe.cases.models import Case, Note
from tellsafe.core import crypto, keys
from tellsafe.core.models import AuditEvent
from tellsafe.core.sessions import SessionStore
from tellsafe.intake import services
from tellsafe.intake.tests.factories import make_report, report_data
from tellsafe.intake.validation import validate_report

pytestmark = pytest.mark.django_db

NEW_KEY = "t2:" + base64.b64encode(b"2" * 32).decode()

# Named here, not taken from keys.targets(), so a column the discovery misses fails.
ENCRYPTED_COLUMNS = {
    ("intake_report", "details"),
    ("intake_report", "contact_value"),
    ("intake_idempotencyrecord", "passphrase"),
    ("intake_feedback", "comment"),
    ("cases_contentitem", "url"),
    ("cases_message", "body"),
    ("cases_note", "body"),
    ("django_session", "session_data"),
}


@pytest.fixture(autouse=True)
def _fresh_keyring():
    crypto.reset_keyring()
    yield
    crypto.reset_keyring()


@contextmanager
def field_keys(value):
    with override_settings(FIELD_KEYS=value):
        crypto.reset_keyring()
        try:
            yield
        finally:
            crypto.reset_keyring()


def make_data():
    """Reports with every kind of encrypted value, and a reporter's session."""
    first = make_report(
        details="Someone keeps messaging me at night.",
        contact={"kind": "email", "value": "child@example.org"},
        urls=["https://social.example/u/one", "https://chat.example/r/two"],
    )
    services.report_add_information(
        report=first.report, text="He wrote again today.", urls=("https://more.example/x",)
    )
    Case.objects.filter(pk=first.report.case_id).update(status="closed")
    services.feedback_give(
        report=first.report, listened=5, understood=4, helped=3, comment="You helped a lot."
    )
    staff = User.objects.create_user(username="counsellor", password="x" * 16)
    Note.objects.create(
        case_id=first.report.case_id,
        author=staff,
        body="Called the school.",
        created_at=timezone.now(),
    )
    services.report_create(
        data=validate_report(report_data(details="A second report, sent through the API.")),
        channel="api",
        idempotency_key="retry-key-1",
    )
    session = SessionStore()
    session["draft"] = {"details": "half-written words"}
    session.create()
    return session.session_key


def dump():
    """Every encrypted value, decrypted, by column and primary key."""
    values = {}
    for target in keys.targets():
        if target.model is Session:
            continue  # a plain text column: decoded below
        rows = target.model._base_manager.values_list("pk", target.field_name)
        values[target.label] = dict(rows)
    values["sessions"] = {
        s.session_key: SessionStore().decode(s.session_data) for s in Session.objects.all()
    }
    return values


def raw_values():
    """Every stored ciphertext, read with SQL so no field code is involved."""
    found = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table, column in sorted(ENCRYPTED_COLUMNS):
            cursor.execute(f"SELECT {quote(column)} FROM {quote(table)}")  # noqa: S608
            found[f"{table}.{column}"] = sorted(row[0] for row in cursor.fetchall() if row[0])
    return found


def test_every_encrypted_column_is_found():
    assert {tuple(t.label.split(".", 1)) for t in keys.targets()} >= ENCRYPTED_COLUMNS


def test_rotation_moves_every_value_to_the_new_key_and_changes_nothing():
    session_key = make_data()
    before = dump()
    old_raw = raw_values()
    assert all(old_raw.values()), "every column should hold a value to rotate"
    assert all(v.startswith("v1.t1.") for vs in old_raw.values() for v in vs)
    old_key = settings.FIELD_KEYS

    with field_keys(f"{NEW_KEY},{old_key}"):
        with pytest.raises(CommandError, match="still use a key"):
            call_command("rotate_keys", "--check", stdout=StringIO())
        out = StringIO()
        call_command("rotate_keys", "--batch-size", "2", stdout=out)
        assert "intake_report.details: 2 re-encrypted" in out.getvalue()
        assert "cases_contentitem.url: 4 re-encrypted" in out.getvalue()
        assert dump() == before
        call_command("rotate_keys", "--check", stdout=StringIO())

    new_raw = raw_values()
    for column, values in new_raw.items():
        assert len(values) == len(old_raw[column]), column
        assert all(v.startswith("v1.t2.") for v in values), column
        assert not set(values) & set(old_raw[column]), column

    # With the old key gone from the ring, everything still reads back the same.
    with field_keys(NEW_KEY):
        assert dump() == before
        assert SessionStore(session_key).load() == {"draft": {"details": "half-written words"}}
        # A second run finds nothing to do and leaves every stored byte alone.
        out = StringIO()
        call_command("rotate_keys", stdout=out)
        assert "Re-encrypted 0 values" in out.getvalue()
        assert raw_values() == new_raw

    events = list(AuditEvent.objects.filter(action="keys.rotate").order_by("seq"))
    assert len(events) == 2
    first, second = (event.data for event in events)
    assert first["new_key"] == "t2" and first["old_keys"] == ["t1"]
    assert first["rewritten"]["intake_report.contact_value"] == 1
    assert first["rewritten"]["django_session.session_data"] == 1
    assert sum(first["rewritten"].values()) == sum(len(v) for v in old_raw.values())
    assert sum(second["rewritten"].values()) == 0 and second["old_keys"] == []
    text = str(first)
    assert "night" not in text and "child@example.org" not in text


def test_a_row_written_under_the_new_key_meanwhile_is_skipped():
    make_report(details="Old words.")
    with field_keys(f"{NEW_KEY},{settings.FIELD_KEYS}"):
        make_report(details="New words.")  # written by a restarted process
        assert keys.stale_counts()["intake_report.details"] == 1
        rotation = keys.rotate()
        assert rotation.rewritten["intake_report.details"] == 1
        assert keys.stale_counts()["intake_report.details"] == 0


def test_a_value_no_key_can_read_is_reported_and_left_alone():
    make_report(details="Written under a key that was lost.")
    orphan = raw_values()["intake_report.details"]
    with field_keys(NEW_KEY), pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_keys", stdout=StringIO())
    assert raw_values()["intake_report.details"] == orphan
