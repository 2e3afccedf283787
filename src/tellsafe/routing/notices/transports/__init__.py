"""Notice transports: how a notice reaches a partner. Each is a plugin with a stable
``name`` in a module of its own; ``registry()`` checks at start-up (``notices.checks``)
that names are unique. A partner's ``PartnerNoticeSettings.transport`` names one.

A transport gets a ``Message`` (the payload of ``payload.notice_payload``, which carries
only URLs, hashes, the basis and our reference, and the secure link) and either delivers
it or raises ``DeliveryError`` with a code that is safe to store and show. Retries,
backoff, events and audit are the caller's (``delivery``), so every transport gets them
the same way.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any


class DeliveryError(Exception):
    """Delivery failed. ``code`` (at most 200 characters, no personal data) is stored on
    the notice's timeline; ``retryable`` says whether trying again later may work."""

    def __init__(self, code: str, *, retryable: bool = True) -> None:
        super().__init__(code)
        self.code = code[:200]
        self.retryable = retryable


@dataclass(frozen=True)
class Message:
    """One message about a notice. ``event`` is ``notice`` (the first delivery) or
    ``reminder`` (``sequence`` is its number)."""

    event: str
    sequence: int
    payload: dict[str, Any]
    confirm_url: str
    schedule: str  # the reminder schedule in words, for people reading it

    @property
    def reference(self) -> str:
        return str(self.payload["reference"])

    @property
    def idempotency_key(self) -> str:
        """The same for every retry of one message, different for each message."""
        return f"{self.reference}:{self.event}:{self.sequence}"


@dataclass(frozen=True)
class Delivery:
    """A delivered message. ``pulled``: nothing was pushed, the partner fetches it."""

    provider_id: str = ""
    pulled: bool = False


class Transport:
    """Base class of transport plugins."""

    name = ""
    label = ""

    def configuration_errors(self, config: Any) -> dict[str, list[str]]:
        """What is missing or wrong in a partner's ``PartnerNoticeSettings`` for this
        transport, by field name; empty when it can deliver."""
        return {}

    def deliver(self, config: Any, message: Message) -> Delivery:
        """Deliver ``message`` to the partner; raise ``DeliveryError`` on failure."""
        raise NotImplementedError


def _check_names(plugins: tuple[Transport, ...]) -> dict[str, Transport]:
    names = [plugin.name for plugin in plugins]
    if len(set(names)) != len(names) or not all(names):
        raise RuntimeError(f"notice transport names must be unique and non-empty: {names}")
    return {plugin.name: plugin for plugin in plugins}


@functools.cache
def registry() -> dict[str, Transport]:
    from tellsafe.routing.notices.transports.api_pull import ApiPullTransport
    from tellsafe.routing.notices.transports.email import EmailTransport
    from tellsafe.routing.notices.transports.webhook import WebhookTransport

    return _check_names((EmailTransport(), WebhookTransport(), ApiPullTransport()))


def get(name: str) -> Transport:
    """The transport called ``name``; KeyError if there is none."""
    return registry()[name]


__all__ = ["Delivery", "DeliveryError", "Message", "Transport", "get", "registry"]
