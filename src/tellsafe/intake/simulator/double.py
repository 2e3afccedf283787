"""The provider double: the WhatsApp Graph, Twilio and Telegram Bot APIs, as far as
tellsafe uses them, as a small HTTP server on 127.0.0.1 that records what the server
sends and can post delivery status callbacks back."""

from __future__ import annotations

import base64
import hmac
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tellsafe.intake.simulator.common import DEFAULT_PORT
from tellsafe.intake.simulator.payloads import _counter, new_twilio_sid, new_wamid

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
