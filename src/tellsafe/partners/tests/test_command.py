"""``tellsafe partner``: partners and keys from the command line."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from tellsafe.core.models import AuditEvent
from tellsafe.partners import auth, keyformat
from tellsafe.partners.models import ApiKey, Partner
from tellsafe.partners.tests import factories

pytestmark = pytest.mark.django_db

KEY_LINE = re.compile(r"tsk_[a-z2-7]{8}_[A-Za-z0-9_-]{43}")


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("partner", *args, stdout=out)
    return out.getvalue()


def fails(*args: str) -> str:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return str(caught.value)


def test_add_then_list():
    assert run("add", "Example Net", "--kind", "isp", "--country", "in") == (
        'Added partner "Example Net" (isp, IN).\n'
    )
    run("add", "Child Helpline", "--kind", "hotline")
    factories.api_key(Partner.objects.get(name="Example Net"))
    lines = run("list").splitlines()
    assert lines[0].split() == ["NAME", "KIND", "COUNTRY", "ACTIVE", "KEYS"]
    assert lines[1].split() == ["Child", "Helpline", "hotline", "-", "yes", "0"]
    assert lines[2].split() == ["Example", "Net", "isp", "IN", "yes", "1"]
    [event] = AuditEvent.objects.filter(action="partner.create", data__kind="isp")
    assert (event.actor_kind, event.actor_id) == ("system", "cli")


def test_list_with_no_partners_says_how_to_add_one():
    assert "tellsafe partner add" in run("list")


def test_add_errors_are_clear():
    run("add", "Example Net", "--kind", "isp")
    assert "already exists" in fails("add", "EXAMPLE NET", "--kind", "isp")
    message = fails("add", "Other", "--kind", "isp", "--country", "ZZ")
    assert "country: Not an ISO 3166-1 alpha-2 country code" in message
    assert "invalid choice" in fails("add", "Other", "--kind", "bank")


def test_key_create_prints_the_key_once_and_it_works():
    partner = factories.partner(name="Example Net")
    out = run(
        "key-create", "example net", "--scope", "match", "--scope", "banks:read",
        "--label", "prod matcher", "--expires", "2099-12-31", "--per-minute", "120",
    )  # fmt: skip
    [plaintext] = KEY_LINE.findall(out)
    assert "not stored" in out
    key = ApiKey.objects.get(partner=partner)
    assert out.startswith(f'Created key {key.prefix} for "Example Net": scopes match, banks:read')
    assert "120 requests a minute" in out
    assert "expires 2099-12-31 00:00 UTC" in out
    assert key.scopes == ["match", "banks:read"]
    assert key.label == "prod matcher"
    assert key.expires_at == datetime(2099, 12, 31, tzinfo=UTC)
    assert key.requests_per_minute == 120
    assert key.created_by is None
    assert auth.authenticate_key(plaintext, now=timezone.now()) == key
    # The listing names the key but never shows the secret.
    listing = run("keys", "Example Net")
    assert key.prefix in listing
    assert keyformat.parse(plaintext).secret not in listing


def test_key_create_accepts_a_time_with_an_offset():
    factories.partner(name="Example Net")
    run(
        "key-create", "Example Net", "--scope", "match", "--expires", "2099-06-30T18:00+05:30"
    )  # fmt: skip
    assert ApiKey.objects.get().expires_at == datetime(2099, 6, 30, 12, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["Nobody", "--scope", "match"], "No partner is named 'Nobody'"),
        (["Example Net", "--scope", "delete"], "invalid choice"),
        (["Example Net"], "--scope"),
        (["Example Net", "--scope", "match", "--expires", "soon"], "is not a date"),
        (["Example Net", "--scope", "match", "--expires", "2099-01-01T10:00"], "UTC offset"),
        (["Example Net", "--scope", "match", "--expires", "2001-01-01"], "Must be in the future"),
        (["Example Net", "--scope", "match", "--per-minute", "many"], "whole number"),
        (["Example Net", "--scope", "match", "--per-minute", "0"], "requests_per_minute"),
        (["Example Net", "--scope", "match", "--label", "x" * 101], "label: At most 100"),
    ],
)
def test_key_create_errors(args, words):
    factories.partner(name="Example Net")
    assert words in fails("key-create", *args)
    assert ApiKey.objects.count() == 0


def test_key_create_for_an_inactive_partner_is_refused():
    factories.partner(name="Example Net", active=False)
    assert "inactive" in fails("key-create", "Example Net", "--scope", "match")


def test_keys_lists_every_key_without_secrets():
    first = factories.partner(name="First")
    second = factories.partner(name="Second")
    used, used_text = factories.api_key(
        first, label="used", last_used_at=datetime(2030, 5, 6, 7, 8, tzinfo=UTC)
    )
    revoked, revoked_text = factories.api_key(
        second, scopes=["match"], revoked_at=datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    )
    lines = run("keys").splitlines()
    assert lines[0].split() == [
        "PREFIX", "PARTNER", "LABEL", "SCOPES", "CREATED", "LAST", "USED", "EXPIRES", "REVOKED",
    ]  # fmt: skip
    text = "\n".join(lines)
    assert "2030-05-06 07:08 UTC" in text
    assert "2030-01-02 03:04 UTC" in text
    for plaintext in (used_text, revoked_text):
        assert keyformat.parse(plaintext).secret not in text
    only_first = run("keys", "First")
    assert used.prefix in only_first and revoked.prefix not in only_first
    assert "hashes:compute,match,banks:read" in only_first
    assert run("keys", "Second").count("\n") == 2
    assert "No partner is named" in fails("keys", "Third")


def test_keys_with_none_says_so():
    factories.partner(name="First")
    assert run("keys", "First") == "No keys.\n"


def test_key_revoke():
    key, _ = factories.api_key(factories.partner(name="Example Net"))
    out = run("key-revoke", f"tsk_{key.prefix}", "--reason", "rotated")
    assert out == f'Revoked key {key.prefix} of "Example Net".\n'
    key.refresh_from_db()
    assert key.revoked_at is not None
    event = AuditEvent.objects.get(action="partner.key_revoke")
    assert (event.reason, event.actor_id) == ("rotated", "cli")
    assert "already revoked" in fails("key-revoke", key.prefix, "--reason", "again")
    assert "No API key has the prefix" in fails("key-revoke", "zzzz2222", "--reason", "x")
    assert "--reason" in fails("key-revoke", key.prefix)


def test_key_revoke_needs_a_reason_with_words():
    key, _ = factories.api_key()
    assert "reason: Required." in fails("key-revoke", key.prefix, "--reason", "   ")
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_deactivate():
    partner = factories.partner(name="Example Net")
    out = run("deactivate", "Example Net", "--reason", "MoU ended")
    assert "none of its keys work" in out
    assert Partner.objects.get(pk=partner.pk).active is False
    assert "already inactive" in fails("deactivate", "Example Net", "--reason", "again")
    assert "no" in run("list").splitlines()[1].split()


def test_the_console_script_prints_errors_without_a_traceback():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tellsafe.config.settings_test"}
    result = subprocess.run(
        [sys.executable, "-m", "tellsafe.cli", "partner", "key-create", "X", "--scope", "all"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "invalid choice: 'all'" in result.stderr
    assert "Traceback" not in result.stderr
