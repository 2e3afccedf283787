"""Chat with a local tellsafe from a terminal, as a reporter on WhatsApp, SMS (Twilio),
Telegram, email or USSD (``tellsafe simulate``; docs/channels.md).

Each line typed becomes the payload the real provider would POST to our webhook, signed
the way that provider signs it, and is sent to the local server. A small provider double
(an HTTP server on 127.0.0.1) stands in for the providers' APIs: it takes the messages
the server sends, answers as the provider would, prints them, and can post delivery
status callbacks back. Everything here talks to loopback addresses only.

The payload builders are plain functions, so tests can sign, tamper and post them.

The package: ``common`` (constants, the error, channel settings), ``payloads`` (signed
provider payload builders), ``double`` (the provider-double HTTP server) and ``chat``
(the interactive Simulator, the loopback check and the ``run`` loop). Everything public
is re-exported here, so ``from tellsafe.intake import simulator`` keeps working.
"""

from __future__ import annotations

from tellsafe.intake.simulator.chat import (
    Built,
    Simulator,
    is_loopback_host,
    require_loopback,
    run,
)
from tellsafe.intake.simulator.common import (
    COMMANDS,
    DEFAULT_PORT,
    DEFAULT_URL,
    HELP,
    KINDS,
    USSD_SERVICE_CODE,
    WABA_ID,
    ChannelInfo,
    SimulatorError,
    credentials_for,
    demo_channel,
    load_channel,
)
from tellsafe.intake.simulator.double import ProviderDouble, Received
from tellsafe.intake.simulator.payloads import (
    email_message,
    email_signature,
    fake_media,
    new_address,
    new_twilio_sid,
    new_wamid,
    normalise_address,
    telegram_callback,
    telegram_message,
    telegram_photo,
    twilio_signature,
    twilio_sms,
    twilio_status,
    ussd_form,
    whatsapp_button,
    whatsapp_envelope,
    whatsapp_image,
    whatsapp_message,
    whatsapp_signature,
    whatsapp_status,
    whatsapp_text,
)

__all__ = [
    "COMMANDS",
    "DEFAULT_PORT",
    "DEFAULT_URL",
    "HELP",
    "KINDS",
    "USSD_SERVICE_CODE",
    "WABA_ID",
    "Built",
    "ChannelInfo",
    "ProviderDouble",
    "Received",
    "Simulator",
    "SimulatorError",
    "credentials_for",
    "demo_channel",
    "email_message",
    "email_signature",
    "fake_media",
    "is_loopback_host",
    "load_channel",
    "new_address",
    "new_twilio_sid",
    "new_wamid",
    "normalise_address",
    "require_loopback",
    "run",
    "telegram_callback",
    "telegram_message",
    "telegram_photo",
    "twilio_signature",
    "twilio_sms",
    "twilio_status",
    "ussd_form",
    "whatsapp_button",
    "whatsapp_envelope",
    "whatsapp_image",
    "whatsapp_message",
    "whatsapp_signature",
    "whatsapp_status",
    "whatsapp_text",
]
