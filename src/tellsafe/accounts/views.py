"""Staff sign-in: password, then a TOTP second factor, always.

A new account has no confirmed device; its first sign-in walks it through enrolling one
(scan the QR code, type a code to confirm). Failed passwords are counted and locked out
by django-axes, per username and address. Wrong codes meet django-otp's back-off, kept on
the device (1, 2, 4, 8... seconds), and MAX_CODE_FAILURES in a row end the session, so
the next try starts again from the password. Every sign-in, failure and sign-out is
audited.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from axes.helpers import get_lockout_message
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from tellsafe.accounts.forms import LoginForm, TokenForm
from tellsafe.accounts.models import User
from tellsafe.accounts.roles import Perm, has_perm
from tellsafe.accounts.totp import readable_secret
from tellsafe.core import audit
from tellsafe.core.db import write_transaction

# Wrong codes in a row before a half-signed-in session is ended.
MAX_CODE_FAILURES = 5
CODE_FAILURES_KEY = "otp_failures"

BAD_CREDENTIALS = "That username and password do not match an active staff account."
BAD_CODE = "That code did not work. Check your device's time and try the newest code."
SLOW_DOWN = "Too many wrong codes. Wait a few seconds, then type the newest code."
START_AGAIN = "Too many wrong codes. You have been signed out: start again with your password."


def audit_auth(action: str, user_id: object, **data: object) -> None:
    """Record a sign-in event about ``user_id`` (empty when no account is known)."""
    with write_transaction():
        _record(action, user_id, data)


def _record(action: str, user_id: object, data: dict[str, Any]) -> None:
    audit.record(
        actor=audit.Actor("staff", str(user_id or "")),
        action=action,
        object_type="user",
        object_id=user_id or "",
        data=data,
    )


# Where a role lands after signing in: the first of these pages it may open.
LANDINGS = (
    (Perm.QUEUE_VIEW, "desk:queue"),
    (Perm.AUDIT_VIEW, "desk:audit"),
    (Perm.CONFIGURE, "desk:urgency_rules"),
)


def landing(user: Any) -> str:
    return next((name for perm, name in LANDINGS if has_perm(user, perm)), "desk:queue")


def _next_url(request: HttpRequest) -> str:
    """The desk page to open after signing in, if the request names a safe one."""
    candidate = request.GET.get("next", "")
    if candidate.startswith(reverse("desk:queue")) and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _login_page(
    request: HttpRequest, form: LoginForm, *, error: str = "", status: int = 200
) -> HttpResponse:
    return render(request, "accounts/login.html", {"form": form, "error": error}, status=status)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: object = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: answer a locked-out sign-in with our own page (429 and the
    lock-out message) instead of axes' plain text."""
    if original_response is not None and original_response.status_code == 429:
        return original_response
    return _login_page(request, LoginForm(), error=get_lockout_message(), status=429)


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    if request.method == "GET":
        return _login_page(request, form)
    if not form.is_valid():
        return _login_page(request, form, error="Enter your username and password.", status=400)
    username = form.cleaned_data["username"]
    user = authenticate(request, username=username, password=form.cleaned_data["password"])
    if getattr(request, "axes_locked_out", False):
        # Named by id, never by what was typed: people type passwords into the wrong box.
        audit_auth("auth.locked_out", _known_user_id(username))
        return _login_page(request, form, error=get_lockout_message(), status=429)
    if user is None or not user.role:
        audit_auth(
            "auth.failed",
            _known_user_id(username),
            **({"reason": "no_role"} if user is not None else {}),
        )
        return _login_page(request, form, error=BAD_CREDENTIALS, status=400)
    login(request, user)
    audit_auth("auth.password_ok", user.pk)
    target = reverse("accounts:second_factor")
    next_url = _next_url(request)
    return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)


def _known_user_id(username: str) -> int | None:
    return User.objects.filter(username=username).values_list("pk", flat=True).first()


def _device_for(user: Any) -> tuple[TOTPDevice, bool]:
    """The user's confirmed device, or the one they are enrolling (made on first need)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is not None:
        return device, False
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)
    return device, True


def _check_code(*, device_id: int, token: str, enrolling: bool, failures: int) -> TOTPDevice | None:
    """Verify ``token``, confirming an enrolling device, with the audit event in the same
    transaction. The row lock stops two requests from spending one code twice."""
    with write_transaction():
        device = TOTPDevice.objects.select_for_update().get(pk=device_id)
        if not device.verify_token(token):
            _record("auth.second_factor_failed", device.user_id, {"failures": failures})
            return None
        if enrolling:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            _record("auth.device_enrolled", device.user_id, {})
        _record("auth.second_factor_ok", device.user_id, {})
    return device


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Verify a TOTP code, or enrol a first device if the account has none."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url or landing(user))
    if not user.role:  # the role was taken away after the password step
        logout(request)
        return redirect("accounts:login")
    device, enrolling = _device_for(user)
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            allowed, _why = device.verify_is_allowed()
            failures = request.session.get(CODE_FAILURES_KEY, 0) + 1
            verified = _check_code(
                device_id=device.pk,
                token=form.cleaned_data["token"],
                enrolling=enrolling,
                failures=failures,
            )
            if verified is not None:
                request.session.pop(CODE_FAILURES_KEY, None)
                otp_login(request, verified)
                request.session.cycle_key()  # a new session id for the raised privilege
                return redirect(next_url or landing(user))
            if failures >= MAX_CODE_FAILURES:
                audit_auth("auth.second_factor_locked_out", user.pk, failures=failures)
                logout(request)
                messages.error(request, START_AGAIN)
                return redirect("accounts:login")
            request.session[CODE_FAILURES_KEY] = failures
            form.add_error("token", BAD_CODE if allowed else SLOW_DOWN)
    context: dict[str, Any] = {"form": form, "enrolling": enrolling}
    if enrolling:
        context["secret"] = readable_secret(device)
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(
            scale=4, title="QR code for your authenticator app", svgclass="qr"
        )
    return render(request, "accounts/second_factor.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk if request.user.is_authenticated else None
    logout(request)
    if user_id:
        audit_auth("auth.logout", user_id)
    return redirect("accounts:login")
