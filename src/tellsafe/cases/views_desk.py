"""Desk pages around the cases: phone reports, non-case contacts, approvals, the
attention-needed list and the audit log."""

from __future__ import annotations

import csv
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_tasks_db.models import DBTaskResult

from tellsafe.accounts.decorators import staff_required
from tellsafe.accounts.roles import Perm
from tellsafe.cases import selectors, services
from tellsafe.cases.escalation import overdue
from tellsafe.cases.forms import ApprovalDecisionForm, ContactForm
from tellsafe.cases.models import Approval
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.intake import services as intake_services
from tellsafe.intake.models import AgeBand, Channel, ContactKind, OutboundMessage, ReporterKind
from tellsafe.intake.validation import validate_report
from tellsafe.taxonomy.selectors import categories


def _phone_data(post: Any) -> dict[str, Any]:
    safe = post.get("safe_now", "")
    return {
        "reporter": post.get("reporter"),
        "age_band": post.get("age_band"),
        "language": post.get("language"),
        "categories": post.getlist("categories"),
        "details": post.get("details", ""),
        "urls": [line for line in post.get("urls", "").splitlines() if line.strip()],
        "safe_now": {"yes": True, "no": False}.get(safe),
        "contact": {
            "kind": post.get("contact_kind", "none"),
            "value": post.get("contact_value", ""),
        },
    }


@require_http_methods(["GET", "POST"])
@staff_required(Perm.PHONE_REPORT)
def phone_report(request: HttpRequest) -> HttpResponse:
    """A counsellor records a call on the caller's behalf: same fields, same checks as
    the web journey; the case is created at once and assigned to them."""
    error = None
    if request.method == "POST":
        try:
            data = validate_report(_phone_data(request.POST))
            created = intake_services.report_create(data=data, channel=Channel.PHONE)
            services.case_claim(case=created.report.case, actor=request.user)
        except ApplicationError as exc:
            error = exc
        else:
            messages.success(
                request,
                f"Case {created.report.case_id} created. Read these "
                f"codes to the caller: report code {created.report.reference}, "
                f"secret code {created.passphrase}.",
            )
            return redirect("desk:case", created.report.case_id)
    return render(
        request,
        "desk/phone_report.html",
        {
            "error": error,
            "post": request.POST,
            "reporters": ReporterKind.choices,
            "age_bands": AgeBand.choices,
            "languages": settings.LANGUAGES,
            "categories": categories(),
            "contact_kinds": ContactKind.choices,
        },
        status=error.status if error else 200,
    )


@require_http_methods(["GET", "POST"])
@staff_required(Perm.PHONE_REPORT)
def contact_new(request: HttpRequest) -> HttpResponse:
    form = ContactForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.contact_record(
            kind=form.cleaned_data["kind"], channel=form.cleaned_data["channel"], actor=request.user
        )
        messages.success(request, "Contact counted. It does not enter the queue.")
        return redirect("desk:contact_new")
    return render(request, "desk/contact.html", {"form": form}, status=400 if form.errors else 200)


@staff_required(Perm.APPROVE)
def approvals(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "desk/approvals.html",
        {
            "pending": selectors.pending_approvals(),
            "glass": selectors.break_glass_events(50),
            "form": ApprovalDecisionForm(),
        },
    )


@require_POST
@staff_required(Perm.APPROVE)
def approval_decide(request: HttpRequest, approval_id: int) -> HttpResponse:
    approval = get_object_or_404(Approval, pk=approval_id)
    form = ApprovalDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose approve or refuse.")
        return redirect("desk:approvals")
    try:
        services.approval_decide(
            approval=approval,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Decision recorded.")
    return redirect("desk:approvals")


@staff_required(Perm.APPROVE)
def attention(request: HttpRequest) -> HttpResponse:
    """Work that needs a person: background tasks that failed for good, and overdue
    cases (already escalated)."""
    failed = DBTaskResult.objects.filter(status="FAILED").order_by("-finished_at")[:100]
    return render(
        request,
        "desk/attention.html",
        {
            "failed": failed,
            "undelivered": OutboundMessage.objects.filter(status="failed")
            .select_related("channel", "case_message")
            .order_by("-updated_at")[:100],
            "overdue": overdue().order_by("urgency_rank", "first_response_due")[:100],
            "overdue_escalated": selectors.Case.objects.filter(
                escalated_at__isnull=False, first_response_at__isnull=True, merged_into__isnull=True
            )
            .exclude(status="closed")
            .order_by("escalated_at")[:100],
        },
    )


@staff_required(Perm.AUDIT_VIEW)
def audit_log(request: HttpRequest) -> HttpResponse:
    def number(name: str) -> int | None:
        value = request.GET.get(name, "")
        return int(value) if value.isdigit() else None

    filters = {
        "action": request.GET.get("action", "")[:64],
        "object_id": request.GET.get("object_id", "")[:64],
        "actor_id": request.GET.get("actor_id", "")[:64],
    }
    events = selectors.audit_events(**filters, before_seq=number("before"))
    with write_transaction():
        audit.record(
            actor=audit.Actor("staff", request.user.pk),
            action="audit.browse",
            object_type="audit",
            object_id="",
            data=filters,
        )
    return render(
        request,
        "desk/audit.html",
        {
            "events": events,
            "filters": filters,
            "next": events[-1].seq if len(events) == 100 else None,
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_required(Perm.AUDIT_VIEW)
def audit_export(request: HttpRequest) -> StreamingHttpResponse:
    """The whole audit log as CSV, streamed; the export is itself audited."""
    with write_transaction():
        audit.record(
            actor=audit.Actor("staff", request.user.pk),
            action="audit.export",
            object_type="audit",
            object_id="",
        )
    writer = csv.writer(_Echo())
    columns = list(audit.CHAIN_COLUMNS)

    def rows():
        yield writer.writerow(columns)
        from tellsafe.core.models import AuditEvent

        for event in AuditEvent.objects.order_by("seq").values_list(*columns).iterator(2000):
            yield writer.writerow(event)

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="audit-log.csv"'
    return response
