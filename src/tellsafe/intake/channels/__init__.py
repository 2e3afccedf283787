"""Messaging channel plugins. Each plugin is a class with a stable ``name`` in a module of
its own; the registry checks at start-up that names are unique.

A plugin turns a provider's webhook into normalised events (after checking the
provider's signature in constant time), sends our messages through the provider's API,
and downloads the media a reporter sent (``fetch_media``), all with the one outbound HTTP
client (core.http), so tests inject a transport and never touch the network.

Media are downloaded into memory only, with a cap, and hashed there by intake.media;
nothing here writes them anywhere.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
from django.conf import settings
from django.http import HttpRequest, HttpResponse

from tellsafe.core.http import ProviderError, check

#: Redirects a media download may follow (Twilio answers with one to its media store).
MAX_REDIRECTS = 3


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
    # The provider's reference to each media item (id, link, MIME type), or its hashes
    # when it arrived inline (email); never the bytes. intake.media fetches and hashes.
    media: list[dict[str, Any]] = field(default_factory=list)
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

    def fetch_media(self, config: Any, item: dict[str, Any], http: Any) -> bytes:
        """Download one media item the reporter sent (an entry of ``InboundEvent.media``)
        into memory, at most ``settings.HASH_UPLOAD_MAX_BYTES``. Raise ``ProviderError``:
        retryable for the provider's transient failures, not retryable for what will
        never work (unknown or expired media, too large)."""
        raise ProviderError("not_downloadable", retryable=False)

    def report_channel(self, config: Any = None) -> str:
        """The Report.channel of reports made here."""
        return self.name

    def contact_kind(self, config: Any = None) -> str:
        """Which ContactKind a reporter reached on this channel has."""
        return "none"


def media_limit() -> int:
    """The largest media item we download and hash, in bytes."""
    return int(settings.HASH_UPLOAD_MAX_BYTES)


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _check_url(url: str, api_base: str) -> None:
    """Media come over HTTPS; plain HTTP only from the configured API base itself (the
    provider double of a demo installation)."""
    scheme, host = _origin(url)
    if not host or (scheme != "https" and (scheme, host) != _origin(api_base)):
        raise ProviderError("bad_media_url", retryable=False)


def provider_json(response: httpx.Response) -> dict[str, Any]:
    """The JSON object of a provider's successful answer, else ``ProviderError``."""
    body = check(response)
    if not isinstance(body, dict):
        raise ProviderError("unexpected_answer", retryable=False)
    return body


def call(http: Any, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request to a provider's API; network trouble becomes a retryable
    ``ProviderError`` whose code never carries the URL (it may hold a token)."""
    try:
        return http.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise ProviderError("timeout") from exc
    except httpx.HTTPError as exc:
        raise ProviderError("network_error") from exc


def download(
    http: Any,
    url: str,
    *,
    api_base: str,
    headers: dict[str, str] | None = None,
    auth: tuple[str, str] | None = None,
    limit: int | None = None,
) -> bytes:
    """GET ``url`` into memory and return the bytes; never more than ``limit`` (default
    ``media_limit()``) are read, whatever the server claims or sends.

    ``headers`` and ``auth`` (the provider's credentials) go to ``url``'s own origin
    only: a redirect elsewhere (a media store's signed link) is followed without them.
    """
    limit = media_limit() if limit is None else limit
    for _hop in range(MAX_REDIRECTS + 1):
        _check_url(url, api_base)
        try:
            with http.stream("GET", url, headers=headers, auth=auth) as response:
                if response.is_redirect:
                    target = urljoin(url, response.headers["location"])
                    if _origin(target) != _origin(url):
                        headers, auth = None, None
                    url = target
                    continue
                if response.status_code >= 400:
                    status = response.status_code
                    raise ProviderError(f"http_{status}", retryable=status >= 500 or status == 429)
                try:
                    declared = int(response.headers.get("content-length", "0") or 0)
                except ValueError:
                    declared = 0
                if declared > limit:
                    raise ProviderError("too_large", retryable=False)
                # One growing buffer in memory: the bytes never touch a disk.
                buffer = bytearray()
                for chunk in response.iter_bytes():
                    buffer += chunk
                    if len(buffer) > limit:
                        raise ProviderError("too_large", retryable=False)
        except httpx.TimeoutException as exc:
            raise ProviderError("timeout") from exc
        except httpx.HTTPError as exc:
            raise ProviderError("network_error") from exc
        if not buffer:
            raise ProviderError("empty_media", retryable=False)
        return bytes(buffer)
    raise ProviderError("too_many_redirects", retryable=False)


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
