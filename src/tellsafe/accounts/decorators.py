"""The gate in front of every staff view: signed in, second factor verified, and the
role allows the action. Anything else is refused."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from tellsafe.accounts.roles import Perm, has_perm

View = Callable[..., HttpResponse]


def is_verified(user: Any) -> bool:
    """Signed in with password and a confirmed TOTP device in this session."""
    return bool(getattr(user, "is_authenticated", False)) and bool(
        getattr(user, "is_verified", lambda: False)()
    )


def staff_required(*perms: Perm) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
            if not is_verified(user):
                return redirect("accounts:second_factor")
            if not user.role or not all(has_perm(user, perm) for perm in perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapped.staff_perms = perms  # type: ignore[attr-defined]  # read by the role matrix test
        return wrapped

    return decorator
