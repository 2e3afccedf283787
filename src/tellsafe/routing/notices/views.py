"""Two pages: the partner's secure confirmation page, and the desk's removal-time
figures.

``/notice/<token>/`` needs no sign-in: the token in the link is the credential. It is
looked up by its hash in constant time, stops working when the notice is closed, and is
rate-limited per address (more strictly for tokens that match nothing). Plain HTML
forms with CSRF protection: it works without JavaScript. Everything done there is
audited as the partner.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from tellsafe.accounts.decorators import staff_required
from tellsafe.accounts.roles import Perm
from tellsafe.core import audit, ratelimit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.routing.notices import selectors, services, stats
from tellsafe.routing.notices.models import NoticeEvent, NoticeKind, Outcome
from tellsafe.routing.notices.payload import notice_payload

LINK_SCOPE = "notice-link"
MISS_SCOPE = "notice-link-miss"
WINDOW = 3600
DEFAULT_LINK_REQUESTS_PER_HOUR = 120
MISSES_PER_HOUR = 20


def _link_error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    response = render(request, "notices/link_error.html", {"message": message}, status=status)
    if status == 429:
        response["Retry-After"] = str(WINDOW)
    return response


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Show the notice's URL or hashes and take the partner's answer."""
    address = ratelimit.client_address(request)
    limit = int(getattr(settings, "NOTICE_LINK_REQUESTS_PER_HOUR", DEFAULT_LINK_REQUESTS_PER_HOUR))
    too_many = "Too many requests from your network. Please try again in an hour."
    if ratelimit.count(MISS_SCOPE, address) >= MISSES_PER_HOUR:
        return _link_error(request, too_many, 429)
    if not ratelimit.allow(LINK_SCOPE, address, limit, WINDOW):
        return _link_error(request, too_many, 429)
    notice = selectors.notice_by_token(token)
    if notice is None:
        ratelimit.hit(MISS_SCOPE, address, WINDOW)
        message = (
            "This link is not valid, or its notice is closed. If you still need to answer, "
            "reply to the notice e-mail quoting its reference."
        )
        return _link_error(request, message, 404)
    actor = audit.Actor("partner", str(notice.partner_id))
    error: ApplicationError | None = None
    if request.method == "POST":
        try:
            services.notice_record_response(
                notice=notice,
                outcome=request.POST.get("outcome", ""),
                reason=request.POST.get("reason", ""),
                via="link",
                actor=actor,
            )
        except ApplicationError as exc:
            error = exc
        else:
            return redirect(request.path + "?answered=1")
    else:
        with write_transaction():
            services.event(notice, NoticeEvent.Kind.LINK_OPENED, at=timezone.now(), actor=actor)
            audit.record(
                actor=actor,
                action="notice.link_view",
                object_type="notice",
                object_id=notice.pk,
                data={"reference": notice.reference},
            )
    if error is not None:  # an answer may have come in meanwhile: show the current state
        notice.refresh_from_db(fields=["status", "outcome", "response_reason", "responded_at"])
    facts = notice_payload(notice)
    context = {
        "notice": notice,
        "content": facts["content"],
        "basis": facts["basis"],
        "error": error,
        "answered": request.GET.get("answered") == "1" and bool(notice.outcome),
        "can_answer": notice.is_open or notice.outcome == Outcome.REFUSED,
        "reason": request.POST.get("reason", "") if error else "",
    }
    return render(request, "notices/confirm.html", context, status=error.status if error else 200)


# --- desk: removal-time figures ------------------------------------------------------------


def _day(value: str, field: str, errors: dict[str, str]) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors[field] = "Use a date like 2026-01-31."
        return None
    if not 2000 <= day.year <= 2999:
        errors[field] = "Use a date between 2000 and 2999."
        return None
    return day


def _moment(day: date | None) -> datetime | None:
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min))


def period_from(query: Any) -> tuple[dict[str, Any], dict[str, str]]:
    """The desk page's filters from its query string: ``from`` and ``to`` (dates, both
    included) and ``kind``. Returns the values and the errors by field."""
    errors: dict[str, str] = {}
    first = _day(query.get("from", "").strip(), "from", errors)
    last = _day(query.get("to", "").strip(), "to", errors)
    kind = query.get("kind", "").strip()
    if kind and kind not in NoticeKind.values:
        errors["kind"] = "Choose takedown, forward or all."
        kind = ""
    if first and last and first > last:
        errors["to"] = "Must not be before the start."
    end = last + timedelta(days=1) if last and "to" not in errors else None
    return {"start": _moment(first), "end": _moment(end), "kind": kind or None}, errors


@require_GET
@staff_required(Perm.CASE_VIEW)
def stats_page(request: HttpRequest) -> HttpResponse:
    """Removal times per partner and nationally, for a period and kind of notice."""
    period, errors = period_from(request.GET)
    report = stats.removal_stats(**period)
    with write_transaction():
        audit.record(
            actor=audit.Actor("staff", str(request.user.pk)),
            action="notice.stats_view",
            object_type="notice",
            object_id="",
            data={key: str(value) if value else None for key, value in period.items()},
        )
    context = {
        "report": report,
        "rows": [report.national, *report.partners],
        "errors": errors,
        "query": {key: request.GET.get(key, "") for key in ("from", "to", "kind")},
        "kinds": NoticeKind.choices,
        "attention": selectors.notices_needing_attention(limit=50),
    }
    return render(request, "notices/stats.html", context)
