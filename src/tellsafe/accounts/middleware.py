"""Staff sessions end after STAFF_IDLE_SECONDS without a desk request.

A desk left open on an unattended screen shows what children told us, so the session
ends on the next request after the idle limit, whatever the cookie's own age. Only the
desk is watched: the public reporting pages never read or write the idle clock, and a
reporter's session (never signed in) is left alone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import cache

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from tellsafe.accounts.views import audit_auth

LAST_SEEN_KEY = "desk_last_seen"

Handler = Callable[[HttpRequest], HttpResponse]


def _now() -> float:
    return time.time()


@cache
def _desk_prefix() -> str:
    return reverse("desk:queue")


def idle_message(seconds: int) -> str:
    # The desk is in English only, like the rest of its pages: not in the catalogues.
    minutes = max(1, round(seconds / 60))
    unit = "minute" if minutes == 1 else "minutes"
    return f"You were signed out after {minutes} {unit} without activity."


class StaffIdleTimeoutMiddleware:
    """Signs a staff member out when their last desk request is older than
    STAFF_IDLE_SECONDS, and sends them to the sign-in page with a message saying why.
    Must come after the session, authentication and message middleware."""

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_desk_prefix()) and request.user.is_authenticated:
            now = int(_now())
            last_seen = request.session.get(LAST_SEEN_KEY)
            if isinstance(last_seen, int) and now - last_seen > settings.STAFF_IDLE_SECONDS:
                return self._sign_out(request, idle_seconds=now - last_seen)
            if last_seen != now:
                request.session[LAST_SEEN_KEY] = now
        return self.get_response(request)

    def _sign_out(self, request: HttpRequest, *, idle_seconds: int) -> HttpResponse:
        user_id = request.user.pk
        logout(request)
        audit_auth("auth.idle_logout", user_id, idle_seconds=idle_seconds)
        messages.info(request, idle_message(settings.STAFF_IDLE_SECONDS))
        # A form posted after the limit is dropped; a page asked for opens after sign-in.
        response = redirect_to_login(
            request.get_full_path() if request.method == "GET" else _desk_prefix(),
            settings.LOGIN_URL,
        )
        # The middleware that would add this sits inside this one and is skipped.
        response["Cache-Control"] = "no-store"
        return response
