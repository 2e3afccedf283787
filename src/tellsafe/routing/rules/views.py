"""Routing on the case page: assess an item, confirm its destinations, hold a case's
notices for the police and release them. Plain HTML forms (no JavaScript needed); each
view answers with a redirect to the case page, where the routing panel
(``rules/case_routing.html``) shows the result or the problem in words.

Cases are reached only through ``cases.access``; content items only as items of that
case. The rules and the hotline directory are edited in ``views_config``.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from tellsafe.accounts.decorators import staff_required
from tellsafe.accounts.roles import Perm
from tellsafe.cases import access
from tellsafe.cases.models import ContentItem
from tellsafe.cases.views import GLASS_KEY
from tellsafe.core.errors import ApplicationError
from tellsafe.routing.rules import services
from tellsafe.routing.rules.models import PoliceHold


def _granted(request: HttpRequest, case_id: int) -> bool:
    return case_id in request.session.get(GLASS_KEY, [])


def _case(request: HttpRequest, case_id: int, perm: Perm) -> access.CaseAccess:
    return access.case_for_change(
        user=request.user, case_id=case_id, perm=perm, granted=_granted(request, case_id)
    )


def _item(request: HttpRequest, case_id: int, item_id: int, perm: Perm) -> ContentItem:
    """The content item ``item_id`` of case ``case_id``, which the user may change."""
    case_access = _case(request, case_id, perm)
    item = ContentItem.objects.filter(pk=item_id, case=case_access.case).first()
    if item is None:
        raise Http404
    item.case = case_access.case
    return item


def _back(case_id: int, item_id: int | None = None) -> HttpResponse:
    url = reverse("desk:case", args=[case_id])
    return redirect(f"{url}#routing-{item_id}" if item_id else f"{url}#routing-hold")


def _problem(request: HttpRequest, exc: ApplicationError) -> None:
    """The error and each field's problems, as one message on the case page."""
    details = [f"{name.replace('_', ' ')}: {' '.join(msgs)}" for name, msgs in exc.fields.items()]
    messages.error(request, " ".join([exc.message, *details]))


@require_POST
@staff_required(Perm.CASE_EDIT)
def assess(request: HttpRequest, case_id: int, item_id: int) -> HttpResponse:
    item = _item(request, case_id, item_id, Perm.CASE_EDIT)
    try:
        services.assessment_record(
            item=item,
            category=request.POST.get("category", ""),
            legal_status=request.POST.get("legal_status", ""),
            age_band=request.POST.get("age_band", "not_determined"),
            gender=request.POST.get("gender", "not_determined"),
            flags=request.POST.getlist("flags"),
            actor=request.user,
        )
    except ApplicationError as exc:
        _problem(request, exc)
    else:
        messages.success(request, "Assessment saved. The proposed destinations follow it.")
    return _back(case_id, item_id)


@require_POST
@staff_required(Perm.CASE_EDIT)
def confirm(request: HttpRequest, case_id: int, item_id: int) -> HttpResponse:
    item = _item(request, case_id, item_id, Perm.CASE_EDIT)
    try:
        decision = services.routing_confirm(
            item=item, chosen=request.POST.getlist("chosen"), actor=request.user
        )
    except ApplicationError as exc:
        _problem(request, exc)
        return _back(case_id, item_id)
    notices = [r for r in decision.results if "notice" in r]
    held = [r for r in notices if r.get("status") == "held"]
    approvals = [r for r in decision.results if "approval" in r]
    parts = []
    if notices:
        parts.append(
            f"{len(notices)} notice(s) made: {', '.join(r['reference'] for r in notices)}"
            + (f" ({len(held)} held for the police)" if held else "")
        )
    if approvals:
        parts.append("a supervisor was asked to approve forwarding to law enforcement")
    messages.success(request, "Done: " + "; ".join(parts) + ".")
    return _back(case_id, item_id)


@require_POST
@staff_required(Perm.APPROVE)
def hold_set(request: HttpRequest, case_id: int) -> HttpResponse:
    case_access = _case(request, case_id, Perm.APPROVE)
    try:
        services.police_hold_set(
            case=case_access.case,
            agency=request.POST.get("agency", ""),
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except ApplicationError as exc:
        _problem(request, exc)
    else:
        messages.success(
            request, "Police hold set. Notices about this case are now made held, not sent."
        )
    return _back(case_id)


@require_POST
@staff_required(Perm.APPROVE)
def hold_release(request: HttpRequest, case_id: int) -> HttpResponse:
    case_access = _case(request, case_id, Perm.APPROVE)
    hold = PoliceHold.objects.filter(case=case_access.case, released_at__isnull=True).first()
    if hold is None:
        messages.error(request, "This case is not on police hold.")
        return _back(case_id)
    try:
        released = services.police_hold_release(hold=hold, actor=request.user)
    except ApplicationError as exc:
        _problem(request, exc)
    else:
        messages.success(
            request,
            f"Police hold released; {len(released)} held notice(s) queued for sending.",
        )
    return _back(case_id)
