"""Partner and key services, selectors and the key format."""

from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tellsafe.accounts.tests.factories import staff
from tellsafe.core import audit
from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.partners import auth, keyformat, selectors, services
from tellsafe.partners.models import ApiKey, Partner, Scope
from tellsafe.partners.tests import factories

pytestmark = pytest.mark.django_db

SYSTEM = audit.Actor.system()
KEY_SHAPE = re.compile(r"tsk_([a-z2-7]{8})_([A-Za-z0-9_-]{43})")


def events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


@contextmanager
def raises(code: str, status: int = 422):
    with pytest.raises(ApplicationError) as caught:
        yield caught
    assert caught.value.code == code, caught.value.as_dict()
    assert caught.value.status == status


# --- Partners ----------------------------------------------------------------------------


def test_partner_create_cleans_and_audits():
    partner = services.partner_create(
        name="  Example   Net ", kind="isp", country="in", actor=SYSTEM
    )
    partner.refresh_from_db()
    assert (partner.name, partner.kind, partner.country, partner.active) == (
        "Example Net",
        "isp",
        "IN",
        True,
    )
    assert str(partner) == "Example Net"
    [event] = events("partner.create")
    assert (event.actor_kind, event.object_type, event.object_id) == (
        "system",
        "partner",
        str(partner.pk),
    )
    assert event.data == {"kind": "isp", "country": "IN"}


def test_partner_country_may_be_blank():
    assert services.partner_create(name="Global NGO", kind="ngo", actor=SYSTEM).country == ""


def test_partner_names_are_unique_without_regard_to_case():
    services.partner_create(name="Example Net", kind="isp", actor=SYSTEM)
    with raises("partner_exists", 409) as caught:
        services.partner_create(name="EXAMPLE  net", kind="platform", actor=SYSTEM)
    assert "name" in caught.value.fields
    assert Partner.objects.count() == 1
    assert len(events("partner.create")) == 1


def test_the_database_also_refuses_a_name_differing_only_in_case():
    Partner.objects.create(name="Example Net", kind="isp")
    with pytest.raises(IntegrityError), transaction.atomic():
        Partner.objects.create(name="example net", kind="isp")


def test_partner_create_reports_every_bad_field_at_once():
    with raises("invalid_partner") as caught:
        services.partner_create(name="", kind="bank", country="XX", actor=SYSTEM)
    assert set(caught.value.fields) == {"name", "kind", "country"}
    assert Partner.objects.count() == 0
    assert AuditEvent.objects.count() == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "a" * 201),
        ("name", "bad\x00name"),
        ("name", "right\u202eto left"),
        ("name", 42),
        ("country", "IND"),
        ("country", "UK"),  # not assigned: the code is GB
        ("country", "XK"),  # user-assigned, not ISO
        ("country", ["IN"]),
    ],
)
def test_partner_create_refuses(field, value):
    data = {"name": "Example Net", "kind": "isp", "country": "IN", field: value}
    with raises("invalid_partner") as caught:
        services.partner_create(**data, actor=SYSTEM)
    assert list(caught.value.fields) == [field]


def test_every_partner_kind_is_accepted():
    for number, kind in enumerate(Partner.Kind.values):
        assert services.partner_create(name=f"P{number}", kind=kind, actor=SYSTEM).kind == kind


def test_partner_deactivate_stops_its_keys_and_is_audited():
    partner = factories.partner()
    _, plaintext = factories.api_key(partner)
    user = staff("administrator")
    services.partner_deactivate(partner=partner, actor=user, reason="MoU ended")
    assert Partner.objects.get(pk=partner.pk).active is False
    [event] = events("partner.deactivate")
    assert (event.actor_kind, event.actor_id, event.reason) == ("staff", str(user.pk), "MoU ended")
    with raises("unauthorised", 401):
        auth.authenticate_key(plaintext, now=timezone.now())
    with raises("partner_inactive", 409):
        services.partner_deactivate(partner=partner, actor=SYSTEM, reason="again")
    with raises("partner_inactive", 409):
        services.api_key_create(partner=partner, scopes=["match"], actor=SYSTEM)


def test_partner_deactivate_needs_a_reason():
    partner = factories.partner()
    with raises("invalid_partner") as caught:
        services.partner_deactivate(partner=partner, actor=SYSTEM, reason="  ")
    assert "reason" in caught.value.fields
    assert Partner.objects.get(pk=partner.pk).active is True


# --- Keys --------------------------------------------------------------------------------


def test_a_new_key_is_shown_once_and_only_its_hash_is_stored():
    partner = factories.partner()
    key, plaintext = services.api_key_create(
        partner=partner, label="prod matcher", scopes=["match"], actor=SYSTEM
    )
    match = KEY_SHAPE.fullmatch(plaintext)
    assert match, plaintext
    prefix, secret = match.groups()
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.prefix == prefix
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    row = json.dumps(list(ApiKey.objects.filter(pk=key.pk).values().get().values()), default=str)
    assert secret not in row
    trail = json.dumps(list(AuditEvent.objects.values("data", "reason")), default=str)
    assert secret not in trail
    [event] = events("partner.key_create")
    assert event.object_type == "api_key"
    assert event.object_id == str(key.pk)
    assert event.data["prefix"] == prefix
    assert event.data["partner"] == partner.pk
    assert event.data["scopes"] == ["match"]
    assert str(stored) == f"api key {prefix}"
    assert secret not in str(stored)


def test_keys_are_distinct():
    partner = factories.partner()
    made = [factories.api_key(partner) for _ in range(20)]
    assert len({key.prefix for key, _ in made}) == 20
    assert len({text for _, text in made}) == 20


def test_scopes_are_deduplicated_and_ordered():
    key, _ = factories.api_key(scopes=["banks:read", "match", "banks:read"])
    assert ApiKey.objects.get(pk=key.pk).scopes == ["match", "banks:read"]
    assert key.has_scope(Scope.MATCH) and not key.has_scope(Scope.HASHES_COMPUTE)


@pytest.mark.parametrize("scopes", [[], ["match", "delete"], "match", None, [1]])
def test_bad_scopes_are_refused(scopes):
    with raises("invalid_key") as caught:
        services.api_key_create(partner=factories.partner(), scopes=scopes, actor=SYSTEM)
    assert list(caught.value.fields) == ["scopes"]
    assert ApiKey.objects.count() == 0


def test_the_rate_limit_defaults_to_600_or_the_setting(settings):
    if hasattr(settings, "PARTNER_API_REQUESTS_PER_MINUTE"):
        del settings.PARTNER_API_REQUESTS_PER_MINUTE
    assert factories.api_key()[0].requests_per_minute == 600
    settings.PARTNER_API_REQUESTS_PER_MINUTE = 120
    assert factories.api_key()[0].requests_per_minute == 120
    assert factories.api_key(requests_per_minute=5)[0].requests_per_minute == 5


@pytest.mark.parametrize("value", [0, -1, 60_001, True, "5", 1.5])
def test_bad_rate_limits_are_refused(value):
    with raises("invalid_key") as caught:
        factories.api_key(requests_per_minute=value)
    assert list(caught.value.fields) == ["requests_per_minute"]


def test_the_database_refuses_a_zero_rate_limit():
    key, _ = factories.api_key()
    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.filter(pk=key.pk).update(requests_per_minute=0)


@pytest.mark.parametrize(
    "expires_at",
    [
        datetime(2030, 1, 1),  # naive
        datetime(2000, 1, 1, tzinfo=UTC),
        "2030-01-01",
    ],
)
def test_bad_expiry_is_refused(expires_at):
    with raises("invalid_key") as caught:
        services.api_key_create(
            partner=factories.partner(), scopes=["match"], expires_at=expires_at, actor=SYSTEM
        )
    assert list(caught.value.fields) == ["expires_at"]


def test_key_create_reports_every_bad_field_at_once():
    with raises("invalid_key") as caught:
        services.api_key_create(
            partner=factories.partner(),
            label="x" * 101,
            scopes=[],
            expires_at=timezone.now() - timedelta(days=1),
            requests_per_minute=0,
            actor=SYSTEM,
        )
    assert set(caught.value.fields) == {"label", "scopes", "expires_at", "requests_per_minute"}


def test_a_key_made_by_staff_records_them():
    user = staff("administrator")
    key, _ = services.api_key_create(
        partner=factories.partner(),
        scopes=["banks:read"],
        expires_at=timezone.now() + timedelta(days=30),
        actor=user,
    )
    assert ApiKey.objects.get(pk=key.pk).created_by_id == user.pk
    [event] = events("partner.key_create")
    assert (event.actor_kind, event.actor_id) == ("staff", str(user.pk))


def test_services_refuse_an_unknown_kind_of_actor():
    with pytest.raises(TypeError):
        services.partner_create(name="X", kind="isp", actor="someone")


def test_revoke_is_final_and_audited():
    key, plaintext = factories.api_key()
    services.api_key_revoke(key=key, actor=SYSTEM, reason="leaked in a ticket")
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    [event] = events("partner.key_revoke")
    assert event.reason == "leaked in a ticket"
    assert event.data == {"partner": key.partner_id, "prefix": key.prefix}
    with raises("unauthorised", 401):
        auth.authenticate_key(plaintext, now=timezone.now())
    with raises("key_revoked", 409):
        services.api_key_revoke(key=key, actor=SYSTEM, reason="again")
    assert len(events("partner.key_revoke")) == 1


def test_revoke_needs_a_reason():
    key, _ = factories.api_key()
    with raises("invalid_key") as caught:
        services.api_key_revoke(key=key, actor=SYSTEM, reason="")
    assert list(caught.value.fields) == ["reason"]
    assert ApiKey.objects.get(pk=key.pk).revoked_at is None


def test_mark_used_writes_once_a_minute_even_from_a_stale_copy():
    key, _ = factories.api_key()
    now = timezone.now()
    stale = ApiKey.objects.get(pk=key.pk)
    assert services.api_key_mark_used(key=key, now=now) is True
    assert services.api_key_mark_used(key=key, now=now + timedelta(seconds=30)) is False
    # Another process's copy still says "never used"; the database says otherwise.
    assert services.api_key_mark_used(key=stale, now=now + timedelta(seconds=30)) is False
    assert ApiKey.objects.get(pk=key.pk).last_used_at == now
    assert services.api_key_mark_used(key=key, now=now + timedelta(seconds=60)) is True


# --- Selectors ---------------------------------------------------------------------------


def test_partner_by_name():
    partner = factories.partner(name="Example Net")
    assert selectors.partner_by_name("example   NET") == partner
    assert selectors.partner_by_name("Example") is None
    assert selectors.partner_by_name("  ") is None
    assert selectors.partner_by_name(None) is None  # type: ignore[arg-type]


def test_active_keys_are_the_usable_ones_newest_first():
    partner = factories.partner()
    now = timezone.now()
    old, _ = factories.api_key(partner, created_at=now - timedelta(days=2))
    new, _ = factories.api_key(partner, created_at=now - timedelta(days=1))
    factories.api_key(partner, revoked_at=now)
    factories.api_key(partner, expires_at=now - timedelta(seconds=1))
    later, _ = factories.api_key(partner, expires_at=now + timedelta(days=1), created_at=now)
    factories.api_key()  # another partner's
    assert list(selectors.active_keys(partner, now=now)) == [later, new, old]


def test_partners_count_usable_keys_in_one_query():
    first = factories.partner(name="B partner")
    factories.partner(name="A partner")
    factories.api_key(first)
    factories.api_key(first)
    factories.api_key(first, revoked_at=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        rows = [(p.name, p.usable_keys) for p in selectors.partners()]
    assert rows == [("A partner", 0), ("B partner", 2)]
    assert len(queries) == 1


def test_api_key_by_prefix():
    key, plaintext = factories.api_key()
    assert selectors.api_key_by_prefix(key.prefix) == key
    assert selectors.api_key_by_prefix(f"TSK_{key.prefix.upper()}") == key
    assert selectors.api_key_by_prefix("abcd") is None
    assert selectors.api_key_by_prefix(plaintext) is None  # the whole key is not a prefix


def test_api_keys_lists_all_with_partners_in_one_query():
    partner = factories.partner()
    factories.api_key(partner)
    factories.api_key(partner, revoked_at=timezone.now())
    factories.api_key()
    with CaptureQueriesContext(connection) as queries:
        names = [key.partner.name for key in selectors.api_keys()]
    assert len(names) == 3
    assert len(queries) == 1
    assert selectors.api_keys(partner).count() == 2


# --- Key format --------------------------------------------------------------------------


def test_parse_accepts_only_the_exact_shape():
    prefix, secret = keyformat.new_prefix(), keyformat.new_secret()
    text = keyformat.assemble(prefix, secret)
    assert keyformat.parse(text) == (prefix, secret)
    for bad in (text + "\n", " " + text, text[:-1], text.upper(), text.replace("_", "-", 1)):
        assert keyformat.parse(bad) is None
    assert len(prefix) == 8 and len(secret) == 43
