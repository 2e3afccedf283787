"""How partners receive notices: validated settings, encrypted contacts and secret, and
the start-up checks of the plugins."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.db import connection

from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.partners.tests.factories import partner as bare_partner
from tellsafe.routing.notices import checks, partner_settings
from tellsafe.routing.notices.models import PartnerNoticeSettings
from tellsafe.routing.tests.notices import factories as f

pytestmark = pytest.mark.django_db


def _save(**kw):
    return partner_settings.notice_settings_save(
        partner=kw.pop("partner", None) or bare_partner(), actor=f.STAFF, **kw
    )


def test_webhook_gets_a_new_secret_once_stored_encrypted():
    config, secret = _save(transport="webhook", webhook_url="https://hooks.partner.example/n")
    assert len(secret) >= 40
    assert PartnerNoticeSettings.objects.get(pk=config.pk).webhook_secret == secret
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT webhook_secret FROM {PartnerNoticeSettings._meta.db_table} WHERE id = %s",  # noqa: S608
            [config.pk],
        )
        stored = cursor.fetchone()[0]
    assert secret not in stored and stored.startswith("v1.")
    # saving again keeps the secret and shows none
    again, shown = _save(
        partner=config.partner, transport="webhook", webhook_url="https://hooks.partner.example/n"
    )
    assert shown == "" and again.webhook_secret == secret
    saved = AuditEvent.objects.filter(action="notice.settings_save").last()
    assert secret not in str(saved.data) and "hooks.partner" not in str(saved.data)


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"transport": "carrier_pigeon"}, "transport"),
        ({"transport": "email"}, "email"),
        ({"transport": "email", "email": "not-an-address"}, "email"),
        (
            {"transport": "email", "email": "a@b.example", "escalation_email": "x"},
            "escalation_email",
        ),
        ({"transport": "email", "email": "a@b.example", "mou_email": "@"}, "mou_email"),
        ({"transport": "webhook", "webhook_url": "http://hooks.partner.example/n"}, "webhook_url"),
        ({"transport": "webhook", "webhook_url": "https://10.0.0.1/n"}, "webhook_url"),
        ({"transport": "webhook", "webhook_url": "https://localhost/n"}, "webhook_url"),
        (
            {
                "transport": "webhook",
                "webhook_url": "https://h.example/",
                "webhook_secret": "short",
            },
            "webhook_secret",
        ),
        ({"transport": "api_pull"}, "transport"),  # no key with the notices scope
        ({"transport": "email", "email": 5}, "email"),
    ],
)
def test_settings_are_validated(settings, field):
    with pytest.raises(ApplicationError) as caught:
        _save(**settings)
    assert caught.value.code == "invalid_settings"
    assert field in caught.value.fields
    assert not PartnerNoticeSettings.objects.exists()


def test_api_pull_needs_a_key_with_the_scope():
    owner = bare_partner()
    f.notices_key(owner)
    config, _ = _save(partner=owner, transport="api_pull", escalation_email="boss@isp.example")
    assert config.transport == "api_pull" and config.escalation_email == "boss@isp.example"


def test_start_up_checks_pass_and_catch_bad_settings(settings):
    assert checks.notice_plugins(None) == []
    call_command("check")
    settings.NOTICE_HTTP_HEAD_CHECKS = "yes"
    settings.NOTICE_LEGAL_REFERENCES = ["national"]
    ids = sorted(error.id for error in checks.notice_plugins(None))
    assert ids == ["tellsafe.E102", "tellsafe.E103"]
    with pytest.raises(SystemCheckError):
        call_command("check")


def test_legal_references_come_from_the_setting(settings):
    settings.NOTICE_LEGAL_REFERENCES = {"national": "Information Technology Act 2000, s. 67B"}
    notice = f.notice(legal_basis="national")
    assert notice.basis_reference == "Information Technology Act 2000, s. 67B"
    assert f.notice(legal_basis="baseline").basis_reference.startswith("INTERPOL Baseline")
