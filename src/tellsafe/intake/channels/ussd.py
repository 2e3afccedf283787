"""USSD menus for feature phones (Africa's Talking style): the gateway POSTs
``sessionId, serviceCode, phoneNumber, text`` (every input so far, joined by "*") and
waits for the next screen in the answer: ``CON <text>`` to go on, ``END <text>`` to
finish. Africa's Talking does not sign requests, so the hook URL carries a secret key
(``?key=``, compared in constant time) and may be limited to the gateway's addresses.
Secrets: ``path_key``. Settings: ``allowed_ips`` (list)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from django.http import HttpRequest, HttpResponse

from tellsafe.core.ratelimit import client_address
from tellsafe.intake.channels import (
    Channel,
    InboundEvent,
    Outgoing,
    PayloadError,
    SignatureError,
)

SCREEN = 182  # characters a USSD screen holds


def _screen(replies: list[Outgoing]) -> str:
    """The last question fits the screen best; earlier lines go first when space runs
    out."""
    text = "\n".join(r.body for r in replies)
    if len(text) > SCREEN and replies:
        text = replies[-1].body
    return text if len(text) <= SCREEN else text[: SCREEN - 1] + "…"


class UssdChannel(Channel):
    name = "ussd"
    synchronous = True
    compact = True

    def verify(self, request: HttpRequest, config: Any) -> None:
        key = config.secret("path_key")
        given = request.GET.get("key", "")
        if not key or not hmac.compare_digest(given.encode(), key.encode()):
            raise SignatureError
        allowed = config.settings.get("allowed_ips") or []
        if allowed and client_address(request) not in allowed:
            raise SignatureError

    def parse(self, request: HttpRequest, config: Any) -> list[Any]:
        post = request.POST
        session, phone = post.get("sessionId", ""), post.get("phoneNumber", "")
        if not session or not phone:
            raise PayloadError("sessionId and phoneNumber are required")
        text = post.get("text", "")
        parts = text.split("*") if text else []
        latest = parts[-1] if parts else ""
        # One event per screen: the same request repeated is the same event.
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        return [
            InboundEvent(
                provider_id=f"{session}:{len(parts)}:{digest}",
                contact=phone,
                text=latest,
                session=session,
            )
        ]

    def acknowledge(
        self, events: list[Any], replies: list[Outgoing], finished: bool = False
    ) -> HttpResponse:
        prefix = "END" if finished else "CON"
        return HttpResponse(f"{prefix} {_screen(replies)}", content_type="text/plain")

    def send(self, config: Any, message: Outgoing, http: Any) -> str:
        # USSD cannot push: a session only answers. Later updates go by SMS, if the
        # deployment names an SMS channel for that.
        raise NotImplementedError("USSD answers inside the session only")

    def contact_kind(self, config: Any = None) -> str:
        return "sms"
