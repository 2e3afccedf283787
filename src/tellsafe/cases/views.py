"""The case desk: the queue and the case page. Every view is gated by
accounts.decorators.staff_required and reads cases only through cases.access."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from tellsafe.accounts.decorators import staff_required
from tellsafe.accounts.models import User
from tellsafe.accounts.roles import Perm
from tellsafe.cases import access, message_templates, selectors, services
from tellsafe.cases.escalation import clock_state
from tellsafe.cases.forms import (
    OUTCOME_LABELS,
    ApprovalRequestForm,
    MergeForm,
    MessageForm,
    MoveReportForm,
    NoteForm,
    ReasonForm,
    StatusForm,
)
from tellsafe.cases.models import Action, Case, Status
from tellsafe.core.errors import ApplicationError
from tellsafe.intake.models import AgeBand, Channel, Report
from tellsafe.taxonomy.selectors import categories

GLASS_KEY = "glass_cases"
CASE_ROLES = ["counsellor", "analyst", "supervisor"]


def _granted(request: HttpRequest, case_id: int) -> bool:
    return case_id in request.session.get(GLASS_KEY, [])


@staff_required(Perm.QUEUE_VIEW)
def queue(request: HttpRequest) -> HttpResponse:
    filters = selectors.QueueFilters.from_query(request.GET)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    cases, has_next = selectors.queue(access.queue_cases(request.user), filters, request.user, page)
    now = timezone.now()
    rows = [(case, clock_state(case, now)) for case in cases]
    return render(
        request,
        "desk/queue.html",
        {
            "rows": rows,
            "filters": filters,
            "page": page,
            "has_next": has_next,
            "statuses": [(s, label) for s, label in Status.choices if s != Status.CLOSED],
            "categories": categories(),
            "channels": Channel.choices,
            "age_bands": AgeBand.choices,
            "now": now,
        },
    )


@require_POST
@staff_required(Perm.QUEUE_VIEW, Perm.CASE_EDIT)
def claim_next(request: HttpRequest) -> HttpResponse:
    case = services.case_claim_next(actor=request.user, queue=access.queue_cases(request.user))
    if case is None:
        messages.info(request, "No unassigned case is waiting. Well done.")
        return redirect("desk:queue")
    return redirect("desk:case", case.pk)


def _case_page(
    request: HttpRequest,
    case_access: access.CaseAccess,
    *,
    forms: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    page = selectors.case_page(case_access)
    case = case_access.case
    forms = forms or {}
    message_forms = {
        r.pk: forms.get(f"message_{r.pk}") or MessageForm(initial={"report": r.pk})
        for r in page.reports
    }
    templates = {
        r.pk: [
            (
                key,
                label,
                message_templates.render(key, audience=r.wording_band, language=r.language),
            )
            for key, label in message_templates.choices()
        ]
        for r in page.reports
    }
    return render(
        request,
        "desk/case.html",
        {
            "page": page,
            "case": case,
            "a": case_access,
            "status_form": forms.get("status")
            or StatusForm(
                initial={
                    "version": case.version,
                    "status": case.status,
                    "action": case.action,
                    "outcome_codes": case.outcome_codes,
                }
            ),
            "note_form": forms.get("note") or NoteForm(),
            "message_forms": message_forms,
            "templates": templates,
            "approval_form": forms.get("approval") or ApprovalRequestForm(),
            "merge_form": forms.get("merge") or MergeForm(),
            "move_form": MoveReportForm(),
            "actions": [(a, label) for a, label in Action.choices if a],
            "outcome_labels": OUTCOME_LABELS,
            "clock": clock_state(case, timezone.now()),
            "assignees": User.objects.filter(is_active=True, role__in=CASE_ROLES).order_by(
                "team", "username"
            )
            if case_access.approve
            else [],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required(Perm.CASE_VIEW)
def case_detail(request: HttpRequest, case_id: int) -> HttpResponse:
    reason = ""
    form = ReasonForm(request.POST or None)
    if request.method == "POST":
        if form.is_valid():
            reason = form.cleaned_data["reason"]
        else:
            return render(
                request, "desk/break_glass.html", {"form": form, "case_id": case_id}, status=400
            )
    try:
        case_access = access.open_case(
            user=request.user, case_id=case_id, reason=reason, granted=_granted(request, case_id)
        )
    except access.ReasonRequired:
        return render(
            request, "desk/break_glass.html", {"form": ReasonForm(), "case_id": case_id}, status=403
        )
    if reason:
        request.session[GLASS_KEY] = [*request.session.get(GLASS_KEY, []), case_id][-50:]
        return redirect("desk:case", case_id)
    return _case_page(request, case_access)


def _change(request: HttpRequest, case_id: int, perm: Perm) -> access.CaseAccess:
    return access.case_for_change(
        user=request.user, case_id=case_id, perm=perm, granted=_granted(request, case_id)
    )


def _after(request: HttpRequest, case_id: int, done: str) -> HttpResponse:
    messages.success(request, done)
    return redirect("desk:case", case_id)


def _failed(
    request: HttpRequest, case_id: int, exc: ApplicationError, forms: dict[str, Any] | None = None
) -> HttpResponse:
    messages.error(request, exc.message)
    if exc.code == "conflict":
        forms = None  # show the case as it is now, with its new version
    case_access = access.open_case(
        user=request.user, case_id=case_id, granted=_granted(request, case_id)
    )
    return _case_page(request, case_access, forms=forms, status=exc.status)


@require_POST
@staff_required(Perm.CASE_EDIT)
def case_claim(request: HttpRequest, case_id: int) -> HttpResponse:
    case_access = _change(request, case_id, Perm.CASE_EDIT)
    try:
        services.case_claim(
            case=case_access.case,
            actor=request.user,
            version=int(request.POST.get("version", "0") or 0),
        )
    except (ApplicationError, ValueError) as exc:
        return _failed(
            request, case_id, exc if isinstance(exc, ApplicationError) else services.Conflict()
        )
    return _after(request, case_id, "The case is yours now.")


@require_POST
@staff_required(Perm.CASE_EDIT)
def case_status(request: HttpRequest, case_id: int) -> HttpResponse:
    case_access = _change(request, case_id, Perm.CASE_EDIT)
    form = StatusForm(request.POST)
    if not form.is_valid():
        return _failed(
            request,
            case_id,
            ApplicationError("invalid", "Check the status form."),
            {"status": form},
        )
    try:
        services.case_set_status(
            case=case_access.case,
            actor=request.user,
            version=form.cleaned_data["version"],
            status=form.cleaned_data["status"],
            action=form.cleaned_data["action"],
            outcome_codes=form.cleaned_data["outcome_codes"],
        )
    except ApplicationError as exc:
        return _failed(request, case_id, exc, {"status": form})
    return _after(request, case_id, "Status saved. The reporter's page shows it now.")


@require_POST
@staff_required(Perm.CASE_EDIT, Perm.NARRATIVE_VIEW)
def case_note(request: HttpRequest, case_id: int) -> HttpResponse:
    case_access = _change(request, case_id, Perm.CASE_EDIT)
    form = NoteForm(request.POST)
    if not form.is_valid() or not form.cleaned_data["body"]:
        return _failed(
            request, case_id, ApplicationError("invalid", "The note is empty."), {"note": form}
        )
    services.note_add(case=case_access.case, body=form.cleaned_data["body"], actor=request.user)
    return _after(request, case_id, "Note added.")


@require_POST
@staff_required(Perm.MESSAGE_SEND)
def case_message(request: HttpRequest, case_id: int) -> HttpResponse:
    case_access = _change(request, case_id, Perm.MESSAGE_SEND)
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _failed(request, case_id, ApplicationError("invalid", "Check the message."))
    body = form.cleaned_data["body"]
    template = form.cleaned_data["template"]
    report = Report.objects.filter(pk=form.cleaned_data["report"], case=case_access.case).first()
    if not body and template in message_templates.TEMPLATES and report:
        body = message_templates.render(
            template, audience=report.wording_band, language=report.language
        )
    if not body:
        return _failed(
            request,
            case_id,
            ApplicationError("invalid", "Write a message or choose a template."),
            {f"message_{form.cleaned_data['report']}": form},
        )
    try:
        services.message_send(
            case=case_access.case,
            report_id=form.cleaned_data["report"],
            body=body,
            actor=request.user,
            template=template,
        )
    except ApplicationError as exc:
        return _failed(request, case_id, exc)
    return _after(request, case_id, "Message sent. It is on the reporter's status page.")


@require_POST
@staff_required(Perm.CASE_EDIT)
def case_approval(request: HttpRequest, case_id: int) -> HttpResponse:
    case_access = _change(request, case_id, Perm.CASE_EDIT)
    form = ApprovalRequestForm(request.POST)
    if not form.is_valid():
        return _failed(
            request, case_id, ApplicationError("invalid", "Give a reason."), {"approval": form}
        )
    try:
        services.approval_request(
            case=case_access.case,
            kind=form.cleaned_data["kind"],
            reason=form.cleaned_data["reason"],
            actor=request.user,
        )
    except ApplicationError as exc:
        return _failed(request, case_id, exc)
    return _after(request, case_id, "Approval requested. A supervisor will decide.")


@require_POST
@staff_required(Perm.CASE_EDIT)
def case_merge(request: HttpRequest, case_id: int) -> HttpResponse:
    source = _change(request, case_id, Perm.CASE_EDIT)
    form = MergeForm(request.POST)
    if not form.is_valid():
        return _failed(
            request, case_id, ApplicationError("invalid", "Give a case number."), {"merge": form}
        )
    target = _change(request, form.cleaned_data["target"], Perm.CASE_EDIT)
    try:
        services.case_merge(source=source.case, target=target.case, actor=request.user)
    except ApplicationError as exc:
        return _failed(request, case_id, exc)
    return _after(request, target.case.pk, f"Case {case_id} was merged into this case.")


@require_POST
@staff_required(Perm.CASE_EDIT)
def report_move(request: HttpRequest, case_id: int) -> HttpResponse:
    source = _change(request, case_id, Perm.CASE_EDIT)
    form = MoveReportForm(request.POST)
    if not form.is_valid():
        return _failed(request, case_id, ApplicationError("invalid", "Check the case number."))
    report = Report.objects.filter(pk=form.cleaned_data["report"], case=source.case).first()
    if report is None:
        return _failed(request, case_id, ApplicationError("invalid", "Unknown report."))
    target: Case | None = None
    if form.cleaned_data["target"]:
        target = _change(request, form.cleaned_data["target"], Perm.CASE_EDIT).case
    try:
        moved_to = services.report_move(report=report, target=target, actor=request.user)
    except ApplicationError as exc:
        return _failed(request, case_id, exc)
    return _after(request, moved_to.pk, f"Report moved here from case {case_id}.")


@require_POST
@staff_required(Perm.CASE_EDIT)
def case_assign(request: HttpRequest, case_id: int) -> HttpResponse:
    case_access = _change(request, case_id, Perm.CASE_EDIT)
    assignee = None
    chosen = request.POST.get("assignee", "")
    if chosen:
        assignee = User.objects.filter(
            pk=chosen if chosen.isdigit() else 0, is_active=True, role__in=CASE_ROLES
        ).first()
        if assignee is None:
            return _failed(
                request,
                case_id,
                ApplicationError("bad_assignee", "Choose a counsellor, analyst or supervisor."),
            )
    try:
        services.case_assign(
            case=case_access.case,
            assignee=assignee,
            actor=request.user,
            version=int(request.POST.get("version", "0") or 0),
        )
    except (ApplicationError, ValueError):
        return _failed(request, case_id, services.Conflict())
    return _after(request, case_id, "Assignment saved.")
