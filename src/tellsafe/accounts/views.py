"""Staff sign-in: password, then a TOTP second factor, always.

A new account has no confirmed device; its first sign-in walks it through enrolling one
(scan the QR code, type a code to confirm). Failed passwords are counted and locked out
by django-axes; every sign-in, failure and sign-out is audited.
"""

from __future__ import annotations

import base64

import segno
from axes.helpers import get_lockout_message
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from tellsafe.accounts.forms import LoginForm, TokenForm
from tellsafe.core import audit
from tellsafe.core.db import write_transaction


def _audit(action: str, user_id: object, **data: object) -> None:
    with write_transaction():
        audit.record(actor=audit.Actor("staff", str(user_id or "")), action=action,
                     object_type="user", object_id=user_id or "", data=dict(data))


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    form = LoginForm(request.POST or None)
    error = ""
    status = 200
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, username=form.cleaned_data["username"],
                            password=form.cleaned_data["password"])
        if getattr(request, "axes_locked_out", False):
            error = get_lockout_message()
            status = 429
            _audit("auth.locked_out", None)
        elif user is None or not user.role:
            error = "That username and password do not match an active staff account."
            status = 400
            _audit("auth.failed", None)
        else:
            login(request, user)
            _audit("auth.password_ok", user.pk)
            return redirect("accounts:second_factor")
    return render(request, "accounts/login.html", {"form": form, "error": error},
                  status=status)


@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Verify a TOTP code, or enrol a first device if the account has none."""
    user = request.user
    if not user.is_authenticated:
        return redirect("accounts:login")
    if user.is_verified():
        return redirect("desk:queue")
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    enrolling = device is None
    if enrolling:
        device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name="authenticator",
                                               confirmed=False)
    form = TokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid() and device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                _audit("auth.device_enrolled", user.pk)
            otp_login(request, device)
            _audit("auth.second_factor_ok", user.pk)
            return redirect(request.GET.get("next") or "desk:queue")
        form.add_error("token", "That code did not work. Check your device's time and try "
                                "the newest code.")
        _audit("auth.second_factor_failed", user.pk)
        status = 400
    context = {"form": form, "enrolling": enrolling}
    if enrolling:
        secret = base64.b32encode(device.bin_key).decode().rstrip("=")
        context["secret"] = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
        context["qr_svg"] = segno.make(device.config_url, error="m").svg_inline(scale=4)
    return render(request, "accounts/second_factor.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    user_id = request.user.pk if request.user.is_authenticated else None
    logout(request)
    if user_id:
        _audit("auth.logout", user_id)
    return redirect("accounts:login")
