"""The signed provider payload builders: webhook signatures, the bodies WhatsApp, Twilio,
Telegram, the email relay and Africa's Talking (USSD) post, and made-up reporter
addresses. Plain functions, so tests can sign, tamper and post them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import secrets
import time
import uuid
from collections.abc import Iterable
from typing import Any

from tellsafe.intake.simulator.common import USSD_SERVICE_CODE, WABA_ID, SimulatorError

# --- signatures --------------------------------------------------------------------------


def whatsapp_signature(raw: bytes, app_secret: str) -> str:
    """X-Hub-Signature-256: HMAC-SHA256 of the raw body with the Meta app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def twilio_signature(url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL Twilio was given, followed by each
    POST parameter name and value, sorted by name (and values of one name sorted)."""
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    data = url + "".join(
        name + value for name in sorted(grouped) for value in sorted(grouped[name])
    )
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def email_signature(raw: bytes, webhook_secret: str) -> str:
    """X-Tellsafe-Signature: hex HMAC-SHA256 of the raw JSON body."""
    return hmac.new(webhook_secret.encode(), raw, hashlib.sha256).hexdigest()


# --- provider payloads ----------------------------------------------------------------------

_counter = itertools.count(1)


def _now() -> str:
    return str(int(time.time()))


def new_wamid() -> str:
    return "wamid." + base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes[:8]).decode()


def new_twilio_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex  # 34 characters, as Twilio's


def fake_media() -> tuple[str, str, bytes]:
    """A fake media id and the base64 SHA-256 WhatsApp reports, of made-up bytes."""
    content = b"simulated picture " + secrets.token_bytes(16)
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    return str(10**15 + secrets.randbelow(9 * 10**15)), digest, content


def whatsapp_envelope(phone_number_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550000001",
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def whatsapp_message(
    phone_number_id: str, sender: str, message: dict[str, Any], name: str = "Simulated reporter"
) -> dict[str, Any]:
    """A Cloud API webhook carrying one message from ``sender`` (digits, no "+")."""
    body = {"from": sender, "id": new_wamid(), "timestamp": _now(), **message}
    return whatsapp_envelope(
        phone_number_id,
        {"contacts": [{"profile": {"name": name}, "wa_id": sender}], "messages": [body]},
    )


def whatsapp_text(phone_number_id: str, sender: str, text: str) -> dict[str, Any]:
    return whatsapp_message(phone_number_id, sender, {"type": "text", "text": {"body": text}})


def whatsapp_button(
    phone_number_id: str, sender: str, button_id: str, title: str, context: str = ""
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
    }
    if context:
        message["context"] = {"from": "15550000001", "id": context}
    return whatsapp_message(phone_number_id, sender, message)


def whatsapp_image(
    phone_number_id: str, sender: str, media_id: str, sha256: str, caption: str = ""
) -> dict[str, Any]:
    image = {"mime_type": "image/jpeg", "sha256": sha256, "id": media_id}
    if caption:
        image["caption"] = caption
    return whatsapp_message(phone_number_id, sender, {"type": "image", "image": image})


def whatsapp_status(
    phone_number_id: str, wamid: str, recipient: str, status: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": _now(),
        "recipient_id": recipient,
    }
    if status != "read":
        entry["conversation"] = {"id": uuid.uuid4().hex, "origin": {"type": "service"}}
        entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    return whatsapp_envelope(phone_number_id, {"statuses": [entry]})


def twilio_sms(
    *, account_sid: str, sender: str, to: str, body: str, media: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """The form Twilio POSTs for an incoming SMS/MMS; ``media`` is (url, content type)."""
    media = media or []
    sid = new_twilio_sid("MM" if media else "SM")
    params = [
        ("ToCountry", "US"),
        ("SmsMessageSid", sid),
        ("NumMedia", str(len(media))),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("Body", body),
        ("FromCountry", "IN"),
        ("To", to),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]
    for i, (url, content_type) in enumerate(media):
        params += [(f"MediaContentType{i}", content_type), (f"MediaUrl{i}", url)]
    return params


def twilio_status(
    *, account_sid: str, sid: str, sender: str, to: str, status: str
) -> list[tuple[str, str]]:
    """Twilio's status callback for a message we sent."""
    return [
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("To", to),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]


def _telegram_user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Simulated", "language_code": "en"}


def telegram_message(chat_id: int, text: str = "", **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_counter),
        "from": _telegram_user(chat_id),
        "chat": {"id": chat_id, "first_name": "Simulated", "type": "private"},
        "date": int(time.time()),
    }
    if text:
        message["text"] = text
    message.update(extra)
    return {"update_id": 100_000_000 + next(_counter), "message": message}


def telegram_photo(chat_id: int, caption: str = "") -> dict[str, Any]:
    unique = secrets.token_urlsafe(12)
    sizes = [
        {
            "file_id": f"AgACAgIAAxkBAAI{unique}{n}",
            "file_unique_id": f"AQAD{unique}{n}",
            "file_size": size,
            "width": width,
            "height": width,
        }
        for n, (size, width) in enumerate([(1200, 90), (15000, 320), (60000, 800)])
    ]
    extra: dict[str, Any] = {"photo": sizes}
    if caption:
        extra["caption"] = caption
    return telegram_message(chat_id, **extra)


def telegram_callback(
    chat_id: int, data: str, message_id: int = 1, message_text: str = ""
) -> dict[str, Any]:
    return {
        "update_id": 100_000_000 + next(_counter),
        "callback_query": {
            "id": str(4_000_000_000 + next(_counter)),
            "from": _telegram_user(chat_id),
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": message_text,
            },
            "chat_instance": str(-chat_id),
            "data": data,
        },
    }


def email_message(
    sender: str, text: str, subject: str = "Help", in_reply_to: str = ""
) -> dict[str, Any]:
    """The JSON an inbound-parse relay posts for one email."""
    return {
        "message_id": f"<{uuid.uuid4().hex}@simulator.invalid>",
        "from": f"Simulated reporter <{sender}>",
        "subject": subject,
        "text": text,
        "in_reply_to": in_reply_to,
    }


def ussd_form(session_id: str, phone: str, text: str) -> list[tuple[str, str]]:
    """What Africa's Talking posts for one screen: ``text`` is every input so far."""
    return [
        ("sessionId", session_id),
        ("serviceCode", USSD_SERVICE_CODE),
        ("phoneNumber", phone),
        ("networkCode", "40401"),
        ("text", text),
    ]


# --- addresses --------------------------------------------------------------------------


def new_address(plugin: str) -> str:
    """A fresh made-up reporter address of the channel's kind."""
    if plugin == "telegram":
        return str(100_000_000 + secrets.randbelow(900_000_000))
    if plugin == "email":
        return f"reporter{secrets.randbelow(10**6):06d}@example.org"
    number = f"9198{secrets.randbelow(10**8):08d}"  # an Indian mobile number
    return number if plugin == "whatsapp" else f"+{number}"


def normalise_address(plugin: str, address: str) -> str:
    address = address.strip()
    if plugin == "telegram":
        if not re.fullmatch(r"-?\d{1,15}", address):
            raise SimulatorError("--from on Telegram is a chat id (a number)")
        return address
    if plugin == "email":
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
            raise SimulatorError("--from on email is an address, like child@example.org")
        return address
    digits = re.sub(r"[\s().-]", "", address)
    if not re.fullmatch(r"\+?\d{6,15}", digits):
        raise SimulatorError("--from is a phone number in international form, like +919812345678")
    digits = digits.lstrip("+")
    return digits if plugin == "whatsapp" else f"+{digits}"
