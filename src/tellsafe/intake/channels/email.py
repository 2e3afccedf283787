"""Email. Inbound by an inbound-parse webhook: the mail provider (or a small relay on the
mail server) POSTs JSON ``{"message_id", "from", "subject", "text", "in_reply_to",
"attachments"}`` signed with HMAC-SHA-256 of the raw body in ``X-Tellsafe-Signature``
(hex). Outbound by SMTP (Django's mail settings). A reporter's emails are one
conversation, keyed on their address; the report code goes in the subject of our answers
so threads stay together. Secrets: ``webhook_secret``. Settings: ``from`` (our address).

``attachments`` (optional) is a list of ``{"content_type", "content"}``, the content in
base64. The bytes arrive in the webhook itself, so they are hashed right there, in memory
(intake.media), and only the hashes go on: nothing to download later, nothing kept.
Filenames are not kept either; they can name a child."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from email.utils import make_msgid, parseaddr
from typing import Any

from django.core.mail import EmailMessage
from django.http import HttpRequest

from tellsafe.intake.channels import (
    Channel,
    InboundEvent,
    Outgoing,
    PayloadError,
    SignatureError,
    media_limit,
)

REFERENCE = re.compile(r"\b([34679ACDEFGHJKMNPRTWXY]{4}-[34679ACDEFGHJKMNPRTWXY]{4})\b")
MAX_ATTACHMENTS = 10


def hash_attachments(attachments: Any) -> list[dict[str, Any]]:
    """The media entries of an email's attachments: their hashes, or why there are none.
    Each attachment's bytes live only inside this loop."""
    from tellsafe.intake.media import hash_in_memory

    if not isinstance(attachments, list):
        return []
    media: list[dict[str, Any]] = []
    for attachment in attachments[:MAX_ATTACHMENTS]:
        if not isinstance(attachment, dict):
            continue
        content = attachment.get("content")
        entry: dict[str, Any] = {"mime": str(attachment.get("content_type", ""))[:100]}
        if isinstance(content, str):
            content = "".join(content.split())  # MIME-style base64 wraps its lines
        if not isinstance(content, str):
            entry["error"] = "unreadable"
        elif len(content) // 4 * 3 > media_limit() + 2:
            entry["error"] = "too_large"  # refused before decoding
        else:
            try:
                data = base64.b64decode(content, validate=True)
            except (binascii.Error, ValueError):
                entry["error"] = "unreadable"
            else:
                if not data:
                    entry["error"] = "empty_media"
                elif len(data) > media_limit():
                    entry["error"] = "too_large"
                else:
                    entry["hashes"] = hash_in_memory(data).as_dict()
                del data
        media.append(entry)
    return media


class EmailChannel(Channel):
    name = "email"
    #: An email is usually a whole story: it goes to a person, not through a menu.
    free_text_first = True
    #: The lines of one answer go out as one email.
    combine_replies = True

    def verify(self, request: HttpRequest, config: Any) -> None:
        secret = config.secret("webhook_secret")
        header = request.headers.get("X-Tellsafe-Signature", "")
        if not secret or not header:
            raise SignatureError
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, header.lower()):
            raise SignatureError

    def parse(self, request: HttpRequest, config: Any) -> list[Any]:
        try:
            mail = json.loads(request.body)
            message_id = str(mail["message_id"])
            sender = parseaddr(str(mail["from"]))[1]
        except (ValueError, TypeError, KeyError) as exc:
            raise PayloadError("expected message_id, from, subject and text") from exc
        if "@" not in sender:
            raise PayloadError("from is not an email address")
        if not message_id.strip():
            # Without its own id, every such email would look like a redelivery of one.
            raise PayloadError("message_id is empty")
        local, _at, domain = sender.rpartition("@")
        subject = str(mail.get("subject", ""))[:300]
        text = str(mail.get("text", ""))
        # Drop the quoted history of a reply: the child's new words come first.
        text = re.split(r"\n(?:On .+ wrote:|>)", text, maxsplit=1)[0].strip()
        # One person, one conversation: mail systems treat addresses case-insensitively.
        return [
            InboundEvent(
                provider_id=message_id[:128],
                contact=f"{local}@{domain}".lower(),
                text=text,
                subject=subject,
                media=hash_attachments(mail.get("attachments")),
            )
        ]

    def send(self, config: Any, message: Outgoing, http: Any) -> str:
        message_id = make_msgid(domain=config.settings.get("domain", "tellsafe.invalid"))
        found = REFERENCE.search(message.body)
        subject = message.subject or (
            f"Your report [{found.group(1)}]" if found else "Your message to us"
        )
        body = message.body
        if message.options:
            body += "\n\n" + "\n".join(
                f"{i}. {label}" for i, (_v, label) in enumerate(message.options, 1)
            )
        mail = EmailMessage(
            subject=subject,
            body=body,
            to=[message.to],
            from_email=config.settings.get("from") or None,
            headers={"Message-ID": message_id},
        )
        mail.send(fail_silently=False)
        return message_id

    def contact_kind(self, config: Any = None) -> str:
        return "email"
