from __future__ import annotations

from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from tellsafe.accounts.models import User


def staff(role: str, *, team: str = "north", username: str | None = None,
          **extra: Any) -> User:
    """A staff user with a confirmed TOTP device."""
    user = User.objects.create_user(
        username=username or f"{role}-{User.objects.count() + 1}",
        password="correct horse battery staple",
        role=role,
        team=team,
        **extra,
    )
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    return user


def login(client: Any, user: User) -> Any:
    """Sign ``user`` in on ``client`` with both factors, as the login flow would."""
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client
