"""Report Remove pages: public, no login, child-friendly. The image never reaches us: the
file input has no name, so a browser cannot send it even if the script fails; only the
hashes the script wrote into hidden fields are posted."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tellsafe.core import ratelimit
from tellsafe.core.errors import ApplicationError
from tellsafe.intake import forms as intake_forms
from tellsafe.intake import selectors as intake_selectors
from tellsafe.intake import wording as intake_wording
from tellsafe.matching import report_remove
from tellsafe.matching.wording import Words
from tellsafe.referrals.selectors import help_now_services

DONE_KEY = "report_remove_done"
AUDIENCE_CHOICES = ("under_9", "9_12", "13_15", "16_17", "adult", "helper")


def _render(
    request: HttpRequest, template: str, audience: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    context.update(
        rw=Words(audience),
        w=intake_wording.Words(audience),
        audience=audience,
        services=help_now_services(),
    )
    return render(request, template, context, status=status)


def _audience(value: Any) -> str | None:
    return value if value in AUDIENCE_CHOICES else None


@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """GET: who it is for, then the explanation and the hashing form. POST: the hashes."""
    if request.method == "GET":
        audience = _audience(request.GET.get("for"))
        if audience is None:
            return _render(request, "remove/age.html", "9_12", {"choices": AUDIENCE_CHOICES})
        return _render(request, "remove/start.html", audience, {"error": None})
    audience = _audience(request.POST.get("for")) or "9_12"
    try:
        hashes = report_remove.clean_hashes(request.POST)
        if not ratelimit.allow(
            "report",
            ratelimit.client_address(request),
            settings.REPORTS_PER_HOUR_PER_ADDRESS,
            3600,
        ):
            raise ApplicationError(
                "rate_limited",
                _("Too many reports from this address. Please try again later."),
                status=429,
            )
        helper = audience == "helper"
        result = report_remove.submit(
            age_band="9_12" if helper else audience,
            helper=helper,
            language=get_language() or settings.LANGUAGE_CODE,
            hashes=hashes,
        )
    except ApplicationError as exc:
        return _render(request, "remove/start.html", audience, {"error": exc}, status=exc.status)
    request.session.cycle_key()
    request.session[DONE_KEY] = {
        "reference": result.reference,
        "passphrase": result.passphrase,
        "audience": audience,
    }
    return redirect("matching:remove_done")


def done(request: HttpRequest) -> HttpResponse:
    result = request.session.get(DONE_KEY)
    if not result:
        return redirect("matching:remove")
    return _render(request, "remove/done.html", result["audience"], {"result": result})


@require_http_methods(["GET", "POST"])
def withdraw(request: HttpRequest) -> HttpResponse:
    """Take the hashes back with the report's two codes."""
    audience = _audience(request.GET.get("for") or request.POST.get("for")) or "9_12"
    error = None
    form = intake_forms.StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            report = intake_selectors.report_by_codes(
                reference=form.cleaned_data["reference"],
                passphrase=form.cleaned_data["passphrase"],
                address=ratelimit.client_address(request),
            )
        except ApplicationError as exc:
            error = exc
        else:
            removed = report_remove.withdraw(report=report)
            had_any = removed > 0 or bool(report_remove.hashes_of(report))
            return _render(request, "remove/withdrawn.html", audience, {"had_any": had_any})
    status = error.status if error else (400 if form.errors else 200)
    return _render(
        request, "remove/withdraw.html", audience, {"form": form, "error": error}, status=status
    )
