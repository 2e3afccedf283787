"""TOTP devices, the second factor every staff account must have."""

from __future__ import annotations

import base64

from django_otp.plugins.otp_totp.models import TOTPDevice


def readable_secret(device: TOTPDevice) -> str:
    """The device's key as a person types it into an authenticator app: base32, without
    padding, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
