"""Each transport delivers, fails, and recovers; every attempt is on the timeline and in
the audit log, and the notice goes to a person after the last failure."""

from __future__ import annotations

import smtplib
from datetime import timedelta

import httpx
import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tellsafe.core.models import AuditEvent
from tellsafe.routing.notices import delivery, tasks, transports
from tellsafe.routing.notices.models import Attention, Notice, NoticeEvent
from tellsafe.routing.notices.transports import DeliveryError, Transport, _check_names
from tellsafe.routing.tests.notices import factories as f
from tellsafe.routing.tests.notices.factories import T0

pytestmark = pytest.mark.django_db


def _events(notice, kind):
    return list(NoticeEvent.objects.filter(notice=notice, kind=kind).order_by("id"))


def _audited(notice, action):
    return AuditEvent.objects.filter(
        object_type="notice", object_id=str(notice.pk), action=action
    ).count()


def test_registry_has_the_three_transports_and_refuses_duplicates():
    assert set(transports.registry()) == {"email", "webhook", "api_pull"}

    class Twin(Transport):
        name = "email"

    with pytest.raises(RuntimeError):
        _check_names((*transports.registry().values(), Twin()))


def test_email_fails_then_recovers(flaky_mail):
    notice = f.notice(to=f.partner("email", email="abuse@isp.example"))
    flaky_mail.failures = 2
    for attempt in (1, 2):
        with pytest.raises(delivery.DeliveryRetry):
            delivery.notice_deliver(notice_id=notice.pk, now=T0 + timedelta(minutes=attempt))
    assert Notice.objects.get(pk=notice.pk).status == "queued"
    assert (
        delivery.notice_deliver(notice_id=notice.pk, now=T0 + timedelta(minutes=5)) == "delivered"
    )
    sent = Notice.objects.get(pk=notice.pk)
    assert sent.status == "sent" and sent.sent_at == T0 + timedelta(minutes=5)
    assert sent.delivery_attempts == 3
    failed = _events(notice, "delivery_failed")
    assert [(e.attempt, e.code) for e in failed] == [(1, "smtp_OSError"), (2, "smtp_OSError")]
    assert _events(notice, "delivered")[0].attempt == 3
    assert (
        _audited(notice, "notice.deliver_failed") == 2 and _audited(notice, "notice.deliver") == 1
    )
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["abuse@isp.example"]
    assert message.subject == f"Takedown notice {notice.reference}"
    assert message.extra_headers["X-Tellsafe-Notice"] == notice.reference
    # delivering again is a no-op: the notice is no longer queued
    assert delivery.notice_deliver(notice_id=notice.pk, now=T0 + timedelta(hours=1)) == "skipped"
    assert len(mail.outbox) == 1


def test_email_refused_recipient_goes_to_a_person_at_once(flaky_mail):
    notice = f.notice(to=f.partner("email"))
    flaky_mail.failures = 1
    flaky_mail.error = smtplib.SMTPRecipientsRefused({"abuse@net.example": (550, b"no")})
    assert delivery.notice_deliver(notice_id=notice.pk, now=T0) == "failed"
    flagged = Notice.objects.get(pk=notice.pk)
    assert flagged.status == "queued" and flagged.attention == Attention.DELIVERY_FAILED
    assert [e.code for e in _events(notice, "attention")] == ["delivery_failed"]
    assert delivery.notice_deliver(notice_id=notice.pk, now=T0) == "skipped"


def test_webhook_signs_fails_then_recovers(server):
    notice = f.notice(to=f.partner("webhook"))
    server.statuses = [503, httpx.ConnectError("refused"), 429, 202]
    codes = []
    for minute in range(3):
        with pytest.raises(delivery.DeliveryRetry) as caught:
            delivery.notice_deliver(notice_id=notice.pk, now=T0 + timedelta(minutes=minute))
        codes.append(caught.value.code)
    assert codes == ["http_503", "network_error", "http_429"]
    assert (
        delivery.notice_deliver(notice_id=notice.pk, now=T0 + timedelta(minutes=9)) == "delivered"
    )
    assert len(server.requests) == 4
    last = server.requests[-1]
    assert last.method == "POST"
    # pinned to the checked public address, with the name in Host and SNI
    assert last.url.host == f.PARTNER_ADDRESS and last.headers["Host"] == "hooks.partner.example"
    assert last.extensions["sni_hostname"] == "hooks.partner.example"
    assert f.PartnerServer.signature_valid(last)
    assert not f.PartnerServer.signature_valid(last, secret="another secret of forty chars....")
    keys = {r.headers["Idempotency-Key"] for r in server.requests}
    assert keys == {f"{notice.reference}:notice:0"}  # retries carry the same key
    assert _events(notice, "delivered")[0].data["provider_id"] == "req-4"


@pytest.mark.parametrize("status", [400, 401, 404, 301])
def test_webhook_permanent_answers_go_to_a_person(server, status):
    notice = f.notice(to=f.partner("webhook"))
    server.statuses = [status]
    assert delivery.notice_deliver(notice_id=notice.pk, now=T0) == "failed"
    assert Notice.objects.get(pk=notice.pk).attention == Attention.DELIVERY_FAILED
    assert _events(notice, "delivery_failed")[0].code == f"http_{status}"


def test_webhook_to_a_name_pointing_inside_is_refused(server):
    to = f.partner("webhook")
    from tellsafe.routing.notices.models import PartnerNoticeSettings

    PartnerNoticeSettings.objects.filter(partner=to).update(
        webhook_url="https://sneaky.example.net/hook"
    )
    notice = f.notice(to=to)
    assert delivery.notice_deliver(notice_id=notice.pk, now=T0) == "failed"
    assert _events(notice, "delivery_failed")[0].code == "target_private_address"
    assert server.requests == []  # nothing was sent anywhere


def test_api_pull_is_available_at_once():
    notice = f.notice(to=f.partner("api_pull"))
    assert delivery.notice_deliver(notice_id=notice.pk, now=T0) == "delivered"
    sent = Notice.objects.get(pk=notice.pk)
    assert sent.status == "sent" and sent.sent_at == T0
    assert _events(notice, "delivered")[0].data["pulled"] is True


def test_api_pull_fails_then_recovers(monkeypatch):
    notice = f.notice(to=f.partner("api_pull"))
    plugin = transports.get("api_pull")
    original = plugin.deliver
    calls = {"n": 0}

    def flaky(config, message):
        calls["n"] += 1
        if calls["n"] == 1:
            raise DeliveryError("database_busy")
        return original(config, message)

    monkeypatch.setattr(plugin, "deliver", flaky)
    with pytest.raises(delivery.DeliveryRetry):
        delivery.notice_deliver(notice_id=notice.pk, now=T0)
    assert (
        delivery.notice_deliver(notice_id=notice.pk, now=T0 + timedelta(minutes=1)) == "delivered"
    )
    assert [e.code for e in _events(notice, "delivery_failed")] == ["database_busy"]


def test_a_fault_inside_a_transport_is_recorded_and_retried(monkeypatch):
    notice = f.notice(to=f.partner("api_pull"))

    def broken(config, message):
        raise KeyError("bug")

    monkeypatch.setattr(transports.get("api_pull"), "deliver", broken)
    with pytest.raises(delivery.DeliveryRetry) as caught:
        delivery.notice_deliver(notice_id=notice.pk, now=T0)
    assert caught.value.code == "error_KeyError"


def test_task_retries_with_backoff_then_flags_after_the_last_attempt(server):
    notice = f.notice(to=f.partner("webhook"))
    server.statuses = [500] * delivery.DELIVERY_ATTEMPTS
    before = timezone.now()
    assert tasks.deliver_notice.call(notice.pk) == {"retry_scheduled": 2}
    retry = DBTaskResult.objects.get(task_path__endswith="tasks.deliver_notice")
    assert retry.args_kwargs == {"args": [notice.pk], "kwargs": {"attempt": 2}}
    delay = (retry.run_after - before).total_seconds()
    assert delivery.BACKOFF_BASE_SECONDS - 1 <= delay <= delivery.BACKOFF_BASE_SECONDS + 30
    for attempt in range(2, delivery.DELIVERY_ATTEMPTS):
        assert tasks.deliver_notice.call(notice.pk, attempt=attempt) == {
            "retry_scheduled": attempt + 1
        }
    later = DBTaskResult.objects.filter(task_path__endswith="tasks.deliver_notice").order_by(
        "run_after"
    )
    gaps = [(r.run_after - before).total_seconds() for r in later]
    assert gaps == sorted(gaps) and gaps[-1] >= 60 * 2**4 - 1  # 1, 2, 4, 8, 16 minutes
    with pytest.raises(delivery.DeliveryRetry):  # the last attempt ends the task FAILED
        tasks.deliver_notice.call(notice.pk, attempt=delivery.DELIVERY_ATTEMPTS)
    flagged = Notice.objects.get(pk=notice.pk)
    assert flagged.attention == Attention.DELIVERY_FAILED
    assert flagged.delivery_attempts == delivery.DELIVERY_ATTEMPTS
    assert len(_events(notice, "delivery_failed")) == delivery.DELIVERY_ATTEMPTS


def test_a_person_resends_after_fixing_the_settings(server, django_capture_on_commit_callbacks):
    from tellsafe.routing.notices import services

    notice = f.notice(to=f.partner("webhook"))
    server.statuses = [410]
    assert delivery.notice_deliver(notice_id=notice.pk, now=T0) == "failed"
    with django_capture_on_commit_callbacks(execute=True):
        again = services.notice_send(notice=notice, actor=f.STAFF, now=T0 + timedelta(hours=1))
    assert again.attention == "" and again.delivery_attempts == 0
    assert delivery.notice_deliver(notice_id=notice.pk, now=T0 + timedelta(hours=1)) == "delivered"


def test_a_partner_that_changes_transport_gets_its_open_notices_there(server):
    from tellsafe.routing.notices import partner_settings

    to = f.partner("email")
    notice = f.sent_notice(to=to)
    f.notices_key(to)
    partner_settings.notice_settings_save(partner=to, transport="api_pull", actor=f.STAFF)
    mail.outbox.clear()
    assert delivery.send_due_reminders(now=T0 + timedelta(hours=24)) == {"reminded": 1}
    assert mail.outbox == []  # pulled now, not mailed
    assert Notice.objects.get(pk=notice.pk).transport == "api_pull"


def test_logs_carry_ids_and_codes_only(server, caplog):
    import json as jsonlib
    import logging

    from tellsafe.core.logging import JsonFormatter, ScrubFilter

    caplog.set_level(logging.INFO)
    notice = f.notice(
        f.url_item("https://files.example.net/secret-path-zq7.jpg"), f.partner("webhook")
    )
    server.statuses = [503]
    with pytest.raises(delivery.DeliveryRetry):
        delivery.notice_deliver(notice_id=notice.pk, now=T0)
    delivery.notice_deliver(notice_id=notice.pk, now=T0 + timedelta(minutes=1))
    delivery.send_due_reminders(now=T0 + timedelta(hours=24))
    formatter, scrub = JsonFormatter(), ScrubFilter()
    lines = []
    for record in caplog.records:
        scrub.filter(record)
        lines.append(formatter.format(record))
    text = "\n".join(lines)
    assert "notice delivery failed" in text and "http_503" in text
    assert "secret-path-zq7" not in text and "hooks.partner.example" not in text
    assert notice.reference not in text
    assert all(isinstance(jsonlib.loads(line), dict) for line in lines)


def test_a_queue_that_is_down_loses_nothing(monkeypatch, django_capture_on_commit_callbacks):
    from tellsafe.routing.notices import tasks as notice_tasks

    item, to = f.url_item(), f.partner("email")

    class Down:
        def enqueue(self, *args, **kwargs):
            raise ConnectionError("queue down")

    monkeypatch.setattr(notice_tasks, "deliver_notice", Down())
    with django_capture_on_commit_callbacks(execute=True):
        notice = f.notice(item, to, now=T0)  # committed; no 500 for the caller
    assert Notice.objects.get(pk=notice.pk).status == "queued"
    monkeypatch.undo()
    assert delivery.requeue_stalled(now=T0 + timedelta(minutes=59)) == 0
    assert delivery.requeue_stalled(now=T0 + timedelta(hours=1)) == 1
    queued = DBTaskResult.objects.filter(task_path__endswith="tasks.deliver_notice")
    assert [r.args_kwargs["args"] for r in queued] == [[notice.pk]]
    assert delivery.requeue_stalled(now=T0 + timedelta(hours=1, minutes=5)) == 0  # claimed
    assert delivery.notice_deliver(notice_id=notice.pk, now=T0 + timedelta(hours=1)) == "delivered"
    assert delivery.requeue_stalled(now=T0 + timedelta(hours=9)) == 0
