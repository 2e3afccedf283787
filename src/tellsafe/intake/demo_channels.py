"""The ``demo`` channel of every plugin, with test secrets (listed in docs/channels.md),
so a trainer can point the simulator or a provider's test console at a local instance.
Outbound API calls go to the simulator's provider double on 127.0.0.1:8765."""

from __future__ import annotations

import json

from django.utils import timezone

from tellsafe.intake.models import ChannelConfig

SIMULATOR = "http://127.0.0.1:8765"

DEMO_CHANNELS = {
    "whatsapp": (
        {
            "verify_token": "demo-verify-token",
            "app_secret": "demo-app-secret",
            "access_token": "demo-access-token",
        },
        {
            "phone_number_id": "100000000000001",
            "api_base": SIMULATOR,
            "api_version": "v21.0",
            "update_template": "case_update",
            "sms_fallback": "demo",
        },
    ),
    "twilio": (
        {"account_sid": "ACdemo00000000000000000000000000", "auth_token": "demo-auth-token"},
        {
            "from": "+15005550006",
            "api_base": SIMULATOR,
            "public_url": "http://127.0.0.1:8000/hooks/twilio/demo/",
        },
    ),
    "telegram": (
        {"bot_token": "123456:demo-bot-token", "secret_token": "demo-secret-token"},
        {"api_base": SIMULATOR, "webhook_url": "http://127.0.0.1:8000/hooks/telegram/demo/"},
    ),
    "email": (
        {"webhook_secret": "demo-email-secret"},
        {"from": "help@tellsafe.invalid", "domain": "tellsafe.invalid"},
    ),
    "ussd": ({"path_key": "demo-ussd-key"}, {"sms_fallback": "demo"}),
}


def ensure_demo_channels() -> list[str]:
    """Create the missing demo channels; return the names created."""
    created = []
    for plugin, (secrets, channel_settings) in DEMO_CHANNELS.items():
        if ChannelConfig.objects.filter(plugin=plugin, slug="demo").exists():
            continue
        ChannelConfig.objects.create(
            plugin=plugin,
            slug="demo",
            name=f"Demo {plugin}",
            secrets=json.dumps(secrets),
            settings=channel_settings,
            created_at=timezone.now(),
        )
        created.append(plugin)
    return created
