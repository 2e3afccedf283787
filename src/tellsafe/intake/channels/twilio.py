"""Twilio Programmable Messaging: SMS, or WhatsApp through Twilio. Settings: ``from``
(our number, "+..." or "whatsapp:+..."), ``public_url`` (the webhook URL exactly as
configured in Twilio, which the signature covers), ``api_base``. Secrets:
``account_sid``, ``auth_token``.

Media: an MMS (or WhatsApp picture) names ``MediaUrl{N}``, a resource of our account on
the API; it is fetched with HTTP basic auth (account SID and auth token), and Twilio
usually redirects to its media store, which is fetched without them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from tellsafe.core.http import ProviderError, check
from tellsafe.intake.channels import (
    Channel,
    InboundEvent,
    Outgoing,
    PayloadError,
    SignatureError,
    StatusEvent,
    download,
)

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def signature(url: str, params: Any, token: str) -> str:
    """Twilio's X-Twilio-Signature: HMAC-SHA1 over the URL and the sorted parameters."""
    data = url + "".join(
        name + value for name in sorted(params) for value in sorted(params.getlist(name))
    )
    digest = hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


class TwilioChannel(Channel):
    name = "twilio"

    def _url(self, request: HttpRequest, config: Any) -> str:
        url = config.settings.get("public_url") or f"{settings.PUBLIC_URL}{request.path}"
        query = request.META.get("QUERY_STRING", "")
        return f"{url}?{query}" if query and "?" not in url else url

    def verify(self, request: HttpRequest, config: Any) -> None:
        header = request.headers.get("X-Twilio-Signature", "")
        token = config.secret("auth_token")
        if not header or not token:
            raise SignatureError
        expected = signature(self._url(request, config), request.POST, token)
        if not hmac.compare_digest(expected, header):
            raise SignatureError

    def parse(self, request: HttpRequest, config: Any) -> list[Any]:
        post = request.POST
        sid = post.get("MessageSid") or post.get("SmsSid")
        if not sid:
            raise PayloadError("MessageSid is missing")
        if post.get("MessageStatus") and "Body" not in post:
            return [
                StatusEvent(
                    provider_id=sid,
                    status=post["MessageStatus"].replace("undelivered", "failed"),
                    error=post.get("ErrorCode", ""),
                )
            ]
        sender = post.get("From", "")
        contact = sender.removeprefix("whatsapp:")
        if not contact:
            raise PayloadError("From is missing")
        media = []
        try:
            count = int(post.get("NumMedia", "0") or 0)
        except ValueError:
            count = 0
        for i in range(min(count, 10)):
            url = post.get(f"MediaUrl{i}", "")
            media.append(
                {
                    "provider_media_id": url[-80:],
                    "mime": post.get(f"MediaContentType{i}", ""),
                    "sha256": "",
                    "url": url[:500],  # the worker downloads it (fetch_media)
                }
            )
        return [
            InboundEvent(
                provider_id=sid,
                contact=contact,
                text=post.get("Body", "") or post.get("ButtonText", ""),
                choice=post.get("ButtonPayload", ""),
                media=media,
            )
        ]

    def acknowledge(
        self, events: list[Any], replies: list[Outgoing], finished: bool = False
    ) -> HttpResponse:
        return HttpResponse(EMPTY_TWIML, content_type="text/xml")

    def send(self, config: Any, message: Outgoing, http: Any) -> str:
        base = config.settings.get("api_base", "https://api.twilio.com").rstrip("/")
        sid = config.secret("account_sid")
        sender = config.settings.get("from", "")
        to = f"whatsapp:{message.to}" if sender.startswith("whatsapp:") else message.to
        body = message.body
        if message.options:
            body += "\n" + "\n".join(
                f"{i}. {label}" for i, (_v, label) in enumerate(message.options, 1)
            )
        data = {"To": to, "From": sender, "Body": body[:1600]}
        if message.template:
            # WhatsApp through Twilio outside the 24-hour window: an approved Content
            # template (TELLSAFE channel setting update_content_sid) with the text in it.
            data.pop("Body")
            data["ContentSid"] = config.settings.get("update_content_sid", "")
            data["ContentVariables"] = json.dumps({"1": " ".join(message.body.split())[:1024]})
        if config.settings.get("status_callback"):
            data["StatusCallback"] = config.settings["status_callback"]
        response = http.post(
            f"{base}/2010-04-01/Accounts/{sid}/Messages.json",
            data=data,
            auth=(sid, config.secret("auth_token")),
        )
        answer = check(response)
        if not answer.get("sid"):
            raise ProviderError("no_message_sid")
        return str(answer["sid"])

    def fetch_media(self, config: Any, item: dict[str, Any], http: Any) -> bytes:
        base = config.settings.get("api_base", "https://api.twilio.com").rstrip("/")
        sid = config.secret("account_sid")
        url = str(item.get("url", ""))
        # Our credentials go only to a media resource of our own account on the API.
        prefix = f"{base}/2010-04-01/Accounts/{sid}/"
        if not sid or not url.startswith(prefix) or ".." in url or "@" in url:
            raise ProviderError("bad_media_reference", retryable=False)
        return download(http, url, api_base=base, auth=(sid, config.secret("auth_token")))

    def report_channel(self, config: Any = None) -> str:
        return self.contact_kind(config)

    def contact_kind(self, config: Any = None) -> str:
        sender = config.settings.get("from", "") if config is not None else ""
        return "whatsapp" if sender.startswith("whatsapp:") else "sms"
