"""The terminal simulator (``tellsafe simulate``) against the real application, in
process: the simulator's signed payloads go over HTTP to a live server, the worker runs
here, and the simulator's provider double receives what the server sends out."""

from __future__ import annotations

import io

import httpx
import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from tellsafe.core import http as outbound_http
from tellsafe.core.models import AuditEvent
from tellsafe.intake import simulator as sim
from tellsafe.intake.demo_channels import DEMO_CHANNELS, ensure_demo_channels
from tellsafe.intake.models import ChannelConfig, InboundMessage, OutboundMessage, Report
from tellsafe.intake.tests.channel_helpers import drain

live = pytest.mark.django_db(transaction=True)

# A whole report, typed as a child would on a channel without buttons: "who" (child),
# age 13-15, asked for pictures + threatened, safe now, what happened, a link, done,
# "message me here", and YES.
DETAILS = "He says he will post my photos unless I pay."
TYPED_REPORT = [
    "hi",
    "1",
    "3",
    "1 2",
    "1",
    DETAILS,
    "insta.example/bad.account",
    "done",
    "1",
    "yes",
]


def demo_credentials() -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for plugin in ("whatsapp", "twilio", "telegram"):
        found.update(sim.credentials_for(sim.demo_channel(plugin)))
    return found


@pytest.fixture
def double():
    outbound_http.set_transport(None)  # the real HTTP client, to the double on loopback
    provider = sim.ProviderDouble(0, credentials=demo_credentials(), status_delay=None)
    provider.start()
    yield provider
    provider.stop()


@pytest.fixture
def server(live_server, double):
    """The live server, with the demo channels sending to this test's double."""
    ensure_demo_channels()
    for config in ChannelConfig.objects.filter(slug="demo"):
        if "api_base" in config.settings:
            config.settings = {**config.settings, "api_base": double.url}
            config.save(update_fields=["settings"])
    return live_server.url


@pytest.fixture
def chat(server, double):
    made: list[sim.Simulator] = []

    def make(kind: str, **kwargs) -> sim.Simulator:
        printed: list[str] = []
        simulator = sim.Simulator(kind, url=server, out=printed.append, **kwargs)
        simulator.printed = printed  # type: ignore[attr-defined]
        simulator.attach(double)
        made.append(simulator)
        return simulator

    yield make
    for simulator in made:
        simulator.close()


def turn(simulator: sim.Simulator, double: sim.ProviderDouble, line: str) -> list[sim.Received]:
    """Send one line, let the worker run, and return what reached the provider double."""
    before = len(double.received())
    answer = simulator.send(line)
    assert answer is not None and answer.status_code == 200, answer and answer.text
    drain()
    return double.received()[before:]


def tap(simulator, double, label_start: str) -> list[sim.Received]:
    """Tap the button of the last message whose label starts with ``label_start``."""
    buttons = double.received()[-1].buttons
    chosen = [bid for bid, title in buttons if title.startswith(label_start)]
    assert chosen, f"no button {label_start!r} in {buttons}"
    return turn(simulator, double, f"/button {chosen[0]}")


# --- loopback only ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://localhost:8000/",
        "http://127.4.5.6:9000",
        "http://[::1]:8000",
        "https://LOCALHOST",
    ],
)
def test_loopback_urls_are_accepted(url):
    assert sim.require_loopback(url) == url.rstrip("/")


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.5:8000",
        "http://192.168.1.10:8000",
        "https://tellsafe.example.org",
        "http://0.0.0.0:8000",
        "http://127.0.0.1.nip.io:8000",
        "ftp://127.0.0.1/",
        "http://user:pw@127.0.0.1:8000",
        "127.0.0.1:8000",
        "http://[2001:db8::1]:8000",
        "http://127.0.0.1:8000/hooks/",
    ],
)
def test_other_urls_are_refused(url):
    with pytest.raises(sim.SimulatorError):
        sim.require_loopback(url)
    with pytest.raises(sim.SimulatorError):
        sim.Simulator("whatsapp", url=url, info=sim.demo_channel("whatsapp"))


def test_the_command_refuses_a_remote_server():
    with pytest.raises(CommandError, match="on this machine"):
        call_command(
            "simulate",
            "sms",
            "--url",
            "http://203.0.113.7:8000",
            stdin=io.StringIO("hi\n"),
            stdout=io.StringIO(),
        )


# --- signatures ---------------------------------------------------------------------------


def _tampered(kind: str, built: sim.Built) -> sim.Built:
    if kind == "telegram":
        return sim.Built(
            built.path,
            built.content,
            {**built.headers, "X-Telegram-Bot-Api-Secret-Token": "guessed"},
        )
    if kind == "ussd":
        return sim.Built(
            built.path.replace("key=demo-ussd-key", "key=guessed"), built.content, built.headers
        )
    # The body changed after signing: WhatsApp, Twilio and email sign the body.
    return sim.Built(built.path, built.content.replace(b"hello", b"HELLO"), built.headers)


@live
@pytest.mark.parametrize("kind", ["whatsapp", "sms", "telegram", "email", "ussd"])
def test_signed_requests_are_accepted_and_tampered_ones_refused(chat, kind):
    simulator = chat(kind)
    good = simulator.post(simulator.build_text("hello"))
    assert good.status_code == 200, good.text
    assert InboundMessage.objects.count() == 1
    bad = simulator.post(_tampered(kind, simulator.build_text("hello")))
    assert bad.status_code == 403
    assert bad.json()["error"] == "bad_signature"
    assert InboundMessage.objects.count() == 1  # nothing recorded
    assert AuditEvent.objects.filter(action="webhook.bad_signature").count() == 1


@live
def test_twilio_signs_the_configured_public_url_not_the_address_posted_to(chat, server):
    """The live server runs on a random port; Twilio signs the URL it was given."""
    simulator = chat("sms")
    assert simulator.twilio_url(simulator.hook_path) == DEMO_CHANNELS["twilio"][1]["public_url"]
    assert not server.endswith(":8000")
    assert simulator.post(simulator.build_text("hello")).status_code == 200
    simulator.info.settings["public_url"] = f"{server}/hooks/twilio/demo/"
    assert simulator.post(simulator.build_text("hello")).status_code == 403


# --- WhatsApp -----------------------------------------------------------------------------


@live
def test_whatsapp_hi_gets_the_greeting_and_the_first_question(chat, double):
    simulator = chat("whatsapp")
    replies = turn(simulator, double, "hi")
    assert [r.provider for r in replies] == ["whatsapp", "whatsapp"]
    assert {r.to for r in replies} == {simulator.sender}
    assert "Hello. You can tell us" in replies[0].text
    assert "Who is telling us?" in replies[1].text
    # These labels are longer than WhatsApp's 20-character buttons: numbered lines.
    assert replies[1].buttons == []
    assert "1. I am a child or young person" in replies[1].text
    printed = "\n".join(simulator.printed)
    assert "tellsafe (WhatsApp): Hello. You can tell us" in printed


@live
def test_whatsapp_conversation_to_a_report(chat, double):
    simulator = chat("whatsapp")
    for line in TYPED_REPORT[:6]:
        turn(simulator, double, line)
    assert "link" in double.received()[-1].text.lower()
    photo = turn(simulator, double, "/photo")
    assert "fingerprint" in photo[-1].text
    event = InboundMessage.objects.order_by("-pk").first().event
    assert '"sha256": "' in event and "provider_media_id" in event
    for line in TYPED_REPORT[6:9]:
        turn(simulator, double, line)
    summary = double.received()[-1]
    assert "Send YES" in summary.text and summary.buttons == [("yes", summary.buttons[0][1])]
    done = turn(simulator, double, "/button yes")
    report = Report.objects.get()
    assert report.reference in done[-1].text
    assert report.channel == "whatsapp" and report.reporter_kind == "child"
    assert report.age_band == "13_15" and report.safe_now is True
    assert report.details == DETAILS
    assert report.contact_kind == "whatsapp" and report.contact_value == f"+{simulator.sender}"


@live
def test_whatsapp_reply_buttons_answer_the_question(chat, double):
    simulator = chat("whatsapp")
    for line in TYPED_REPORT[:4]:
        turn(simulator, double, line)
    # "Are you safe right now?" has three short answers: WhatsApp reply buttons.
    question = double.received()[-1]
    assert len(question.buttons) == 3
    printed = "\n".join(simulator.printed)
    assert f"  1. {question.buttons[0][1]}   (/button {question.buttons[0][0]})" in printed
    replies = tap(simulator, double, "Yes, I am safe")
    assert "Tell us more" in replies[-1].text


@live
def test_a_counsellor_reply_from_the_desk_reaches_the_simulator(chat, double):
    from tellsafe.accounts.tests.factories import staff
    from tellsafe.cases.services import message_send

    simulator = chat("whatsapp")
    for line in TYPED_REPORT:
        turn(simulator, double, line)
    report = Report.objects.get()
    double.statuses = True
    counsellor = staff("counsellor")
    message_send(
        case=report.case,
        report_id=report.pk,
        actor=counsellor,
        body="Hello, I am Priya from the team. Are you safe right now?",
    )
    drain()
    reply = double.received()[-1]
    assert reply.provider == "whatsapp" and reply.to == simulator.sender
    assert reply.text == "Hello, I am Priya from the team. Are you safe right now?"
    assert not reply.template  # inside the 24-hour window: a plain message
    assert "Hello, I am Priya" in simulator.printed[-1]
    # The double posts sent, delivered and read back, signed; the desk sees "read".
    assert double.flush_statuses() == 1
    outbound = OutboundMessage.objects.get(provider_id=reply.provider_id)
    assert outbound.case_message_id is not None and outbound.status == "read"


def _desk_send(report, body: str) -> None:
    """message_send as the desk calls it, then the worker."""
    from tellsafe.accounts.tests.factories import staff
    from tellsafe.cases.services import message_send

    counsellor = staff("counsellor")
    message_send(case=report.case, report_id=report.pk, actor=counsellor, body=body)
    drain()


def _outside_the_window(*, sms_fallback: bool) -> Report:
    from datetime import timedelta

    from django.utils import timezone

    from tellsafe.intake.models import Conversation

    Conversation.objects.update(last_inbound_at=timezone.now() - timedelta(hours=25))
    if not sms_fallback:
        config = ChannelConfig.objects.get(plugin="whatsapp", slug="demo")
        config.settings = {k: v for k, v in config.settings.items() if k != "sms_fallback"}
        config.save(update_fields=["settings"])
    return Report.objects.get()


@live
def test_after_24_hours_a_desk_reply_goes_by_sms_where_the_channel_names_a_fallback(chat, double):
    simulator = chat("whatsapp")
    for line in TYPED_REPORT:
        turn(simulator, double, line)
    _desk_send(_outside_the_window(sms_fallback=True), "We have news about your report.")
    reply = double.received()[-1]
    assert (reply.provider, reply.to) == ("twilio", f"+{simulator.sender}")
    assert reply.text == "We have news about your report."


@live
def test_after_24_hours_a_desk_reply_goes_as_the_approved_template(chat, double):
    simulator = chat("whatsapp")
    for line in TYPED_REPORT:
        turn(simulator, double, line)
    _desk_send(_outside_the_window(sms_fallback=False), "We have news about your report.")
    reply = double.received()[-1]
    assert (reply.provider, reply.template) == ("whatsapp", "case_update")
    assert reply.text == "We have news about your report."
    assert "[template case_update]" in simulator.printed[-1]


@live
def test_after_24_hours_a_desk_reply_with_line_breaks_still_arrives(chat, double):
    simulator = chat("whatsapp")
    for line in TYPED_REPORT:
        turn(simulator, double, line)
    before = len(double.received())
    _desk_send(_outside_the_window(sms_fallback=False), "Hello again.\n\nWe have news.")
    assert len(double.received()) == before + 1


@live
def test_whatsapp_status_callbacks_mark_messages_read(chat, double):
    simulator = chat("whatsapp")
    double.statuses = True
    turn(simulator, double, "hi")
    assert double.flush_statuses() == 2
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"read"}


# --- Telegram -----------------------------------------------------------------------------


@live
def test_telegram_conversation_to_a_report_with_buttons(chat, double):
    simulator = chat("telegram")
    replies = turn(simulator, double, "/start")  # Telegram's own first message
    assert "Who is telling us?" in replies[-1].text and len(replies[-1].buttons) == 3
    tap(simulator, double, "I am a child")
    tap(simulator, double, "13")
    concerns = double.received()[-1]
    assert not concerns.buttons and "\n1. " in concerns.text  # several answers: numbers
    turn(simulator, double, "1 2")
    tap(simulator, double, double.received()[-1].buttons[0][1])  # safe: yes
    turn(simulator, double, DETAILS)
    turn(simulator, double, "insta.example/bad.account")
    turn(simulator, double, "done")
    tap(simulator, double, "Yes")  # message me here
    done = tap(simulator, double, "Yes")  # send it
    report = Report.objects.get()
    assert report.reference in done[-1].text
    assert report.channel == "telegram" and report.age_band == "13_15"
    assert report.contact_kind == "telegram" and report.contact_value == simulator.sender


@live
def test_telegram_typed_numbers_work_too(chat, double):
    simulator = chat("telegram")
    for line in TYPED_REPORT:
        turn(simulator, double, line)
    report = Report.objects.get()
    assert report.channel == "telegram" and report.details == DETAILS


# --- SMS (Twilio) ---------------------------------------------------------------------------


@live
def test_sms_conversation_with_numbered_options_and_delivery_receipts(chat, double):
    simulator = chat("sms")
    double.statuses = True
    replies = turn(simulator, double, "hi")
    assert [r.provider for r in replies] == ["twilio", "twilio"]
    assert replies[1].to == simulator.sender and "\n1. " in replies[1].text
    for line in TYPED_REPORT[1:]:
        turn(simulator, double, line)
    report = Report.objects.get()
    assert report.channel == "sms" and report.contact_value == simulator.sender
    double.flush_statuses()
    assert set(OutboundMessage.objects.values_list("status", flat=True)) == {"delivered"}


# --- USSD and email -----------------------------------------------------------------------


@live
def test_ussd_answers_come_back_as_con_then_end(chat):
    simulator = chat("ussd")
    first = simulator.dial()
    assert first.status_code == 200 and first.text.startswith("CON ")
    assert "Who is telling us?" in first.text
    for line in ["1", "3", "1 2", "1", "skip", "done", "1"]:
        answer = simulator.send(line)
        assert answer.text.startswith("CON "), answer.text
    sent = dict(httpx.QueryParams(simulator.last_request.content.decode()))
    assert sent["text"] == "1*3*1 2*1*skip*done*1"  # every input of the session so far
    final = simulator.send("yes")
    assert final.text.startswith("END ")
    assert Report.objects.get().channel == "ussd"
    assert simulator.printed[-1] == "(session ended; the next line dials again)"
    assert simulator.ussd_session == ""
    again = simulator.send("")  # the next line dials a new session
    assert again.text.startswith("CON ") and simulator.ussd_session


@live
def test_ussd_last_screen_shows_the_report_codes(chat):
    simulator = chat("ussd")
    simulator.dial()
    for line in ["1", "3", "1 2", "1", "skip", "done", "2"]:
        simulator.send(line)
    final = simulator.send("yes")
    assert final.text.startswith("END ")
    assert Report.objects.get().reference in final.text


@live
def test_ussd_dialling_again_asks_the_same_question_again(chat):
    import json

    from tellsafe.intake.models import Conversation

    simulator = chat("ussd")
    simulator.dial()
    for line in ["1", "3", "1 2", "1"]:  # now on "Tell us more"
        simulator.send(line)
    simulator.ussd_session = ""  # the operator ended the session; the child dials again
    again = simulator.send("")
    answers = json.loads(Conversation.objects.get().answers)
    assert "details" not in answers
    assert again.text.startswith("CON ") and "Tell us more" in again.text


@live
def test_email_is_answered_by_mail(chat):
    simulator = chat("email")
    answer = simulator.send("Someone I met in a game keeps asking me for photos and I am scared")
    assert answer.status_code == 200
    drain()
    report = Report.objects.get()
    assert report.channel == "email"
    assert [m.to for m in mail.outbox] == [[simulator.sender]]
    assert report.reference in mail.outbox[0].body


# --- the provider double and the command ------------------------------------------------------


def test_the_double_answers_like_the_providers_and_checks_their_credentials():
    secrets_ = DEMO_CHANNELS
    provider = sim.ProviderDouble(0, credentials=demo_credentials()).start()
    try:
        with httpx.Client(base_url=provider.url, trust_env=False) as client:
            ok = client.post(
                "/v21.0/100000000000001/messages",
                headers={"Authorization": "Bearer demo-access-token"},
                json={
                    "messaging_product": "whatsapp",
                    "to": "919800000001",
                    "type": "text",
                    "text": {"body": "hello"},
                },
            )
            assert ok.status_code == 200 and ok.json()["messages"][0]["id"].startswith("wamid.")
            wrong = client.post(
                "/v21.0/100000000000001/messages",
                headers={"Authorization": "Bearer stolen"},
                json={"messaging_product": "whatsapp", "to": "1"},
            )
            assert wrong.status_code == 401 and wrong.json()["error"]["code"] == 190
            too_long = client.post(
                "/v21.0/100000000000001/messages",
                headers={"Authorization": "Bearer demo-access-token"},
                json={
                    "messaging_product": "whatsapp",
                    "to": "919800000001",
                    "type": "interactive",
                    "interactive": {
                        "type": "button",
                        "body": {"text": "Pick"},
                        "action": {
                            "buttons": [
                                {
                                    "type": "reply",
                                    "reply": {"id": "1", "title": "A title longer than twenty"},
                                }
                            ]
                        },
                    },
                },
            )
            assert too_long.status_code == 400
            sid = secrets_["twilio"][0]["account_sid"]
            sms = client.post(
                f"/2010-04-01/Accounts/{sid}/Messages.json",
                auth=(sid, "demo-auth-token"),
                data={"To": "+919800000001", "From": "+15005550006", "Body": "hello"},
            )
            assert sms.status_code == 201 and sms.json()["sid"].startswith("SM")
            assert (
                client.post(
                    f"/2010-04-01/Accounts/{sid}/Messages.json",
                    auth=(sid, "x"),
                    data={"To": "+1", "Body": "x"},
                ).status_code
                == 401
            )
            tg = client.post(
                "/bot123456:demo-bot-token/sendMessage",
                json={
                    "chat_id": 42,
                    "text": "hello",
                    "reply_markup": {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]},
                },
            )
            assert tg.json()["ok"] is True and tg.json()["result"]["message_id"] > 0
            assert (
                client.post(
                    "/bot1:wrong/sendMessage", json={"chat_id": 42, "text": "x"}
                ).status_code
                == 401
            )
        got = provider.received()
        assert [(r.provider, r.text) for r in got] == [
            ("whatsapp", "hello"),
            ("twilio", "hello"),
            ("telegram", "hello"),
        ]
        assert got[2].buttons == [("y", "Yes")]
    finally:
        provider.stop()


@live
def test_the_command_reads_lines_from_stdin(server, double):
    out = io.StringIO()
    call_command(
        "simulate",
        "whatsapp",
        "--url",
        server,
        "--port",
        "0",
        "--from",
        "+91 98765 43210",
        stdin=io.StringIO("hi\n/quit\n"),
        stdout=out,
    )
    printed = out.getvalue()
    assert "tellsafe simulator: whatsapp as 919876543210" in printed
    assert "(bye)" in printed
    drain()
    assert [r.to for r in double.received()] == ["919876543210", "919876543210"]


@live
def test_the_email_simulator_says_where_answers_go(server):
    out = io.StringIO()
    call_command(
        "simulate", "email", "--url", server, "--port", "0", stdin=io.StringIO(""), stdout=out
    )
    assert "appear in the server's log" in out.getvalue()
