"""Messaging channel plugins. Each plugin is a class with a stable ``name`` in a module of
its own; the registry checks at start-up that names are unique.

A plugin turns a provider's webhook into normalised events (after checking the
provider's signature in constant time), and sends our messages through the provider's
API with the one outbound HTTP client (core.http), so tests inject a transport and never
touch the network.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse


class SignatureError(Exception):
    """The webhook's signature (or secret token) is missing or wrong."""


class PayloadError(Exception):
    """The webhook's body is not what this provider sends."""


@dataclass(frozen=True)
class InboundEvent:
    """A message from a reporter, in our own words."""

    provider_id: str
    contact: str  # the address we reply to: E.164 phone, chat id, email, BSUID...
    text: str = ""
    choice: str = ""  # the id of a button or list row the reporter tapped
    media: list[dict[str, Any]] = field(default_factory=list)  # hashes only, never bytes
    location: dict[str, float] | None = None
    language_hint: str = ""  # provider locale, if any
    username_only: bool = False  # e.g. a WhatsApp user known only by username
    session: str = ""  # USSD session id
    subject: str = ""  # email subject


@dataclass(frozen=True)
class StatusEvent:
    """A delivery update for something we sent."""

    provider_id: str
    status: str  # sent, delivered, read, failed
    error: str = ""


@dataclass
class Outgoing:
    """What the engine wants to say; the plugin renders options as buttons where the
    channel has them, or as numbered lines."""

    to: str
    body: str
    options: list[tuple[str, str]] = field(default_factory=list)
    template: str = ""
    subject: str = ""
    language: str = ""  # the reporter's, for templates


class Channel:
    """Base class of channel plugins."""

    name = ""
    #: True when the provider waits for the reply in the webhook's answer (USSD).
    synchronous = False
    #: Buttons the channel can show at once (0 = none: numbered text).
    max_buttons = 0
    #: The longest button label the channel shows whole.
    max_button_title = 64
    #: A small screen (USSD): short questions and labels.
    compact = False

    def handshake(self, request: HttpRequest, config: Any) -> HttpResponse | None:
        """Answer a provider's GET verification, if it has one."""
        return None

    def verify(self, request: HttpRequest, config: Any) -> None:
        """Raise SignatureError unless the request is really from the provider."""
        raise NotImplementedError

    def parse(self, request: HttpRequest, config: Any) -> list[InboundEvent | StatusEvent]:
        """The events in a verified webhook; raise PayloadError on a malformed body."""
        raise NotImplementedError

    def acknowledge(
        self, events: list[Any], replies: list[Outgoing], finished: bool = False
    ) -> HttpResponse:
        """The webhook's answer. Synchronous channels carry ``replies`` in it, and say
        whether the session ends (``finished``)."""
        return HttpResponse(status=200)

    def send(self, config: Any, message: Outgoing, http: Any) -> str:
        """Send one message; return the provider's id. Raise on failure."""
        raise NotImplementedError

    def report_channel(self, config: Any = None) -> str:
        """The Report.channel of reports made here."""
        return self.name

    def contact_kind(self, config: Any = None) -> str:
        """Which ContactKind a reporter reached on this channel has."""
        return "none"


@functools.cache
def registry() -> dict[str, Channel]:
    from tellsafe.intake.channels.email import EmailChannel
    from tellsafe.intake.channels.telegram import TelegramChannel
    from tellsafe.intake.channels.twilio import TwilioChannel
    from tellsafe.intake.channels.ussd import UssdChannel
    from tellsafe.intake.channels.whatsapp import WhatsAppChannel

    plugins = [WhatsAppChannel(), TwilioChannel(), TelegramChannel(), EmailChannel(), UssdChannel()]
    names = [p.name for p in plugins]
    if len(set(names)) != len(names) or not all(names):
        raise RuntimeError(f"channel plugin names must be unique and non-empty: {names}")
    return {p.name: p for p in plugins}
