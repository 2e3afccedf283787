"""The interactive simulator: one reporter on one channel, typing lines that become signed
webhook requests to a local server (loopback only), and the ``tellsafe simulate`` loop."""

from __future__ import annotations

import ipaddress
import json
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO
from urllib.parse import urlencode, urlsplit

import httpx

from tellsafe.intake.simulator.common import (
    DEFAULT_PORT,
    DEFAULT_URL,
    HELP,
    KINDS,
    USSD_SERVICE_CODE,
    ChannelInfo,
    SimulatorError,
    credentials_for,
    load_channel,
)
from tellsafe.intake.simulator.double import ProviderDouble, Received
from tellsafe.intake.simulator.payloads import (
    email_message,
    email_signature,
    fake_media,
    new_address,
    new_twilio_sid,
    normalise_address,
    telegram_callback,
    telegram_message,
    telegram_photo,
    twilio_signature,
    twilio_sms,
    twilio_status,
    ussd_form,
    whatsapp_button,
    whatsapp_image,
    whatsapp_signature,
    whatsapp_status,
    whatsapp_text,
)

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
