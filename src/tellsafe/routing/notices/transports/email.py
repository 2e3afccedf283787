"""``email``: the notice by e-mail (Django's e-mail backend, SMTP in production).

The message says, in plain text, the URL or hashes, the basis and our reference, and
gives the secure one-time link to answer; the same facts are attached as
``notice-<reference>.json`` for the partner's tools. Nothing else is in it.
"""

from __future__ import annotations

import json
import smtplib
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.template.loader import render_to_string

from tellsafe.routing.notices.transports import Delivery, DeliveryError, Message, Transport


def email_errors(value: str, field: str, *, required: bool) -> dict[str, list[str]]:
    if not value:
        return {field: ["Required for this transport."]} if required else {}
    try:
        validate_email(value)
    except ValidationError:
        return {field: ["Not a valid e-mail address."]}
    return {}


def from_address() -> str:
    return str(getattr(settings, "NOTICE_FROM_EMAIL", "") or settings.DEFAULT_FROM_EMAIL)


def send_email(*, to: str, subject: str, body: str, payload: dict[str, Any]) -> str:
    """Send one message with the payload attached; returns its Message-ID. Failures
    become DeliveryError: an SMTP 5xx answer or refused recipients are permanent."""
    message = EmailMessage(
        subject=subject,
        body=body,
        from_email=from_address(),
        to=[to],
        headers={
            "Auto-Submitted": "auto-generated",
            "X-Tellsafe-Notice": str(payload["reference"]),
        },
    )
    message.attach(
        f"notice-{payload['reference']}.json",
        json.dumps(payload, indent=2, sort_keys=True),
        "application/json",
    )
    try:
        message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError("smtp_recipients_refused", retryable=False) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"smtp_{exc.smtp_code}", retryable=exc.smtp_code < 500) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"smtp_{type(exc).__name__}") from exc
    return str(message.extra_headers.get("Message-ID", ""))


def subject_for(message: Message) -> str:
    words = "Forward" if message.payload["kind"] == "forward" else "Takedown notice"
    if message.event == "reminder":
        return f"Reminder {message.sequence}: {words.lower()} {message.reference}"
    return f"{words} {message.reference}"


def render_body(
    message: Message, *, template: str = "notices/email_notice.txt", **extra: Any
) -> str:
    return render_to_string(
        template,
        {
            "message": message,
            "notice": message.payload,
            "content": message.payload["content"],
            "basis": message.payload["basis"],
            **extra,
        },
    )


class EmailTransport(Transport):
    """The partner's abuse desk gets each notice and reminder by e-mail."""

    name = "email"
    label = "E-mail"

    def configuration_errors(self, config: Any) -> dict[str, list[str]]:
        return email_errors(config.email, "email", required=True)

    def deliver(self, config: Any, message: Message) -> Delivery:
        if not config.email:
            raise DeliveryError("no_email_address", retryable=False)
        provider_id = send_email(
            to=config.email,
            subject=subject_for(message),
            body=render_body(message),
            payload=message.payload,
        )
        return Delivery(provider_id=provider_id)
