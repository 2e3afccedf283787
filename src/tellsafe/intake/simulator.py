"""Chat with a local tellsafe from a terminal, as a reporter on WhatsApp, SMS (Twilio),
Telegram, email or USSD (``tellsafe simulate``; docs/channels.md).

Each line typed becomes the payload the real provider would POST to our webhook, signed
the way that provider signs it, and is sent to the local server. A small provider double
(an HTTP server on 127.0.0.1) stands in for the providers' APIs: it takes the messages
the server sends, answers as the provider would, prints them, and can post delivery
status callbacks back. Everything here talks to loopback addresses only.

The payload builders are plain functions, so tests can sign, tamper and post them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import itertools
import json
import re
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TextIO
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

DEFAULT_URL = "http://127.0.0.1:8000"
DEFAULT_PORT = 8765
#: What a developer types (``sms``) and the plugin that handles it (``twilio``).
KINDS = {
    "whatsapp": "whatsapp",
    "sms": "twilio",
    "twilio": "twilio",
    "telegram": "telegram",
    "email": "email",
    "ussd": "ussd",
}
USSD_SERVICE_CODE = "*384*1234#"
WABA_ID = "100000000000009"  # the WhatsApp Business Account id in our fake webhooks
COMMANDS = ("/quit", "/button", "/photo", "/newuser", "/help")
HELP = """Type a message and press Enter. Simulator commands:
  /button <id>   tap a button (WhatsApp reply button, Telegram inline button)
  /photo [text]  send a picture (a fake media id and sha256 only; no bytes)
  /newuser       become a new reporter (a new address; USSD: a new session)
  /help          this help
  /quit          leave (Ctrl-D too)
Any other line starting with "/" (like Telegram's /start) is sent as text."""


class SimulatorError(Exception):
    """Something the developer must fix: a non-local URL, an unknown channel..."""


# --- where we may talk ------------------------------------------------------------------


def is_loopback_host(host: str) -> bool:
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or bool(mapped and mapped.is_loopback)


def require_loopback(url: str) -> str:
    """``url`` without a trailing slash, if it is an http(s) URL on this machine (127.0.0.0/8,
    ::1 or localhost); SimulatorError otherwise. The simulator never talks to anything
    else: it must not be pointed at a real deployment."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SimulatorError(f"--url must be an http:// URL, not {url!r}")
    if not is_loopback_host(parts.hostname) or parts.username or parts.password:
        raise SimulatorError(
            f"--url must be on this machine (127.0.0.0/8, ::1 or localhost), not {url!r}: "
            "the simulator only talks to a local instance."
        )
    if parts.query or parts.fragment or parts.path.strip("/"):
        raise SimulatorError(f"--url is the server's base URL, like {DEFAULT_URL}")
    return f"{parts.scheme}://{parts.netloc}"


# --- channel settings -----------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelInfo:
    """The secrets and settings of the channel the simulator plays the provider of."""

    plugin: str
    slug: str
    secrets: dict[str, str]
    settings: dict[str, Any]

    def secret(self, name: str) -> str:
        return str(self.secrets.get(name, ""))


def demo_channel(plugin: str) -> ChannelInfo:
    from tellsafe.intake.demo_channels import DEMO_CHANNELS

    channel_secrets, channel_settings = DEMO_CHANNELS[plugin]
    return ChannelInfo(plugin, "demo", dict(channel_secrets), dict(channel_settings))


def load_channel(plugin: str, slug: str) -> ChannelInfo:
    """The channel as configured in the database (the server's own), or the built-in demo
    channel when the database cannot be read and ``slug`` is "demo"."""
    try:
        from tellsafe.intake.models import ChannelConfig

        config = ChannelConfig.objects.filter(plugin=plugin, slug=slug).first()
        if config is not None:
            return ChannelInfo(
                plugin, slug, json.loads(config.secrets or "{}"), dict(config.settings or {})
            )
    except Exception:  # no database, no keys, no migrations: fall back to the demo
        config = None
    if slug == "demo":
        return demo_channel(plugin)
    raise SimulatorError(f"no {plugin} channel {slug!r} in the database")


def credentials_for(info: ChannelInfo) -> dict[str, dict[str, str]]:
    """What the provider double should insist on, as the real API would."""
    if info.plugin == "whatsapp":
        return {
            "whatsapp": {
                "access_token": info.secret("access_token"),
                "phone_number_id": str(info.settings.get("phone_number_id", "")),
            }
        }
    if info.plugin == "twilio":
        return {
            "twilio": {
                "account_sid": info.secret("account_sid"),
                "auth_token": info.secret("auth_token"),
            }
        }
    if info.plugin == "telegram":
        return {"telegram": {"bot_token": info.secret("bot_token")}}
    return {}


# --- signatures --------------------------------------------------------------------------


def whatsapp_signature(raw: bytes, app_secret: str) -> str:
    """X-Hub-Signature-256: HMAC-SHA256 of the raw body with the Meta app secret."""
    return "sha256=" + hmac.new(app_secret.encode(), raw, hashlib.sha256).hexdigest()


def twilio_signature(url: str, params: Iterable[tuple[str, str]], auth_token: str) -> str:
    """X-Twilio-Signature: base64 HMAC-SHA1 of the URL Twilio was given, followed by each
    POST parameter name and value, sorted by name (and values of one name sorted)."""
    grouped: dict[str, list[str]] = {}
    for name, value in params:
        grouped.setdefault(name, []).append(value)
    data = url + "".join(
        name + value for name in sorted(grouped) for value in sorted(grouped[name])
    )
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def email_signature(raw: bytes, webhook_secret: str) -> str:
    """X-Tellsafe-Signature: hex HMAC-SHA256 of the raw JSON body."""
    return hmac.new(webhook_secret.encode(), raw, hashlib.sha256).hexdigest()


# --- provider payloads ----------------------------------------------------------------------

_counter = itertools.count(1)


def _now() -> str:
    return str(int(time.time()))


def new_wamid() -> str:
    return "wamid." + base64.b64encode(uuid.uuid4().bytes + uuid.uuid4().bytes[:8]).decode()


def new_twilio_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex  # 34 characters, as Twilio's


def fake_media() -> tuple[str, str, bytes]:
    """A fake media id and the base64 SHA-256 WhatsApp reports, of made-up bytes."""
    content = b"simulated picture " + secrets.token_bytes(16)
    digest = base64.b64encode(hashlib.sha256(content).digest()).decode()
    return str(10**15 + secrets.randbelow(9 * 10**15)), digest, content


def whatsapp_envelope(phone_number_id: str, value: dict[str, Any]) -> dict[str, Any]:
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": WABA_ID,
                "changes": [
                    {
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550000001",
                                "phone_number_id": phone_number_id,
                            },
                            **value,
                        },
                        "field": "messages",
                    }
                ],
            }
        ],
    }


def whatsapp_message(
    phone_number_id: str, sender: str, message: dict[str, Any], name: str = "Simulated reporter"
) -> dict[str, Any]:
    """A Cloud API webhook carrying one message from ``sender`` (digits, no "+")."""
    body = {"from": sender, "id": new_wamid(), "timestamp": _now(), **message}
    return whatsapp_envelope(
        phone_number_id,
        {"contacts": [{"profile": {"name": name}, "wa_id": sender}], "messages": [body]},
    )


def whatsapp_text(phone_number_id: str, sender: str, text: str) -> dict[str, Any]:
    return whatsapp_message(phone_number_id, sender, {"type": "text", "text": {"body": text}})


def whatsapp_button(
    phone_number_id: str, sender: str, button_id: str, title: str, context: str = ""
) -> dict[str, Any]:
    message: dict[str, Any] = {
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": button_id, "title": title}},
    }
    if context:
        message["context"] = {"from": "15550000001", "id": context}
    return whatsapp_message(phone_number_id, sender, message)


def whatsapp_image(
    phone_number_id: str, sender: str, media_id: str, sha256: str, caption: str = ""
) -> dict[str, Any]:
    image = {"mime_type": "image/jpeg", "sha256": sha256, "id": media_id}
    if caption:
        image["caption"] = caption
    return whatsapp_message(phone_number_id, sender, {"type": "image", "image": image})


def whatsapp_status(
    phone_number_id: str, wamid: str, recipient: str, status: str
) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": _now(),
        "recipient_id": recipient,
    }
    if status != "read":
        entry["conversation"] = {"id": uuid.uuid4().hex, "origin": {"type": "service"}}
        entry["pricing"] = {"billable": True, "pricing_model": "CBP", "category": "service"}
    return whatsapp_envelope(phone_number_id, {"statuses": [entry]})


def twilio_sms(
    *, account_sid: str, sender: str, to: str, body: str, media: list[tuple[str, str]] | None = None
) -> list[tuple[str, str]]:
    """The form Twilio POSTs for an incoming SMS/MMS; ``media`` is (url, content type)."""
    media = media or []
    sid = new_twilio_sid("MM" if media else "SM")
    params = [
        ("ToCountry", "US"),
        ("SmsMessageSid", sid),
        ("NumMedia", str(len(media))),
        ("SmsSid", sid),
        ("SmsStatus", "received"),
        ("Body", body),
        ("FromCountry", "IN"),
        ("To", to),
        ("NumSegments", "1"),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]
    for i, (url, content_type) in enumerate(media):
        params += [(f"MediaContentType{i}", content_type), (f"MediaUrl{i}", url)]
    return params


def twilio_status(
    *, account_sid: str, sid: str, sender: str, to: str, status: str
) -> list[tuple[str, str]]:
    """Twilio's status callback for a message we sent."""
    return [
        ("SmsSid", sid),
        ("SmsStatus", status),
        ("MessageStatus", status),
        ("To", to),
        ("MessageSid", sid),
        ("AccountSid", account_sid),
        ("From", sender),
        ("ApiVersion", "2010-04-01"),
    ]


def _telegram_user(chat_id: int) -> dict[str, Any]:
    return {"id": chat_id, "is_bot": False, "first_name": "Simulated", "language_code": "en"}


def telegram_message(chat_id: int, text: str = "", **extra: Any) -> dict[str, Any]:
    message: dict[str, Any] = {
        "message_id": next(_counter),
        "from": _telegram_user(chat_id),
        "chat": {"id": chat_id, "first_name": "Simulated", "type": "private"},
        "date": int(time.time()),
    }
    if text:
        message["text"] = text
    message.update(extra)
    return {"update_id": 100_000_000 + next(_counter), "message": message}


def telegram_photo(chat_id: int, caption: str = "") -> dict[str, Any]:
    unique = secrets.token_urlsafe(12)
    sizes = [
        {
            "file_id": f"AgACAgIAAxkBAAI{unique}{n}",
            "file_unique_id": f"AQAD{unique}{n}",
            "file_size": size,
            "width": width,
            "height": width,
        }
        for n, (size, width) in enumerate([(1200, 90), (15000, 320), (60000, 800)])
    ]
    extra: dict[str, Any] = {"photo": sizes}
    if caption:
        extra["caption"] = caption
    return telegram_message(chat_id, **extra)


def telegram_callback(
    chat_id: int, data: str, message_id: int = 1, message_text: str = ""
) -> dict[str, Any]:
    return {
        "update_id": 100_000_000 + next(_counter),
        "callback_query": {
            "id": str(4_000_000_000 + next(_counter)),
            "from": _telegram_user(chat_id),
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "text": message_text,
            },
            "chat_instance": str(-chat_id),
            "data": data,
        },
    }


def email_message(
    sender: str, text: str, subject: str = "Help", in_reply_to: str = ""
) -> dict[str, Any]:
    """The JSON an inbound-parse relay posts for one email."""
    return {
        "message_id": f"<{uuid.uuid4().hex}@simulator.invalid>",
        "from": f"Simulated reporter <{sender}>",
        "subject": subject,
        "text": text,
        "in_reply_to": in_reply_to,
    }


def ussd_form(session_id: str, phone: str, text: str) -> list[tuple[str, str]]:
    """What Africa's Talking posts for one screen: ``text`` is every input so far."""
    return [
        ("sessionId", session_id),
        ("serviceCode", USSD_SERVICE_CODE),
        ("phoneNumber", phone),
        ("networkCode", "40401"),
        ("text", text),
    ]


# --- addresses --------------------------------------------------------------------------


def new_address(plugin: str) -> str:
    """A fresh made-up reporter address of the channel's kind."""
    if plugin == "telegram":
        return str(100_000_000 + secrets.randbelow(900_000_000))
    if plugin == "email":
        return f"reporter{secrets.randbelow(10**6):06d}@example.org"
    number = f"9198{secrets.randbelow(10**8):08d}"  # an Indian mobile number
    return number if plugin == "whatsapp" else f"+{number}"


def normalise_address(plugin: str, address: str) -> str:
    address = address.strip()
    if plugin == "telegram":
        if not re.fullmatch(r"-?\d{1,15}", address):
            raise SimulatorError("--from on Telegram is a chat id (a number)")
        return address
    if plugin == "email":
        if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address):
            raise SimulatorError("--from on email is an address, like child@example.org")
        return address
    digits = re.sub(r"[\s().-]", "", address)
    if not re.fullmatch(r"\+?\d{6,15}", digits):
        raise SimulatorError("--from is a phone number in international form, like +919812345678")
    digits = digits.lstrip("+")
    return digits if plugin == "whatsapp" else f"+{digits}"


# --- the provider double ----------------------------------------------------------------


@dataclass
class Received:
    """One message the server sent to a provider's API."""

    provider: str  # whatsapp, twilio, telegram
    to: str
    text: str
    buttons: list[tuple[str, str]] = field(default_factory=list)  # (id, label)
    template: str = ""
    provider_id: str = ""
    path: str = ""
    body: dict[str, Any] = field(default_factory=dict)


def _graph_error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "error": {
            "message": message,
            "type": "OAuthException",
            "code": code,
            "fbtrace_id": uuid.uuid4().hex[:24],
        }
    }


def _twilio_error(status: int, code: int, message: str) -> tuple[int, dict[str, Any]]:
    return status, {
        "code": code,
        "message": message,
        "status": status,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
    }


def _telegram_error(status: int, description: str) -> tuple[int, dict[str, Any]]:
    return status, {"ok": False, "error_code": status, "description": description}


class ProviderDouble:
    """The WhatsApp Graph, Twilio and Telegram Bot APIs, as far as tellsafe uses them, on
    127.0.0.1:<port>. Thread-safe: ``received()`` and ``wait_for()`` may be called from
    any thread while the server thread records messages.

    ``credentials`` (see credentials_for) makes it refuse wrong tokens as the real API
    would. With ``statuses``, each message accepted gets delivery status callbacks through
    ``status_sink``: after ``status_delay`` seconds, or, with ``status_delay=None``, when
    ``flush_statuses()`` is called (tests)."""

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        *,
        credentials: dict[str, dict[str, str]] | None = None,
        statuses: bool = False,
        status_delay: float | None = 1.0,
        on_message: Callable[[Received], None] | None = None,
    ) -> None:
        self.requested_port = port
        self.credentials = credentials or {}
        self.statuses = statuses
        self.status_delay = status_delay
        self.on_message = on_message
        self.status_sink: Callable[[Received], None] | None = None
        self._received: list[Received] = []
        self._pending: list[Received] = []
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> ProviderDouble:
        double = self

        class Handler(BaseHTTPRequestHandler):
            server_version = "provider-double/1.0"

            def log_message(self, format: str, *args: Any) -> None:
                return  # the terminal is for the conversation

            def _answer(self, status: int, payload: Any) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    status, payload = double.handle(self.path, dict(self.headers.items()), raw)
                except Exception as exc:  # a bug here must not look like a provider answer
                    status, payload = 500, {"error": f"provider double: {exc!r}"}
                self._answer(status, payload)

            def do_GET(self) -> None:
                self._answer(404, {"error": "not found"})

        server = ThreadingHTTPServer(("127.0.0.1", self.requested_port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, name="provider-double", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the provider double is not running")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # what was received

    def received(self) -> list[Received]:
        with self._changed:
            return list(self._received)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Received]:
        """Wait until at least ``count`` messages arrived; return them all."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._received) >= count, timeout)
            return list(self._received)

    def clear(self) -> None:
        with self._changed:
            self._received.clear()

    def flush_statuses(self) -> int:
        """Post the status callbacks held back (``status_delay=None``)."""
        with self._changed:
            pending, self._pending = self._pending, []
        for message in pending:
            self._post_status(message)
        return len(pending)

    def _record(self, message: Received) -> None:
        with self._changed:
            self._received.append(message)
            if self.statuses and self.status_delay is None:
                self._pending.append(message)
            self._changed.notify_all()
        if self.on_message is not None:
            self.on_message(message)
        if self.statuses and self.status_delay is not None:
            timer = threading.Timer(self.status_delay, self._post_status, (message,))
            timer.daemon = True
            timer.start()

    def _post_status(self, message: Received) -> None:
        if self.status_sink is not None:
            self.status_sink(message)

    # the APIs

    def handle(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, Any]:
        route = urlsplit(path).path
        if match := re.fullmatch(r"/(v\d+\.\d+)/([^/]+)/messages", route):
            return self._whatsapp(route, match.group(2), headers, raw)
        if match := re.fullmatch(r"/2010-04-01/Accounts/([^/]+)/Messages\.json", route):
            return self._twilio(route, match.group(1), headers, raw)
        if match := re.fullmatch(r"/bot([^/]+)/(\w+)", route):
            return self._telegram(match.group(1), match.group(2), raw)
        return 404, {"error": f"the provider double has no {route}"}

    def _whatsapp(
        self, route: str, phone_number_id: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        expected = self.credentials.get("whatsapp")
        lower = {k.lower(): v for k, v in headers.items()}
        if expected:
            token = lower.get("authorization", "").removeprefix("Bearer ")
            if not hmac.compare_digest(token.encode(), expected["access_token"].encode()):
                return _graph_error(401, 190, "Invalid OAuth access token.")
            if expected.get("phone_number_id") and phone_number_id != expected["phone_number_id"]:
                return _graph_error(
                    400,
                    100,
                    f"Unsupported post request. Object with ID '{phone_number_id}' does not exist",
                )
        try:
            body = json.loads(raw)
        except ValueError:
            return _graph_error(400, 100, "Invalid JSON")
        if not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return _graph_error(400, 100, "The parameter messaging_product is required.")
        to = str(body.get("to") or body.get("recipient") or "")
        if not to:
            return _graph_error(400, 100, "The parameter to is required.")
        kind = body.get("type", "text")
        buttons: list[tuple[str, str]] = []
        template = ""
        if kind == "text":
            text = str((body.get("text") or {}).get("body", ""))
            if not text or len(text) > 4096:
                return _graph_error(400, 100, "Param text['body'] must be 1-4096 characters")
        elif kind == "interactive":
            interactive = body.get("interactive") or {}
            text = str((interactive.get("body") or {}).get("text", ""))
            action = interactive.get("action") or {}
            if interactive.get("type") == "button":
                buttons = [
                    (str(b["reply"]["id"]), str(b["reply"]["title"]))
                    for b in action.get("buttons", [])
                ]
                if not 1 <= len(buttons) <= 3:
                    return _graph_error(
                        400, 131009, "Parameter value is not valid: buttons must be 1 to 3"
                    )
                if any(not title or len(title) > 20 for _id, title in buttons):
                    return _graph_error(
                        400,
                        131009,
                        "Parameter value is not valid: button title length must be 1-20",
                    )
                if len({i for i, _t in buttons}) != len(buttons) or len(
                    {t for _i, t in buttons}
                ) != len(buttons):
                    return _graph_error(
                        400,
                        131009,
                        "Parameter value is not valid: button ids and titles must be unique",
                    )
            elif interactive.get("type") == "list":
                buttons = [
                    (str(row["id"]), str(row["title"]))
                    for section in action.get("sections", [])
                    for row in section.get("rows", [])
                ]
            if not text or len(text) > 1024:
                return _graph_error(
                    400, 131009, "Parameter value is not valid: body text must be 1-1024 characters"
                )
        elif kind == "template":
            spec = body.get("template") or {}
            template = str(spec.get("name", ""))
            if not template:
                return _graph_error(400, 132000, "Template name is required")
            params = [
                str(p.get("text", ""))
                for c in spec.get("components", [])
                for p in c.get("parameters", [])
            ]
            if any(re.search(r"[\n\t]| {5,}", p) for p in params):
                return _graph_error(
                    400,
                    132018,
                    "(#132018) There was an issue with the parameters in your template: "
                    "Param text cannot have new-line/tab characters or more than 4 "
                    "consecutive spaces",
                )
            text = " ".join(params)
        else:
            return _graph_error(400, 100, f"The simulator does not show type {kind!r}")
        wamid = new_wamid()
        self._record(Received("whatsapp", to, text, buttons, template, wamid, route, body))
        return 200, {
            "messaging_product": "whatsapp",
            "contacts": [{"input": to, "wa_id": to.lstrip("+")}],
            "messages": [{"id": wamid}],
        }

    def _twilio(
        self, route: str, account_sid: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any]:
        expected = self.credentials.get("twilio")
        if expected:
            lower = {k.lower(): v for k, v in headers.items()}
            auth = lower.get("authorization", "")
            try:
                user, _sep, password = (
                    base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
                )
            except ValueError:
                user = password = ""
            if not (
                account_sid == expected["account_sid"] == user
                and hmac.compare_digest(password.encode(), expected["auth_token"].encode())
            ):
                return _twilio_error(401, 20003, "Authenticate")
        form = dict(parse_qsl(raw.decode(errors="replace"), keep_blank_values=True))
        if not form.get("To"):
            return _twilio_error(400, 21604, "A 'To' phone number is required.")
        if not form.get("From") and not form.get("MessagingServiceSid"):
            return _twilio_error(400, 21603, "A 'From' phone number is required.")
        body = form.get("Body", "")
        if not body and not form.get("MediaUrl"):
            return _twilio_error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return _twilio_error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        sid = new_twilio_sid()
        self._record(Received("twilio", form["To"], body, provider_id=sid, path=route, body=form))
        return 201, {
            "sid": sid,
            "account_sid": account_sid,
            "to": form["To"],
            "from": form.get("From"),
            "body": body,
            "status": "queued",
            "num_segments": str(max(1, -(-len(body) // 153))),
            "direction": "outbound-api",
            "api_version": "2010-04-01",
            "uri": f"/2010-04-01/Accounts/{account_sid}/Messages/{sid}.json",
        }

    def _telegram(self, token: str, method: str, raw: bytes) -> tuple[int, Any]:
        expected = self.credentials.get("telegram")
        if expected and not hmac.compare_digest(token.encode(), expected["bot_token"].encode()):
            return _telegram_error(401, "Unauthorized")
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return _telegram_error(400, "Bad Request: can't parse JSON")
        if method in ("setWebhook", "deleteWebhook"):
            return 200, {"ok": True, "result": True, "description": "Webhook was set"}
        if method == "answerCallbackQuery":
            return 200, {"ok": True, "result": True}
        if method == "getMe":
            return 200, {
                "ok": True,
                "result": {
                    "id": int(token.split(":")[0] or 0),
                    "is_bot": True,
                    "first_name": "Demo",
                    "username": "tellsafe_demo_bot",
                },
            }
        if method != "sendMessage":
            return _telegram_error(404, "Not Found: method not found")
        chat_id = body.get("chat_id")
        text = str(body.get("text") or "")
        if chat_id in (None, ""):
            return _telegram_error(400, "Bad Request: chat_id is empty")
        if not text.strip():
            return _telegram_error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _telegram_error(400, "Bad Request: message is too long")
        buttons: list[tuple[str, str]] = []
        for row in (body.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                data = str(button.get("callback_data", ""))
                if not 1 <= len(data.encode()) <= 64 or not button.get("text"):
                    return _telegram_error(400, "Bad Request: BUTTON_DATA_INVALID")
                buttons.append((data, str(button["text"])))
        message_id = next(_counter)
        self._record(
            Received(
                "telegram",
                str(chat_id),
                text,
                buttons,
                provider_id=str(message_id),
                path=f"/bot<token>/{method}",
                body=body,
            )
        )
        return 200, {
            "ok": True,
            "result": {
                "message_id": message_id,
                "from": {
                    "id": int(token.split(":")[0]) if token.split(":")[0].isdigit() else 1,
                    "is_bot": True,
                    "first_name": "Demo",
                    "username": "tellsafe_demo_bot",
                },
                "chat": {"id": chat_id, "type": "private"},
                "date": int(time.time()),
                "text": text,
                **({"reply_markup": body["reply_markup"]} if body.get("reply_markup") else {}),
            },
        }


# --- the simulator ---------------------------------------------------------------------------


@dataclass
class Built:
    """One webhook request, signed, ready to post (or to tamper with in a test)."""

    path: str  # with the query string, if any
    content: bytes
    headers: dict[str, str]


class Simulator:
    """One reporter on one channel, talking to the server at ``url``."""

    def __init__(
        self,
        kind: str,
        *,
        url: str = DEFAULT_URL,
        slug: str = "demo",
        sender: str = "",
        info: ChannelInfo | None = None,
        out: Callable[[str], None] | None = None,
        timeout: float = 30.0,
    ) -> None:
        if kind not in KINDS:
            raise SimulatorError(
                f"unknown channel {kind!r}: choose one of "
                f"{', '.join(sorted(set(KINDS) - {'twilio'}))}"
            )
        if not re.fullmatch(r"[-a-zA-Z0-9_]{1,48}", slug):
            raise SimulatorError(f"not a channel slug: {slug!r}")
        self.kind = kind
        self.plugin = KINDS[kind]
        self.url = require_loopback(url)
        self.slug = slug
        self.info = info or load_channel(self.plugin, slug)
        self.sender = normalise_address(self.plugin, sender) if sender else new_address(self.plugin)
        self.out = out or print
        self.done = False
        self.last_request: Built | None = None
        self._lock = threading.Lock()
        self._buttons: dict[str, list[tuple[str, str]]] = {}  # recipient -> last buttons
        self._last_message: dict[str, Received] = {}
        self._emails = 0
        self.ussd_session = ""
        self.ussd_inputs: list[str] = []
        self._http = httpx.Client(timeout=timeout, trust_env=False, follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    @property
    def hook_path(self) -> str:
        return f"/hooks/{self.plugin}/{self.slug}/"

    def say(self, text: str) -> None:
        with self._lock:
            self.out(text)

    # building requests

    def _json(
        self, payload: dict[str, Any], header: str, value: Callable[[bytes], str], path: str = ""
    ) -> Built:
        raw = json.dumps(payload, ensure_ascii=False).encode()
        return Built(
            path or self.hook_path, raw, {"Content-Type": "application/json", header: value(raw)}
        )

    def _twilio_form(
        self, params: list[tuple[str, str]], path: str = "", signed_url: str = ""
    ) -> Built:
        path = path or self.hook_path
        signed_url = signed_url or self.twilio_url(path)
        signature = twilio_signature(signed_url, params, self.info.secret("auth_token"))
        return Built(
            path,
            urlencode(params).encode(),
            {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": signature,
                "I-Twilio-Idempotency-Token": uuid.uuid4().hex,
            },
        )

    def twilio_url(self, path: str) -> str:
        """The URL Twilio signs: the channel's public_url as configured (what Twilio was
        given), else the server's PUBLIC_URL and the hook's path, as the plugin checks."""
        public = self.info.settings.get("public_url")
        if public:
            return str(public)
        from django.conf import settings

        return f"{getattr(settings, 'PUBLIC_URL', DEFAULT_URL)}{path}"

    def _whatsapp(self, payload: dict[str, Any]) -> Built:
        return self._json(
            payload,
            "X-Hub-Signature-256",
            lambda raw: whatsapp_signature(raw, self.info.secret("app_secret")),
        )

    @property
    def _phone_number_id(self) -> str:
        return str(self.info.settings.get("phone_number_id", ""))

    def build_text(self, text: str) -> Built:
        if self.plugin == "whatsapp":
            return self._whatsapp(whatsapp_text(self._phone_number_id, self.sender, text))
        if self.plugin == "twilio":
            return self._twilio_form(
                twilio_sms(
                    account_sid=self.info.secret("account_sid"),
                    sender=self.sender,
                    to=str(self.info.settings.get("from", "")),
                    body=text,
                )
            )
        if self.plugin == "telegram":
            return self._telegram(telegram_message(int(self.sender), text))
        if self.plugin == "email":
            self._emails += 1
            subject = "Help" if self._emails == 1 else "Re: Your message to us"
            return self._json(
                email_message(self.sender, text, subject),
                "X-Tellsafe-Signature",
                lambda raw: email_signature(raw, self.info.secret("webhook_secret")),
            )
        return self.build_ussd(text)

    def _telegram(self, update: dict[str, Any]) -> Built:
        return self._json(
            update, "X-Telegram-Bot-Api-Secret-Token", lambda _raw: self.info.secret("secret_token")
        )

    def build_button(self, button_id: str) -> Built:
        with self._lock:
            last = self._last_message.get(self.sender)
            shown = dict(self._buttons.get(self.sender, []))
        if self.plugin == "whatsapp":
            title = shown.get(button_id, button_id)
            return self._whatsapp(
                whatsapp_button(
                    self._phone_number_id,
                    self.sender,
                    button_id,
                    title[:20],
                    context=last.provider_id if last else "",
                )
            )
        if self.plugin == "telegram":
            return self._telegram(
                telegram_callback(
                    int(self.sender),
                    button_id,
                    message_id=int(last.provider_id) if last and last.provider_id.isdigit() else 1,
                    message_text=last.text if last else "",
                )
            )
        raise SimulatorError(f"{self.kind} has no buttons: type the number instead")

    def build_photo(self, caption: str = "") -> Built:
        if self.plugin == "whatsapp":
            media_id, digest, _content = fake_media()
            return self._whatsapp(
                whatsapp_image(self._phone_number_id, self.sender, media_id, digest, caption)
            )
        if self.plugin == "telegram":
            return self._telegram(telegram_photo(int(self.sender), caption))
        if self.plugin == "twilio":
            sid = self.info.secret("account_sid")
            url = (
                f"https://api.twilio.com/2010-04-01/Accounts/{sid}/Messages/"
                f"{new_twilio_sid('MM')}/Media/{new_twilio_sid('ME')}"
            )
            return self._twilio_form(
                twilio_sms(
                    account_sid=sid,
                    sender=self.sender,
                    to=str(self.info.settings.get("from", "")),
                    body=caption,
                    media=[(url, "image/jpeg")],
                )
            )
        raise SimulatorError(f"{self.kind} cannot carry a picture here")

    def build_ussd(self, text: str) -> Built:
        params = ussd_form(self.ussd_session or self._new_session(), self.sender, text)
        key = self.info.secret("path_key")
        return Built(
            f"{self.hook_path}?{urlencode({'key': key})}",
            urlencode(params).encode(),
            {"Content-Type": "application/x-www-form-urlencoded"},
        )

    def build_statuses(self, message: Received) -> list[Built]:
        """The delivery callbacks the provider would post for ``message``."""
        if message.provider == "whatsapp" and self.plugin == "whatsapp":
            return [
                self._whatsapp(
                    whatsapp_status(
                        self._phone_number_id, message.provider_id, message.to.lstrip("+"), status
                    )
                )
                for status in ("sent", "delivered", "read")
            ]
        if message.provider == "twilio" and self.plugin == "twilio":
            callback = str(message.body.get("StatusCallback") or "") or self.twilio_url(
                self.hook_path
            )
            parts = urlsplit(callback)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            sender = str(message.body.get("From", ""))
            steps = ["sent", "delivered"] + (["read"] if sender.startswith("whatsapp:") else [])
            return [
                self._twilio_form(
                    twilio_status(
                        account_sid=self.info.secret("account_sid"),
                        sid=message.provider_id,
                        sender=sender,
                        to=message.to,
                        status=status,
                    ),
                    path=path,
                    signed_url=callback,
                )
                for status in steps
            ]
        return []

    # sending

    def post(self, built: Built) -> httpx.Response:
        self.last_request = built
        return self._http.post(self.url + built.path, content=built.content, headers=built.headers)

    def post_statuses(self, message: Received) -> None:
        """Status sink of the provider double: post sent/delivered/read, in order."""
        for built in self.build_statuses(message):
            try:
                with httpx.Client(timeout=10.0, trust_env=False) as client:
                    answer = client.post(
                        self.url + built.path, content=built.content, headers=built.headers
                    )
            except httpx.HTTPError as exc:
                self.say(f"  (status callback not delivered: {exc})")
                return
            if answer.status_code >= 300:
                self.say(f"  (status callback refused: HTTP {answer.status_code})")
                return

    def send(self, line: str) -> httpx.Response | None:
        """Act on one typed line: a simulator command, or a message. Returns the server's
        answer to the last request made (None when nothing was posted)."""
        line = line.rstrip("\r\n")
        word, _space, rest = line.strip().partition(" ")
        try:
            if word == "/quit":
                self.done = True
                return None
            if word == "/help":
                self.say(HELP)
                return None
            if word == "/newuser":
                self.sender = new_address(self.plugin)
                self.ussd_session, self.ussd_inputs = "", []
                self.say(f"(you are now {self.sender})")
                return None
            if word == "/button":
                if not rest.strip():
                    self.say("(say which button: /button <id>)")
                    return None
                return self._deliver(self.build_button(rest.strip()))
            if word == "/photo":
                return self._deliver(self.build_photo(rest.strip()))
        except SimulatorError as exc:
            self.say(f"({exc})")
            return None
        if self.plugin == "ussd":
            return self.ussd(line.strip())
        if not line.strip():
            return None
        return self._deliver(self.build_text(line))

    def _deliver(self, built: Built) -> httpx.Response | None:
        try:
            answer = self.post(built)
        except httpx.HTTPError as exc:
            self.say(f"(cannot reach {self.url}: {exc}. Is the server running (make run)?)")
            return None
        if answer.status_code >= 300:
            self.say(f"(the server answered HTTP {answer.status_code}: {answer.text[:200]})")
        return answer

    # USSD: the answer comes back in the response

    def _new_session(self) -> str:
        self.ussd_session = "ATUid_" + uuid.uuid4().hex
        self.ussd_inputs = []
        return self.ussd_session

    def dial(self) -> httpx.Response | None:
        """Start a USSD session, as dialling the service code does."""
        self._new_session()
        self.say(f"(dialling {USSD_SERVICE_CODE})")
        return self._ussd_screen(self.build_ussd(""))

    def ussd(self, line: str) -> httpx.Response | None:
        answer = None
        if not self.ussd_session:
            answer = self.dial()
            if not line or not self.ussd_session:
                return answer
        if not line:
            return answer
        self.ussd_inputs.append(line)
        return self._ussd_screen(self.build_ussd("*".join(self.ussd_inputs)))

    def _ussd_screen(self, built: Built) -> httpx.Response | None:
        answer = self._deliver(built)
        if answer is None or answer.status_code >= 300:
            self.ussd_session, self.ussd_inputs = "", []
            return answer
        text = answer.text
        self.say(text)
        if not text.startswith("CON"):
            self.ussd_session, self.ussd_inputs = "", []
            self.say("(session ended; the next line dials again)")
        return answer

    # what the provider double received

    def show(self, message: Received) -> None:
        """Print a message the server sent (the double's on_message)."""
        with self._lock:
            self._last_message[message.to] = message
            self._buttons[message.to] = message.buttons
        where = (
            ""
            if message.to.lstrip("+").removeprefix("whatsapp:").lstrip("+")
            == self.sender.lstrip("+")
            else f" → {message.to}"
        )
        label = {"twilio": "SMS", "whatsapp": "WhatsApp", "telegram": "Telegram"}.get(
            message.provider, message.provider
        )
        head = f"tellsafe ({label}{where})"
        if message.template:
            head += f" [template {message.template}]"
        lines = message.text.splitlines() or [""]
        text = f"{head}: {lines[0]}" + "".join(f"\n    {line}" for line in lines[1:])
        for n, (button_id, title) in enumerate(message.buttons, 1):
            text += f"\n  {n}. {title}   (/button {button_id})"
        self.say(text)

    def attach(self, double: ProviderDouble) -> None:
        double.on_message = self.show
        double.status_sink = self.post_statuses


def run(
    kind: str,
    *,
    url: str = DEFAULT_URL,
    slug: str = "demo",
    sender: str = "",
    port: int = DEFAULT_PORT,
    statuses: bool = False,
    stdin: TextIO,
    out: Callable[[str], None],
) -> None:
    """The ``tellsafe simulate`` loop: read lines until /quit or end of input."""
    simulator = Simulator(kind, url=url, slug=slug, sender=sender, out=out)
    double = ProviderDouble(port, credentials=credentials_for(simulator.info), statuses=statuses)
    try:
        double.start()
    except OSError as exc:
        if simulator.plugin in ("whatsapp", "twilio", "telegram"):
            simulator.close()
            raise SimulatorError(
                f"cannot listen on 127.0.0.1:{port} ({exc}). Is another "
                "simulator running? Choose another --port."
            ) from exc
        out(f"(no provider double on 127.0.0.1:{port}: {exc})")
        double = None  # type: ignore[assignment]
    try:
        if double is not None:
            simulator.attach(double)
        _banner(simulator, double)
        if simulator.plugin == "ussd":
            simulator.dial()
        while not simulator.done:
            line = stdin.readline()
            if not line:
                break
            simulator.send(line)
    except KeyboardInterrupt:
        pass
    finally:
        if double is not None:
            double.stop()
        simulator.close()
    out("(bye)")


def _banner(simulator: Simulator, double: ProviderDouble | None) -> None:
    out = simulator.say
    out(
        f"tellsafe simulator: {simulator.kind} as {simulator.sender} → "
        f"{simulator.url}{simulator.hook_path}"
    )
    api_base = str(simulator.info.settings.get("api_base", "")).rstrip("/")
    if double is not None:
        out(f"provider double on {double.url}")
        if simulator.plugin in ("whatsapp", "twilio", "telegram") and api_base != double.url:
            out(
                f"(warning: this channel sends its messages to {api_base or 'the real API'}, "
                f"not to {double.url}: the answers will not show here)"
            )
    if simulator.plugin == "email":
        out(
            "Email answers go out by SMTP, not to this terminal: with `make run` (the "
            "console email backend) they appear in the server's log, in the terminal "
            "where `make run` runs (the worker prints each email there)."
        )
    if simulator.plugin == "ussd":
        out("USSD answers come back at once: CON asks for more, END closes the session.")
    out(HELP)
