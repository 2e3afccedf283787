from __future__ import annotations

import time
from typing import Any

from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tellsafe.accounts.models import User

PASSWORD = "correct horse battery staple"


def staff(role: str, *, team: str = "north", username: str | None = None, **extra: Any) -> User:
    """A staff user with a confirmed TOTP device."""
    user = User.objects.create_user(
        username=username or f"{role}-{User.objects.count() + 1}",
        password=PASSWORD,
        role=role,
        team=team,
        **extra,
    )
    device = TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    # This in-memory object stands for a user who passed both factors, as OTPMiddleware
    # marks request.user; services and selectors called directly in tests see it so.
    user.otp_device = device
    user.is_verified = lambda: True
    return user


def login(client: Any, user: User) -> Any:
    """Sign ``user`` in on ``client`` with both factors, as the login flow would."""
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


def totp_code(key: bytes, *, steps_ahead: int = 0, step: int = 30) -> str:
    """The code an authenticator app holding ``key`` shows now (or ``steps_ahead`` steps
    later: a code already used is refused, as a replay)."""
    totp = TOTP(key, step=step)
    totp.time = time.time() + steps_ahead * step
    return f"{totp.token():06d}"


def wrong_code(key: bytes) -> str:
    """A well-formed code that no window the device accepts would take."""
    near = {totp_code(key, steps_ahead=n) for n in (-2, -1, 0, 1, 2)}
    return next(c for c in (f"{n:06d}" for n in range(1000, 2000)) if c not in near)


def assert_access(response: Any, role: str, allowed: set[str] | frozenset[str]) -> None:
    """A desk view's answer to ``role``, as the role matrices expect: anonymous users go
    to sign-in, allowed roles get the page (or a redirect) and never a 5xx, others 403."""
    if role == "anonymous":
        assert response.status_code == 302, (role, response.status_code)
        assert "/desk/account/login/" in response["Location"]
    elif role in allowed:
        assert response.status_code != 403 and response.status_code < 500, (
            role,
            response.status_code,
        )
        assert "/login/" not in response.get("Location", "")
    else:
        assert response.status_code == 403, (role, response.status_code)
