"""The public web journey. No login; every page works without JavaScript."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tellsafe.core import ratelimit
from tellsafe.core.errors import ApplicationError
from tellsafe.intake import draft as drafts
from tellsafe.intake import forms, selectors, services, wording
from tellsafe.intake.concerns import CONCERNS
from tellsafe.intake.models import Channel, Report
from tellsafe.intake.validation import validate_report
from tellsafe.referrals.selectors import emergency_numbers, help_now_services

STATUS_SESSION_KEY = "status_report"


def _page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    status: int = 200,
    audience: str | None = None,
) -> HttpResponse:
    draft = request.session.get(drafts.KEY) or {}
    audience = audience or drafts.audience(draft)
    context.setdefault("w", wording.Words(audience))
    context.setdefault("audience", audience)
    context.setdefault("unsafe", draft.get("safe") == "no")
    if context["unsafe"]:
        context.setdefault("emergency", emergency_numbers())
    return render(request, template, context, status=status)


def _next_url(request: HttpRequest, step: str) -> str:
    d = drafts.get(request)
    if request.POST.get("back") == "check" or request.GET.get("back") == "check":
        missing = drafts.first_missing(d)
        return reverse(f"intake:{missing or 'check'}")
    index = drafts.STEPS.index(step)
    following = drafts.STEPS[index + 1]
    missing = drafts.first_missing(d)
    if missing and drafts.STEPS.index(missing) < drafts.STEPS.index(following):
        return reverse(f"intake:{missing}")
    return reverse(f"intake:{following}")


def home(request: HttpRequest) -> HttpResponse:
    return _page(request, "public/home.html", {"services": help_now_services()})


def safety(request: HttpRequest) -> HttpResponse:
    return _page(request, "public/safety.html", {})


def help_now(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "public/help.html",
        {"emergency": emergency_numbers(), "services": help_now_services()},
    )


def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """Change language with a plain link: no form, so reading a page needs no session.
    The choice lives in a session-only cookie and the page reloads where it was."""
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(target)
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=None,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
            httponly=True,
        )
    return response


def quick_exit(request: HttpRequest) -> HttpResponse:
    """Forget everything this browser told us, then go to a neutral site."""
    request.session.flush()
    response = HttpResponseRedirect(settings.QUICK_EXIT_URL)
    response["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response


def _step(
    request: HttpRequest,
    step: str,
    form_class: type,
    template: str,
    initial_keys: tuple[str, ...],
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    d = drafts.get(request)
    if request.method == "POST":
        form = form_class(request.POST)
        if form.is_valid():
            drafts.update(request, **{k: form.cleaned_data[k] for k in initial_keys})
            return redirect(_next_url(request, step))
    else:
        form = form_class(initial={k: d[k] for k in initial_keys if k in d})
    context = {"form": form, "step": step, "back": request.GET.get("back", ""), **(extra or {})}
    return _page(request, template, context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def who(request: HttpRequest) -> HttpResponse:
    return _step(request, "who", forms.WhoForm, "public/who.html", ("reporter",))


@require_http_methods(["GET", "POST"])
def age(request: HttpRequest) -> HttpResponse:
    return _step(request, "age", forms.AgeForm, "public/age.html", ("age_band",))


@require_http_methods(["GET", "POST"])
def what(request: HttpRequest) -> HttpResponse:
    return _step(
        request, "what", forms.WhatForm, "public/what.html", ("concerns",), {"concerns": CONCERNS}
    )


@require_http_methods(["GET", "POST"])
def details(request: HttpRequest) -> HttpResponse:
    d = drafts.get(request)
    saved_urls = d.get("urls", [])
    if request.method == "POST":
        try:
            count = int(request.POST.get("link_count", 3))
        except ValueError:
            count = 3
        if "add_link" in request.POST:
            count += 1
        form = forms.DetailsForm(request.POST, link_count=count)
        if form.is_valid():
            drafts.update(
                request, details=form.cleaned_data["details"], urls=form.cleaned_data["urls"]
            )
            if "add_link" in request.POST:
                form = forms.DetailsForm(request.POST, link_count=count)
                form.is_valid()
            else:
                return redirect(_next_url(request, "details"))
    else:
        initial = {"details": d.get("details", "")}
        initial.update({f"url_{i}": url for i, url in enumerate(saved_urls)})
        form = forms.DetailsForm(initial=initial, link_count=max(3, len(saved_urls) + 1))
    return _page(
        request,
        "public/details.html",
        {
            "form": form,
            "step": "details",
            "back": request.GET.get("back", ""),
            "max_links": settings.MAX_REPORT_URLS,
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def safe(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = forms.SafeForm(request.POST)
        if form.is_valid():
            drafts.update(request, safe=form.cleaned_data["safe"])
            if form.cleaned_data["safe"] == "no":
                return redirect("intake:danger")
            return redirect(_next_url(request, "safe"))
        return _page(
            request,
            "public/safe.html",
            {"form": form, "emergency": emergency_numbers(), "step": "safe"},
            400,
        )
    d = drafts.get(request)
    form = forms.SafeForm(initial={"safe": d.get("safe")})
    return _page(
        request,
        "public/safe.html",
        {
            "form": form,
            "emergency": emergency_numbers(),
            "step": "safe",
            "back": request.GET.get("back", ""),
        },
    )


def danger(request: HttpRequest) -> HttpResponse:
    d = drafts.get(request)
    return _page(
        request,
        "public/danger.html",
        {
            "emergency": emergency_numbers(),
            "services": help_now_services(),
            "next": reverse(f"intake:{drafts.first_missing(d) or 'check'}"),
        },
    )


@require_http_methods(["GET", "POST"])
def contact(request: HttpRequest) -> HttpResponse:
    return _step(
        request,
        "contact",
        forms.ContactForm,
        "public/contact.html",
        ("contact_kind", "contact_value"),
    )


def _report_data(request: HttpRequest) -> dict[str, Any]:
    return drafts.as_report_data(drafts.get(request), get_language() or settings.LANGUAGE_CODE)


@require_http_methods(["GET", "POST"])
def check(request: HttpRequest) -> HttpResponse:
    d = drafts.get(request)
    missing = drafts.first_missing(d)
    if missing:
        return redirect(f"intake:{missing}")
    error = None
    if request.method == "POST":
        address = ratelimit.client_address(request)
        try:
            data = validate_report(_report_data(request))
            if not ratelimit.allow("report", address, settings.REPORTS_PER_HOUR_PER_ADDRESS, 3600):
                raise ApplicationError(
                    "rate_limited",
                    _(
                        "Many reports came from this connection. Please wait a while and try "
                        "again, or call a helpline."
                    ),
                    status=429,
                )
            result = services.report_create(
                data=data, channel=Channel.WEB, idempotency_key=f"web:{d['id']}"
            )
        except ApplicationError as exc:
            error = exc
        else:
            request.session[drafts.DONE_KEY] = {
                "reference": result.report.reference,
                "passphrase": result.passphrase,
                "urgency": result.report.case.urgency,
                "audience": drafts.audience(d),
                "unsafe": d.get("safe") == "no",
            }
            drafts.clear(request)
            return redirect("intake:done")
    concerns = [c for c in CONCERNS if c.code in (d.get("concerns") or [])]
    return _page(
        request,
        "public/check.html",
        {
            "draft": d,
            "concerns": concerns,
            "error": error,
            "step": "check",
        },
        status=error.status if error else 200,
    )


def done(request: HttpRequest) -> HttpResponse:
    result = request.session.get(drafts.DONE_KEY)
    if not result:
        return redirect("intake:home")
    minutes = settings.FIRST_RESPONSE_MINUTES[result["urgency"]]
    key = "next_imminent" if result["urgency"] == "imminent" else "next_soon"
    return _page(
        request,
        "public/done.html",
        {
            "result": result,
            "next_first": str(wording.text(key, result["audience"]))
            % {"time": wording.duration(minutes)},
            "services": help_now_services(),
            "emergency": emergency_numbers() if result.get("unsafe") else [],
        },
        audience=result["audience"],
    )


def _status_report(request: HttpRequest) -> Report | None:
    report_id = request.session.get(STATUS_SESSION_KEY)
    if not report_id:
        return None
    return Report.objects.select_related("case").filter(pk=report_id).first()


@require_http_methods(["GET", "POST"])
def status_lookup(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        form = forms.StatusForm(request.POST)
        if form.is_valid():
            try:
                report = selectors.report_by_codes(
                    reference=form.cleaned_data["reference"],
                    passphrase=form.cleaned_data["passphrase"],
                    address=ratelimit.client_address(request),
                )
            except ApplicationError as exc:
                error = exc
            else:
                request.session.cycle_key()
                request.session[STATUS_SESSION_KEY] = report.pk
                return redirect("intake:status_view")
    else:
        form = forms.StatusForm()
    return _page(
        request,
        "public/status_lookup.html",
        {"form": form, "error": error},
        status=(error.status if error else 400 if form.errors else 200),
    )


FEEDBACK_QUESTIONS = [
    ("listened", "feedback_listened"),
    ("understood", "feedback_understood"),
    ("helped", "feedback_helped"),
]


def _scale() -> list[tuple[int, str, str]]:
    return [
        (1, "😞", _("Not at all")),
        (2, "🙁", _("Not really")),
        (3, "😐", _("A bit")),
        (4, "🙂", _("Mostly")),
        (5, "😀", _("Yes, a lot")),
    ]


def _track(status: str, audience: str) -> list[dict[str, str]]:
    """The steps so far, the step now, and "finished" still to come."""
    path = ["received", "reading"]
    if status in ("asked_removal", "removed", "referred"):
        path.append(status)
    path.append("finished")
    now = path.index(status) if status in path else 0
    return [
        {
            "text": str(wording.text(f"status_{s}", audience)),
            "state": "done" if i < now else "now" if i == now else "later",
        }
        for i, s in enumerate(path)
    ]


def _status_page(
    request: HttpRequest,
    report: Report,
    *,
    add_form=None,
    feedback_form=None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    view = selectors.status_for_reporter(report=report, language=get_language())
    return _page(
        request,
        "public/status.html",
        {
            "view": view,
            "track": _track(view.status, report.wording_band),
            "feedback_questions": FEEDBACK_QUESTIONS,
            "scale": _scale(),
            "add_form": add_form or forms.AddInformationForm(),
            "feedback_form": feedback_form or forms.FeedbackForm(),
            "notice": notice,
            "services": help_now_services(),
        },
        status=status,
        audience=report.wording_band,
    )


def status_view(request: HttpRequest) -> HttpResponse:
    report = _status_report(request)
    if report is None:
        return redirect("intake:status")
    notice = request.session.pop("status_notice", "")
    return _status_page(request, report, notice=notice)


@require_http_methods(["POST"])
def status_add(request: HttpRequest) -> HttpResponse:
    report = _status_report(request)
    if report is None:
        return redirect("intake:status")
    form = forms.AddInformationForm(request.POST)
    if not form.is_valid():
        return _status_page(request, report, add_form=form, status=400)
    services.report_add_information(
        report=report, text=form.cleaned_data.get("text", ""), urls=form.cleaned_data["urls"]
    )
    request.session["status_notice"] = _("Thank you. We added this to your report.")
    return redirect("intake:status_view")


@require_http_methods(["POST"])
def status_feedback(request: HttpRequest) -> HttpResponse:
    report = _status_report(request)
    if report is None:
        return redirect("intake:status")
    form = forms.FeedbackForm(request.POST)
    if not form.is_valid():
        return _status_page(request, report, feedback_form=form, status=400)
    try:
        services.feedback_give(report=report, **form.cleaned_data)
    except ApplicationError as exc:
        request.session["status_notice"] = (
            _("You have already told us how we did. Thank you.")
            if exc.code == "feedback_given"
            else _("You can tell us how we did once we have finished.")
        )
    else:
        request.session["status_notice"] = _("Thank you for telling us how we did.")
    return redirect("intake:status_view")


@require_http_methods(["POST"])
def status_leave(request: HttpRequest) -> HttpResponse:
    request.session.pop(STATUS_SESSION_KEY, None)
    return redirect("intake:home")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """The form's security check failed (the page was open a long time, or cookies are
    off). Show what was typed again, with a fresh token, so one press sends it again."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name != "csrfmiddlewaretoken"
        for value in values
    ][:200]
    return _page(
        request, "public/csrf_failure.html", {"fields": fields, "action": request.path}, status=403
    )
