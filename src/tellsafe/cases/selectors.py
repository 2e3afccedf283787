"""Reads of the case desk. Every function takes a queryset or a CaseAccess from
cases.access, never a bare id: the access module is the only door."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from tellsafe.cases.access import CaseAccess, visible_case_ids
from tellsafe.cases.models import Approval, Case, ContentItem, Message, Note, Status
from tellsafe.core.models import AuditEvent
from tellsafe.intake.models import Report

OPEN = [Status.NEW, Status.IN_REVIEW, Status.ACTION_TAKEN]
PAGE_SIZE = 50


@dataclass
class QueueFilters:
    status: str = ""
    category: str = ""
    channel: str = ""
    age_band: str = ""
    assignee: str = ""  # "", "me", "none" or a user id
    overdue: bool = False

    @classmethod
    def from_query(cls, query: Any) -> QueueFilters:
        return cls(
            status=query.get("status", "")[:16],
            category=query.get("category", "")[:48],
            channel=query.get("channel", "")[:16],
            age_band=query.get("age_band", "")[:8],
            assignee=query.get("assignee", "")[:16],
            overdue=query.get("overdue") == "1",
        )


def queue(
    cases: QuerySet[Case], filters: QueueFilters, user: Any, page: int = 1
) -> tuple[list[Case], bool]:
    """One page of the triage queue: most urgent first, then oldest. Returns the cases
    and whether there is a next page. A constant number of queries, whatever the page."""
    cases = cases.filter(status__in=[filters.status] if filters.status in OPEN else OPEN)
    reports = Report.objects.filter(case=OuterRef("pk"))
    if filters.category:
        cases = cases.filter(Exists(reports.filter(categories__code=filters.category)))
    if filters.channel:
        cases = cases.filter(Exists(reports.filter(channel=filters.channel)))
    if filters.age_band:
        cases = cases.filter(Exists(reports.filter(age_band=filters.age_band)))
    if filters.assignee == "me":
        cases = cases.filter(assignee_id=user.pk)
    elif filters.assignee == "none":
        cases = cases.filter(assignee__isnull=True)
    elif filters.assignee.isdigit():
        cases = cases.filter(assignee_id=int(filters.assignee))
    if filters.overdue:
        cases = cases.filter(first_response_at__isnull=True, first_response_due__lt=timezone.now())
    start = (max(page, 1) - 1) * PAGE_SIZE
    rows = list(
        cases.select_related("assignee")
        .prefetch_related(
            Prefetch(
                "reports",
                queryset=Report.objects.only(
                    "id", "case_id", "channel", "age_band", "reporter_kind", "created_at"
                )
                .prefetch_related("categories")
                .order_by("created_at"),
            )
        )
        .order_by("urgency_rank", "created_at", "pk")[start : start + PAGE_SIZE + 1]
    )
    return rows[:PAGE_SIZE], len(rows) > PAGE_SIZE


@dataclass
class CasePage:
    access: CaseAccess
    reports: list[Report]
    content: list[ContentItem]
    messages: list[Message]
    notes: list[Note]
    timeline: list[AuditEvent]
    approvals: list[Approval]
    merged_from: list[int]
    repeat_cases: dict[int, list[int]] = field(default_factory=dict)


def case_page(access: CaseAccess) -> CasePage:
    case = access.case
    merged_from = list(Case.objects.filter(merged_into=case).values_list("pk", flat=True))
    reports = list(case.reports.prefetch_related("categories").order_by("created_at"))
    timeline = list(
        AuditEvent.objects.filter(
            object_type="case", object_id__in=[str(pk) for pk in [case.pk, *merged_from]]
        ).order_by("-seq")[:200]
    )
    messages: list[Message] = []
    notes: list[Note] = []
    if access.narrative:
        messages = list(
            case.messages.select_related("author", "report")
            .prefetch_related("deliveries")
            .order_by("created_at")
        )
        notes = list(case.notes.select_related("author").order_by("created_at"))
    repeat: dict[int, list[int]] = {}
    hashes = {r.pk: r.contact_hash for r in reports if r.contact_hash}
    if hashes:
        earlier = (
            Report.objects.filter(contact_hash__in=hashes.values())
            .exclude(case=case)
            .values_list("contact_hash", "case_id")
        )
        by_hash: dict[str, set[int]] = {}
        for contact_hash, case_id in earlier:
            by_hash.setdefault(contact_hash, set()).add(case_id)
        allowed = set(visible_case_ids(access.user, sorted(set().union(*by_hash.values()))))
        for report_id, contact_hash in hashes.items():
            others = sorted(by_hash.get(contact_hash, set()))
            if others:
                # Say that the reporter reported before; link only what the user may open.
                repeat[report_id] = [pk if pk in allowed else 0 for pk in others]
    return CasePage(
        access=access,
        reports=reports,
        content=list(case.content_items.order_by("created_at")),
        messages=messages,
        notes=notes,
        timeline=timeline,
        approvals=list(
            case.approvals.select_related("requested_by", "decided_by").order_by("-requested_at")
        ),
        merged_from=merged_from,
        repeat_cases=repeat,
    )


def pending_approvals() -> QuerySet[Approval]:
    return (
        Approval.objects.filter(state=Approval.State.PENDING)
        .select_related("case", "requested_by")
        .order_by("requested_at")
    )


def break_glass_events(limit: int = 100) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="case.break_glass").order_by("-seq")[:limit])


def audit_events(
    *,
    action: str = "",
    object_id: str = "",
    actor_id: str = "",
    before_seq: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    query = Q()
    if action:
        query &= Q(action__startswith=action)
    if object_id:
        query &= Q(object_id=object_id)
    if actor_id:
        query &= Q(actor_id=actor_id)
    if before_seq:
        query &= Q(seq__lt=before_seq)
    return list(AuditEvent.objects.filter(query).order_by("-seq")[:limit])
