"""Constants, the error type and the channel settings (secrets, credentials) shared by the
simulator's modules."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

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
