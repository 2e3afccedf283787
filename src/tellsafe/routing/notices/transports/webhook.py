"""``webhook``: an HTTPS POST of the notice's JSON to the partner's endpoint.

The body is ``{"event", "sequence", "notice", "confirm_url"}``. The header
``X-Tellsafe-Signature: sha256=<hex>`` is the HMAC-SHA256 of the exact body bytes under
the partner's secret; ``Idempotency-Key`` is the same for every retry of one message. A
2xx answer means delivered. 408, 429, 5xx and network failures are retried; any other
answer (a redirect too) is permanent and goes to a person.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx

from tellsafe.routing.notices import outbound
from tellsafe.routing.notices.transports import Delivery, DeliveryError, Message, Transport

SIGNATURE_HEADER = "X-Tellsafe-Signature"
MIN_SECRET_LENGTH = 32
RETRYABLE_TARGET = {"timeout", "dns_error", "no_answer"}


def body_of(message: Message) -> bytes:
    document = {
        "event": message.event,
        "sequence": message.sequence,
        "notice": message.payload,
        "confirm_url": message.confirm_url,
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class WebhookTransport(Transport):
    """The partner's system gets each notice and reminder as a signed JSON POST."""

    name = "webhook"
    label = "Webhook (HTTPS POST)"

    def configuration_errors(self, config: Any) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        if not config.webhook_url:
            errors["webhook_url"] = ["Required for this transport."]
        else:
            try:
                url = outbound.parse_target_url(config.webhook_url)
            except outbound.TargetRefused:
                errors["webhook_url"] = ["Must be a public https:// URL."]
            else:
                if url.scheme != "https":
                    errors["webhook_url"] = ["Must be a public https:// URL."]
        if len(config.webhook_secret or "") < MIN_SECRET_LENGTH:
            errors["webhook_secret"] = [f"At least {MIN_SECRET_LENGTH} characters."]
        return errors

    def deliver(self, config: Any, message: Message) -> Delivery:
        if self.configuration_errors(config):
            raise DeliveryError("webhook_not_configured", retryable=False)
        body = body_of(message)
        headers = {
            "Content-Type": "application/json",
            "X-Tellsafe-Event": message.event,
            SIGNATURE_HEADER: signature(config.webhook_secret, body),
            "Idempotency-Key": message.idempotency_key,
        }
        try:
            response = outbound.request("POST", config.webhook_url, content=body, headers=headers)
        except outbound.TargetRefused as exc:
            raise DeliveryError(
                f"target_{exc.code}", retryable=exc.code in RETRYABLE_TARGET
            ) from exc
        except httpx.TimeoutException as exc:
            raise DeliveryError("timeout") from exc
        except httpx.HTTPError as exc:
            raise DeliveryError("network_error") from exc
        status = response.status_code
        if 200 <= status < 300:
            return Delivery(provider_id=response.headers.get("X-Request-Id", "")[:200])
        raise DeliveryError(f"http_{status}", retryable=status >= 500 or status in (408, 429))
