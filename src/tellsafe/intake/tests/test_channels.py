"""Children report and follow up on WhatsApp, SMS, Telegram, email and USSD. Recorded,
correctly signed payloads go in; the tests assert the records made and the replies
sent. Transactional: webhooks hand work to the worker after commit, as in production."""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone

from tellsafe.core import http as outbound_http
from tellsafe.core.models import AuditEvent
from tellsafe.intake import conversations
from tellsafe.intake.demo_channels import ensure_demo_channels
from tellsafe.intake.models import Conversation, InboundMessage, OutboundMessage, Report
from tellsafe.intake.tests import channel_helpers as h
from tellsafe.referrals.models import EmergencyNumber

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def provider():
    ensure_demo_channels()
    fake = h.Provider()
    fake.install()
    yield fake
    outbound_http.set_transport(None)


def say_wa(client, text, **kwargs):
    response = h.wa_post(client, h.wa_text(text, **kwargs))
    assert response.status_code == 200
    h.drain()


def test_whatsapp_verify_handshake(client):
    ok = client.get(
        "/hooks/whatsapp/demo/",
        {
            "hub.mode": "subscribe",
            "hub.verify_token": "demo-verify-token",
            "hub.challenge": "1158201444",
        },
    )
    assert ok.status_code == 200 and ok.content == b"1158201444"
    bad = client.get(
        "/hooks/whatsapp/demo/",
        {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    )
    assert bad.status_code == 403


def test_whatsapp_report_end_to_end(client, provider):
    EmergencyNumber.objects.create(names={"en": "Police"}, number="112")
    say_wa(client, "hi")
    assert "Hello. You can tell us" in provider.texts()[0]
    assert "Who is telling us?" in provider.texts()[1]
    # Labels longer than WhatsApp's 20-character buttons come as numbered lines.
    assert provider.calls[1][1]["type"] == "text"
    assert "1. I am a child or young person" in provider.texts()[1]
    h.wa_post(
        client,
        h.wa_payload(
            {
                "type": "interactive",
                "interactive": {
                    "type": "button_reply",
                    "button_reply": {"id": "child", "title": "I am a child"},
                },
            }
        ),
    )
    h.drain()
    assert "How old are you?" in provider.texts()[-1]
    for answer in ["3", "1 2", "2"]:  # 13-15; asked for pictures + threats; not safe
        say_wa(client, answer)
    assert any("112" in text for text in provider.texts())  # emergency help at once
    say_wa(client, "He says he will post my photos unless I pay.")
    say_wa(client, "insta.example/bad.account")
    say_wa(client, "done")
    say_wa(client, "1")  # yes, message me here
    assert "Send YES" in provider.texts()[-1]
    say_wa(client, "yes")
    report = Report.objects.get()
    assert report.channel == "whatsapp" and report.reporter_kind == "child"
    assert report.age_band == "13_15" and report.safe_now is False
    assert report.case.urgency == "imminent"
    assert report.details == "He says he will post my photos unless I pay."
    assert report.contact_kind == "whatsapp" and report.contact_value == "+919812345678"
    assert report.content_items.get().host == "insta.example"
    assert report.reference in provider.texts()[-1]
    assert OutboundMessage.objects.exclude(status="sent").count() == 0
    # After the report, what the child sends joins the same case.
    say_wa(client, "He wrote again just now, please help.")
    assert report.case.messages.get(direction="in").body == "He wrote again just now, please help."


def test_status_callbacks_update_delivery_state(client, provider):
    say_wa(client, "hi")
    sent = OutboundMessage.objects.order_by("pk").first()
    for state in ["delivered", "sent", "read"]:  # out of order: never goes backwards
        h.wa_post(
            client,
            h.wa_payload(
                statuses=[
                    {
                        "id": sent.provider_id,
                        "status": state,
                        "timestamp": "1764400001",
                        "recipient_id": "919812345678",
                    }
                ]
            ),
        )
    sent.refresh_from_db()
    assert sent.status == "read"


def test_media_is_kept_as_a_fingerprint_only(client):
    say_wa(client, "hi")
    for answer in ["1", "3", "2", "1", "skip"]:
        say_wa(client, answer)
    h.wa_post(
        client,
        h.wa_payload(
            {
                "type": "image",
                "image": {
                    "id": "1234567890",
                    "mime_type": "image/jpeg",
                    "sha256": "c2FtcGxlIGhhc2g=",
                    "caption": "",
                },
            }
        ),
    )
    h.drain()
    conversation = Conversation.objects.get()
    answers = json.loads(conversation.answers)
    assert answers["media"] == [
        {"provider_media_id": "1234567890", "mime": "image/jpeg", "sha256": "c2FtcGxlIGhhc2g="}
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT event FROM intake_inboundmessage")
        assert all(row[0].startswith("v1.") for row in cursor.fetchall())


def test_username_only_whatsapp_user(client, provider):
    say_wa(client, "hi", sender="", user_id="IN.1234567890abcdef")
    _path, body = provider.calls[-1]
    assert body.get("recipient") == "IN.1234567890abcdef" and "to" not in body


@pytest.mark.parametrize("plugin", ["whatsapp", "twilio", "telegram", "email", "ussd"])
def test_bad_signatures_are_refused_and_audited(client, plugin):
    if plugin == "whatsapp":
        response = h.wa_post(client, h.wa_text("hi"), secret_value="not-the-secret")
    elif plugin == "twilio":
        response = h.twilio_post(client, h.sms("hi"), token="not-the-token")
    elif plugin == "telegram":
        response = h.tg_post(client, h.tg_text("hi"), token="wrong")
    elif plugin == "email":
        response = h.email_post(
            client,
            {"message_id": "<a@b>", "from": "x@example.org", "subject": "s", "text": "t"},
            key="wrong",
        )
    else:
        response = h.ussd_post(client, "S1", "", key="wrong")
    assert response.status_code == 403
    assert InboundMessage.objects.count() == 0
    assert AuditEvent.objects.filter(action="webhook.bad_signature").count() == 1
    missing = Client().post(f"/hooks/{plugin}/demo/", "{}", content_type="application/json")
    assert missing.status_code == 403


def test_replays_are_acknowledged_and_processed_once(client, provider):
    payload = h.wa_text("hi")
    for _ in range(3):
        assert h.wa_post(client, payload).status_code == 200
    h.drain()
    assert InboundMessage.objects.count() == 1
    assert len(provider.calls) == 2  # greeting and first question, once


def test_concurrent_duplicates_make_one_record(provider):
    if connection.vendor == "sqlite":
        # Threads share SQLite's one writer; the uniqueness is the same constraint.
        pass
    payload = h.wa_text("hi")
    statuses = []

    def post():
        statuses.append(h.wa_post(Client(), payload).status_code)
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6
    h.drain()
    assert InboundMessage.objects.count() == 1
    assert len(provider.calls) == 2


def test_stop_ends_and_hi_starts_again(client, provider):
    say_wa(client, "hi")
    say_wa(client, "STOP")
    conversation = Conversation.objects.get()
    assert conversation.state == "stopped"
    assert "we have stopped" in provider.texts()[-1].lower()
    say_wa(client, "hi")
    conversation.refresh_from_db()
    assert conversation.state == "active" and conversation.step == "reporter"


def test_resume_after_a_pause_and_gentle_expiry(client, provider):
    say_wa(client, "hi")
    say_wa(client, "1")
    Conversation.objects.update(updated_at=timezone.now() - timedelta(days=10))
    result = conversations.sweep()
    assert result["expired"] == 1
    h.drain()
    assert "Your answers are kept" in provider.texts()[-1]
    say_wa(client, "hello again")
    assert "Welcome back" in provider.texts()[-2] or "Welcome back" in provider.texts()[-1]
    assert "How old are you?" in provider.texts()[-1]
    assert json.loads(Conversation.objects.get().answers)["reporter"] == "child"


def test_language_is_detected_and_can_be_switched(client, provider):
    say_wa(client, "नमस्ते")
    assert Conversation.objects.get().language == "hi"
    say_wa(client, "language")
    assert "English" in provider.texts()[-1]
    say_wa(client, "3")  # Urdu
    conversation = Conversation.objects.get()
    assert conversation.language == "ur"
    assert conversation.step == "reporter"


def test_free_text_escapes_the_menu_to_a_person(client, provider):
    say_wa(client, "hi")
    say_wa(client, "help someone is threatening me")
    report = Report.objects.get()
    assert report.details == "help someone is threatening me"
    assert report.age_band == "unknown"
    assert list(report.categories.values_list("code", flat=True)) == ["other"]
    assert Conversation.objects.get().state == "human"
    assert "A person from our team will read this" in " ".join(provider.texts())


def test_a_counsellor_reply_goes_out_on_whatsapp_with_delivery_state(client, provider):
    from tellsafe.accounts.tests.factories import staff
    from tellsafe.cases import services as case_services

    say_wa(client, "hi")
    say_wa(client, "help someone is threatening me")
    report = Report.objects.get()
    counsellor = staff("counsellor")
    message = case_services.message_send(
        case=report.case, report_id=report.pk, body="We are here. Are you safe?", actor=counsellor
    )
    h.drain()
    assert provider.texts()[-1] == "We are here. Are you safe?"
    delivery = OutboundMessage.objects.get(case_message=message)
    assert delivery.status == "sent"


def test_outside_the_24_hour_window_a_template_or_sms_is_used(client, provider):
    from tellsafe.accounts.tests.factories import staff
    from tellsafe.cases import services as case_services
    from tellsafe.intake.models import ChannelConfig

    say_wa(client, "hi")
    say_wa(client, "help someone is threatening me")
    report = Report.objects.get()
    Conversation.objects.update(last_inbound_at=timezone.now() - timedelta(hours=25))
    counsellor = staff("counsellor")
    case_services.message_send(
        case=report.case, report_id=report.pk, body="Update for you", actor=counsellor
    )
    h.drain()
    path, body = provider.calls[-1]
    assert path.endswith("Messages.json") and body["Body"] == "Update for you"  # SMS
    ChannelConfig.objects.filter(plugin="whatsapp").update(
        settings={**ChannelConfig.objects.get(plugin="whatsapp").settings, "sms_fallback": ""}
    )
    case_services.message_send(
        case=report.case, report_id=report.pk, body="Second update", actor=counsellor
    )
    h.drain()
    path, body = provider.calls[-1]
    assert body["type"] == "template" and body["template"]["name"] == "case_update"


def test_worker_down_then_up_loses_nothing(client, provider):
    for text in ["hi", "1", "3"]:
        assert h.wa_post(client, h.wa_text(text)).status_code == 200
    assert provider.calls == []  # acknowledged, nothing processed yet
    assert InboundMessage.objects.filter(processed_at__isnull=True).count() == 3
    h.drain()  # the worker comes back
    assert InboundMessage.objects.filter(processed_at__isnull=True).count() == 0
    assert json.loads(Conversation.objects.get().answers) == {
        "reporter": "child",
        "age_band": "13_15",
    }


def test_failed_sends_retry_then_show_for_attention(client, provider):
    from django_tasks_db.models import DBTaskResult

    provider.fail_with = 503
    h.wa_post(client, h.wa_text("hi"))
    h.drain()
    outbound = OutboundMessage.objects.order_by("pk").first()
    assert outbound.status == "queued" and outbound.attempts == 1
    retry = DBTaskResult.objects.filter(status="READY").order_by("enqueued_at").first()
    assert retry.run_after > timezone.now()  # backoff
    from tellsafe.intake.tasks import send_outbound

    with pytest.raises(outbound_http.ProviderError):
        send_outbound.call(outbound.pk, attempt=6)
    outbound.refresh_from_db()
    assert outbound.status == "failed" and outbound.error == "http_503"


def test_twilio_sms(client, provider):
    response = h.twilio_post(client, h.sms("hi"))
    assert response.status_code == 200 and b"<Response/>" in response.content
    h.drain()
    path, body = provider.calls[-1]
    assert path.endswith("/Messages.json") and body["To"] == "+919812340000"
    assert "1. I am a child or young person" in body["Body"]  # numbered, no buttons
    last = OutboundMessage.objects.order_by("pk").last()
    status = h.twilio_post(
        client,
        {
            "MessageSid": last.provider_id,
            "MessageStatus": "delivered",
            "AccountSid": h.secret("twilio", "account_sid"),
        },
    )
    assert status.status_code == 200
    last.refresh_from_db()
    assert last.status == "delivered"


def test_telegram_start_and_buttons(client, provider):
    assert h.tg_post(client, h.tg_text("/start")).status_code == 200
    h.drain()
    path, body = provider.calls[-1]
    assert path.endswith("/sendMessage") and body["chat_id"] == "3527065"
    assert body["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "child"
    h.tg_post(client, h.tg_button("child"))
    h.drain()
    assert "How old are you?" in provider.texts()[-1]


def test_email_is_a_report_for_a_person_and_threads_by_address(client):
    response = h.email_post(
        client,
        {
            "message_id": "<m1@example.org>",
            "from": "Parent <Parent@Example.org>",
            "subject": "Worried about my son",
            "text": "A stranger keeps asking my son for photos on a game chat.",
        },
    )
    assert response.status_code == 200
    h.drain()
    report = Report.objects.get()
    assert report.channel == "email" and report.contact_value == "parent@example.org"
    assert report.reference in mail.outbox[-1].subject
    h.email_post(
        client,
        {
            "message_id": "<m2@example.org>",
            "from": "parent@example.org",
            "subject": f"Re: Your report [{report.reference}]",
            "text": "He got another message today.\n> earlier text",
        },
    )
    h.drain()
    assert report.case.messages.get(direction="in").body == "He got another message today."


def test_ussd_menu_on_a_feature_phone(client):
    first = h.ussd_post(client, "S9", "")
    assert first.content.decode().startswith("CON ")
    assert "Who is telling us?" in first.content.decode()
    steps = [
        "1",
        "1*2",
        "1*2*6",
        "1*2*6*1",
        "1*2*6*1*skip",
        "1*2*6*1*skip*done",
        "1*2*6*1*skip*done*2",
        "1*2*6*1*skip*done*2*yes",
    ]
    for text in steps:
        response = h.ussd_post(client, "S9", text)
    body = response.content.decode()
    report = Report.objects.get()
    assert body.startswith("END ") and len(body) <= 186
    assert report.channel == "ussd" and report.age_band == "9_12"
    # The same screen posted again is the same event.
    h.ussd_post(client, "S9", steps[-1])
    assert Report.objects.count() == 1


def test_an_administrator_changes_the_flow_without_a_deployment(client, provider):
    from tellsafe.accounts.tests.factories import login, staff
    from tellsafe.intake.flows.default import DEFAULT_FLOW
    from tellsafe.intake.models import Flow

    admin = staff("administrator", team="")
    login(client, admin)
    bad = client.post("/desk/settings/chat-flow/", {"definition": '{"steps": [{"id": "x"}]}'})
    assert bad.status_code == 400 and b"kind must be one of" in bad.content
    flow = json.loads(json.dumps(DEFAULT_FLOW))
    flow["greeting"] = [{"text": {"en": "Welcome to the helpline.", "hi": "स्वागत है।"}}]
    response = client.post(
        "/desk/settings/chat-flow/", {"definition": json.dumps(flow), "note": "new greeting"}
    )
    assert response.status_code == 302
    assert Flow.objects.filter(active=True).first().note == "new greeting"
    say_wa(Client(), "hi")
    assert provider.texts()[0] == "Welcome to the helpline."


def test_retention_also_anonymises_the_chats_behind_a_case(client):
    from tellsafe.cases import retention
    from tellsafe.cases.models import Case

    say_wa(client, "hi")
    say_wa(client, "help someone is threatening me")
    report = Report.objects.get()
    Case.objects.filter(pk=report.case_id).update(
        status="closed", closed_at=timezone.now() - timedelta(days=400)
    )
    retention.retention_run()
    conversation = Conversation.objects.get()
    assert conversation.contact == "" and conversation.answers == ""
    assert all(m.body == "" and m.to == "" for m in OutboundMessage.objects.all())
    assert all(m.event == "{}" for m in InboundMessage.objects.all())
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_hash FROM intake_conversation")
        assert cursor.fetchone()[0].startswith("anonymised:")


def test_status_keyword_answers_in_the_childs_words(client, provider):
    from tellsafe.intake.tests.factories import make_report

    created = make_report(age_band="9_12")
    say_wa(client, f"STATUS {created.report.reference.lower()} {created.passphrase}")
    assert provider.texts()[-1] == "We got your report."
    say_wa(client, f"status {created.report.reference} WRONG-CODE-HERE")
    assert "do not match" in provider.texts()[-1]


def test_a_failed_delivery_with_the_providers_error_is_shown(client, provider):
    say_wa(client, "hi")
    sent = OutboundMessage.objects.order_by("pk").last()
    h.wa_post(
        client,
        h.wa_payload(
            statuses=[
                {
                    "id": sent.provider_id,
                    "status": "failed",
                    "timestamp": "1764400002",
                    "recipient_id": "919812345678",
                    "errors": [{"code": 131047, "title": "Re-engagement message"}],
                }
            ]
        ),
    )
    sent.refresh_from_db()
    assert (sent.status, sent.error) == ("failed", "131047")
