"""WhatsApp Cloud API (Meta). Settings: ``phone_number_id``, ``api_base`` (default
https://graph.facebook.com), ``api_version``, ``update_template`` (the pre-approved
template for messages outside the 24-hour window), ``sms_fallback`` (slug of a twilio
channel). Secrets: ``verify_token``, ``app_secret``, ``access_token``.

Media: the webhook names a media id only. ``GET /{version}/{media-id}`` (bearer token)
answers a short-lived ``url``, which is downloaded with the same token."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse

from tellsafe.core.http import ProviderError, check
from tellsafe.intake.channels import (
    Channel,
    InboundEvent,
    Outgoing,
    PayloadError,
    SignatureError,
    StatusEvent,
    call,
    download,
    media_limit,
    provider_json,
)

MEDIA_TYPES = ("image", "video", "audio", "voice", "document", "sticker")
# Graph media ids are digits; anything else could steer the request elsewhere.
MEDIA_ID = re.compile(r"[0-9A-Za-z_-]{1,128}")


def template_text(body: str) -> str:
    """A template parameter may not hold line breaks, tabs or long runs of spaces."""
    return re.sub(r"\s+", " ", body).strip()[:1024]


class WhatsAppChannel(Channel):
    name = "whatsapp"
    max_buttons = 3
    max_button_title = 20

    def handshake(self, request: HttpRequest, config: Any) -> HttpResponse | None:
        token = request.GET.get("hub.verify_token", "")
        expected = config.secret("verify_token")
        if (
            request.GET.get("hub.mode") == "subscribe"
            and expected
            and hmac.compare_digest(token.encode(), expected.encode())
        ):
            return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")
        return HttpResponse("forbidden", status=403, content_type="text/plain")

    def verify(self, request: HttpRequest, config: Any) -> None:
        header = request.headers.get("X-Hub-Signature-256", "")
        secret = config.secret("app_secret")
        if not secret or not header.startswith("sha256=") or len(header) != 71:
            raise SignatureError
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, header[7:]):
            raise SignatureError

    def parse(self, request: HttpRequest, config: Any) -> list[Any]:
        try:
            body = json.loads(request.body)
            changes = [
                change["value"]
                for entry in body.get("entry", [])
                for change in entry.get("changes", [])
            ]
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise PayloadError("not a WhatsApp Cloud API webhook") from exc
        events: list[Any] = []
        for value in changes:
            if not isinstance(value, dict):
                continue
            for message in value.get("messages", []) or []:
                event = self._message(message)
                if event:
                    events.append(event)
            for status in value.get("statuses", []) or []:
                errors = status.get("errors") or [{}]
                events.append(
                    StatusEvent(
                        provider_id=str(status.get("id", "")),
                        status=str(status.get("status", "")),
                        error=str(errors[0].get("code", "")),
                    )
                )
        return events

    def _message(self, m: dict[str, Any]) -> InboundEvent | None:
        sender = m.get("from") or ""
        username_only = not sender
        contact = f"+{sender}" if sender else str(m.get("from_user_id") or "")
        if not contact or not m.get("id"):
            return None
        kind = m.get("type")
        text, choice, media, location = "", "", [], None
        if kind == "text":
            text = m.get("text", {}).get("body", "")
        elif kind == "interactive":
            reply = m.get("interactive", {})
            picked = reply.get("button_reply") or reply.get("list_reply") or {}
            choice, text = str(picked.get("id", "")), str(picked.get("title", ""))
        elif kind == "button":
            choice = str(m.get("button", {}).get("payload", ""))
            text = str(m.get("button", {}).get("text", ""))
        elif kind in MEDIA_TYPES:
            item = m.get(kind, {})
            # Only the provider's fingerprint and id are kept, never the file.
            media = [
                {
                    "provider_media_id": item.get("id", ""),
                    "mime": item.get("mime_type", ""),
                    "sha256": item.get("sha256", ""),
                }
            ]
            text = item.get("caption", "")
        elif kind == "location":
            loc = m.get("location", {})
            location = {
                "latitude": float(loc.get("latitude", 0)),
                "longitude": float(loc.get("longitude", 0)),
            }
        return InboundEvent(
            provider_id=str(m["id"]),
            contact=contact,
            text=text,
            choice=choice,
            media=media,
            location=location,
            username_only=username_only,
        )

    def send(self, config: Any, message: Outgoing, http: Any) -> str:
        base = config.settings.get("api_base", "https://graph.facebook.com").rstrip("/")
        version = config.settings.get("api_version", "v21.0")
        to = message.to.lstrip("+")
        payload: dict[str, Any] = {"messaging_product": "whatsapp", "to": to}
        if message.to and not message.to.startswith("+"):
            payload = {"messaging_product": "whatsapp", "recipient": message.to}
        if message.template:
            payload.update(
                type="template",
                template={
                    "name": message.template,
                    "language": {
                        "code": message.language or config.settings.get("template_language", "en")
                    },
                    "components": [
                        {
                            "type": "body",
                            "parameters": [{"type": "text", "text": template_text(message.body)}],
                        }
                    ],
                },
            )
        elif message.options:
            payload.update(
                type="interactive",
                interactive={
                    "type": "button",
                    "body": {"text": message.body[:1024]},
                    "action": {
                        "buttons": [
                            {"type": "reply", "reply": {"id": value, "title": title[:20]}}
                            for value, title in message.options[:3]
                        ]
                    },
                },
            )
        else:
            payload.update(type="text", text={"body": message.body[:4096]})
        response = http.post(
            f"{base}/{version}/{config.settings.get('phone_number_id', '')}/messages",
            json=payload,
            headers={"Authorization": f"Bearer {config.secret('access_token')}"},
        )
        body = check(response)
        try:
            return str(body["messages"][0]["id"])
        except (KeyError, IndexError, TypeError) as exc:
            raise ProviderError("no_message_id") from exc

    def fetch_media(self, config: Any, item: dict[str, Any], http: Any) -> bytes:
        media_id = str(item.get("provider_media_id", ""))
        if not MEDIA_ID.fullmatch(media_id):
            raise ProviderError("bad_media_reference", retryable=False)
        base = config.settings.get("api_base", "https://graph.facebook.com").rstrip("/")
        version = config.settings.get("api_version", "v21.0")
        auth = {"Authorization": f"Bearer {config.secret('access_token')}"}
        phone_number_id = config.settings.get("phone_number_id", "")
        info = provider_json(
            call(
                http,
                "GET",
                f"{base}/{version}/{media_id}",
                # Only media that reached this number: another number's id is refused.
                params={"phone_number_id": phone_number_id} if phone_number_id else None,
                headers=auth,
            )
        )
        url = info.get("url")
        if not isinstance(url, str) or not url:
            raise ProviderError("no_media_url", retryable=False)
        try:
            size = int(info.get("file_size") or 0)
        except (TypeError, ValueError):
            size = 0  # the download's own cap still holds
        if size > media_limit():
            raise ProviderError("too_large", retryable=False)
        return download(http, url, api_base=base, headers=auth)

    def contact_kind(self, config: Any = None) -> str:
        return "whatsapp"
