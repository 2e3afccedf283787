"""Signed provider payloads, a fake provider API, and an in-process worker, for the
channel tests. Payload shapes follow what each provider really sends."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
from typing import Any
from urllib.parse import urlencode

import httpx
from django.http import QueryDict

from tellsafe.core import http as outbound_http
from tellsafe.intake.channels.twilio import signature
from tellsafe.intake.demo_channels import DEMO_CHANNELS

_ids = itertools.count(1)


def secret(plugin: str, name: str) -> str:
    return DEMO_CHANNELS[plugin][0][name]


class Provider:
    """Stands in for every provider's API: records each call, answers like the real
    thing, or fails on demand."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.fail_with: int | None = None

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.fail_with:
            return httpx.Response(self.fail_with, json={"error": "down"})
        body: Any
        if request.headers.get("content-type", "").startswith("application/json"):
            body = json.loads(request.content)
        else:
            body = dict(QueryDict(request.content.decode()).items())
        self.calls.append((request.url.path, body))
        n = next(_ids)
        if request.url.path.endswith("/messages"):
            return httpx.Response(200, json={"messages": [{"id": f"wamid.OUT{n}"}]})
        if request.url.path.endswith("Messages.json"):
            return httpx.Response(201, json={"sid": f"SMOUT{n:030d}"})
        if request.url.path.endswith("/sendMessage"):
            return httpx.Response(200, json={"ok": True, "result": {"message_id": n}})
        return httpx.Response(200, json={"ok": True})

    def texts(self) -> list[str]:
        out = []
        for _path, body in self.calls:
            if "text" in body and isinstance(body["text"], dict):
                out.append(body["text"]["body"])
            elif "interactive" in body:
                out.append(body["interactive"]["body"]["text"])
            elif "template" in body:
                out.append(body["template"]["components"][0]["parameters"][0]["text"])
            elif "Body" in body:
                out.append(body["Body"])
            elif "text" in body:
                out.append(body["text"])
        return out

    def install(self) -> None:
        outbound_http.set_transport(httpx.MockTransport(self.handler))


def drain() -> int:
    """Run every queued background task now, as the worker would (batch mode)."""
    from django_tasks_db.management.commands.db_worker import Worker

    before = _done()
    Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()
    return _done() - before


def _done() -> int:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.exclude(status="READY").count()


# --- WhatsApp Cloud API -----------------------------------------------------------------


def wa_payload(
    message: dict[str, Any] | None = None,
    *,
    sender: str = "919812345678",
    statuses: list[dict[str, Any]] | None = None,
    user_id: str = "",
) -> dict[str, Any]:
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {
            "display_phone_number": "+91 11 0000 0001",
            "phone_number_id": "100000000000001",
        },
    }
    if message is not None:
        value["contacts"] = [
            {
                "profile": {"name": "Asha"},
                "wa_id": sender,
                **({"user_id": user_id} if user_id else {}),
            }
        ]
        value["messages"] = [
            {"from": sender, "id": f"wamid.IN{next(_ids)}", "timestamp": "1764400000", **message}
        ]
        if not sender:
            value["messages"][0]["from_user_id"] = user_id
    if statuses:
        value["statuses"] = statuses
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "8856996819413533", "changes": [{"value": value, "field": "messages"}]}],
    }


def wa_text(text: str, **kwargs: Any) -> dict[str, Any]:
    return wa_payload({"type": "text", "text": {"body": text}}, **kwargs)


def wa_post(
    client: Any, payload: dict[str, Any], *, secret_value: str | None = None, slug: str = "demo"
) -> Any:
    raw = json.dumps(payload).encode()
    key = (secret_value or secret("whatsapp", "app_secret")).encode()
    sig = "sha256=" + hmac.new(key, raw, hashlib.sha256).hexdigest()
    return client.post(
        f"/hooks/whatsapp/{slug}/",
        raw,
        content_type="application/json",
        headers={"X-Hub-Signature-256": sig},
    )


# --- Twilio -------------------------------------------------------------------------------


def twilio_post(client: Any, params: dict[str, str], *, token: str | None = None) -> Any:
    url = DEMO_CHANNELS["twilio"][1]["public_url"]
    data = QueryDict(urlencode(params))
    sig = signature(url, data, token or secret("twilio", "auth_token"))
    return client.post(
        "/hooks/twilio/demo/",
        urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": sig},
    )


def sms(text: str, sender: str = "+919812340000") -> dict[str, str]:
    sid = f"SM{next(_ids):032d}"
    return {
        "ToCountry": "IN",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": text,
        "FromCountry": "IN",
        "To": "+15005550006",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": secret("twilio", "account_sid"),
        "From": sender,
        "ApiVersion": "2010-04-01",
    }


# --- Telegram -------------------------------------------------------------------------------


def tg_post(client: Any, update: dict[str, Any], *, token: str | None = None) -> Any:
    return client.post(
        "/hooks/telegram/demo/",
        json.dumps(update),
        content_type="application/json",
        headers={
            "X-Telegram-Bot-Api-Secret-Token": token
            if token is not None
            else secret("telegram", "secret_token")
        },
    )


def tg_text(text: str, chat: int = 3527065, language: str = "en") -> dict[str, Any]:
    n = next(_ids)
    return {
        "update_id": 174114000 + n,
        "message": {
            "message_id": n,
            "date": 1764400000,
            "text": text,
            "from": {"id": chat, "first_name": "A", "language_code": language},
            "chat": {"id": chat, "type": "private"},
        },
    }


def tg_button(data: str, chat: int = 3527065) -> dict[str, Any]:
    n = next(_ids)
    return {
        "update_id": 174114000 + n,
        "callback_query": {
            "id": str(n),
            "data": data,
            "chat_instance": "1",
            "from": {"id": chat, "first_name": "A"},
            "message": {"message_id": 1, "chat": {"id": chat}},
        },
    }


# --- Email and USSD --------------------------------------------------------------------------


def email_post(client: Any, mail: dict[str, str], *, key: str | None = None) -> Any:
    raw = json.dumps(mail).encode()
    sig = hmac.new(
        (key or secret("email", "webhook_secret")).encode(), raw, hashlib.sha256
    ).hexdigest()
    return client.post(
        "/hooks/email/demo/",
        raw,
        content_type="application/json",
        headers={"X-Tellsafe-Signature": sig},
    )


def ussd_post(
    client: Any, session: str, text: str, phone: str = "+919800000099", key: str | None = None
) -> Any:
    data = urlencode(
        {
            "sessionId": session,
            "serviceCode": "*384*1234#",
            "phoneNumber": phone,
            "networkCode": "40401",
            "text": text,
        }
    )
    return client.post(
        f"/hooks/ussd/demo/?key={key or secret('ussd', 'path_key')}",
        data,
        content_type="application/x-www-form-urlencoded",
    )


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
