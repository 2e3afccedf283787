"""Writes of the case desk. Each state change is one function: keyword-only, in one
write transaction, with its audit event, and with optimistic locking on Case.version so
two people saving the same case never silently overwrite each other."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tellsafe.cases.models import (
    Action,
    Approval,
    Case,
    Contact,
    ContentItem,
    Message,
    Note,
    Status,
)
from tellsafe.cases.status import OUTCOMES
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError

log = logging.getLogger(__name__)

# Allowed status changes; "reopen" is closed -> in_review.
TRANSITIONS: dict[str, set[str]] = {
    Status.NEW: {Status.IN_REVIEW, Status.ACTION_TAKEN, Status.CLOSED},
    Status.IN_REVIEW: {Status.ACTION_TAKEN, Status.CLOSED},
    Status.ACTION_TAKEN: {Status.ACTION_TAKEN, Status.IN_REVIEW, Status.CLOSED},
    Status.CLOSED: {Status.IN_REVIEW},
}
NO_ACTION = "no_action_possible"


class Conflict(ApplicationError):
    def __init__(self) -> None:
        super().__init__(
            "conflict",
            "Someone else changed this case while you were working on it. Your change was "
            "not saved: reload the case to see theirs, then try again.",
            status=409,
        )


def _actor(user: Any) -> audit.Actor:
    return audit.Actor("staff", user.pk)


def _bump(case: Case, version: int | None, **changes: Any) -> None:
    """Apply ``changes`` to the case if nobody changed it since ``version``."""
    now = timezone.now()
    changes["updated_at"] = now
    query = Case.objects.filter(pk=case.pk)
    if version is not None:
        query = query.filter(version=version)
    if query.update(version=F("version") + 1, **changes) != 1:
        raise Conflict
    for name, value in changes.items():
        setattr(case, name, value)
    case.version = (version if version is not None else case.version) + 1


def case_claim(*, case: Case, actor: Any, version: int | None = None) -> Case:
    """Take a case: it is assigned to the actor and their team, and review starts."""
    with write_transaction():
        now = timezone.now()
        changes: dict[str, Any] = {"assignee_id": actor.pk, "team": actor.team or case.team}
        if case.status == Status.NEW:
            changes["status"] = Status.IN_REVIEW
        if case.first_response_at is None:
            changes["first_response_at"] = now
        _bump(case, version, **changes)
        audit.record(
            actor=_actor(actor),
            action="case.claim",
            object_type="case",
            object_id=case.pk,
            data={"team": case.team},
        )
    return case


def case_claim_next(*, actor: Any, queue: Any) -> Case | None:
    """Claim the most urgent, oldest unassigned case of ``queue`` (a queryset from
    cases.access.queue_cases). Two people pressing at once get different cases."""
    for _attempt in range(5):
        candidate = (
            queue.filter(assignee__isnull=True)
            .order_by("urgency_rank", "created_at")
            .only("pk", "version", "status", "first_response_at", "team")
            .first()
        )
        if candidate is None:
            return None
        try:
            with write_transaction():
                updated = Case.objects.filter(
                    pk=candidate.pk, assignee__isnull=True, version=candidate.version
                )
                now = timezone.now()
                count = updated.update(
                    assignee_id=actor.pk,
                    team=actor.team or candidate.team,
                    status=Status.IN_REVIEW if candidate.status == Status.NEW else candidate.status,
                    first_response_at=candidate.first_response_at or now,
                    updated_at=now,
                    version=F("version") + 1,
                )
                if count != 1:
                    continue  # someone else took it; try the next one
                audit.record(
                    actor=_actor(actor),
                    action="case.claim",
                    object_type="case",
                    object_id=candidate.pk,
                    data={"next": True},
                )
            return Case.objects.get(pk=candidate.pk)
        except Conflict:
            continue
    return None


def case_assign(*, case: Case, assignee: Any | None, actor: Any, version: int) -> Case:
    with write_transaction():
        _bump(
            case,
            version,
            assignee_id=assignee.pk if assignee else None,
            team=(assignee.team if assignee else case.team),
        )
        audit.record(
            actor=_actor(actor),
            action="case.assign",
            object_type="case",
            object_id=case.pk,
            data={"assignee": assignee.pk if assignee else None},
        )
    return case


def case_set_status(
    *,
    case: Case,
    status: str,
    actor: Any,
    version: int,
    action: str = "",
    outcome_codes: list[str] | None = None,
) -> Case:
    """Move a case along new -> in review -> action taken -> closed (and reopen).
    Closing with no action needs an approved supervisor approval first."""
    if status not in TRANSITIONS.get(case.status, set()):
        raise ApplicationError(
            "bad_transition",
            f"A case cannot go from {case.get_status_display()} to {Status(status).label}.",
            {"status": ["Not allowed now."]},
        )
    if status == Status.ACTION_TAKEN and action not in {a for a in Action.values if a}:
        raise ApplicationError(
            "action_required",
            "Say which action was taken.",
            {"action": ["Choose the action taken."]},
        )
    outcomes = [code for code in (outcome_codes or []) if code in OUTCOMES]
    changes: dict[str, Any] = {"status": status}
    if status == Status.ACTION_TAKEN:
        changes["action"] = action
    with write_transaction():
        now = timezone.now()
        if status == Status.CLOSED:
            if not outcomes:
                raise ApplicationError(
                    "outcome_required",
                    "Record what was done before closing.",
                    {"outcome_codes": ["Choose at least one outcome."]},
                )
            if (
                outcomes == [NO_ACTION]
                and not Approval.objects.filter(
                    case=case, kind=Approval.Kind.CLOSE_NO_ACTION, state=Approval.State.APPROVED
                ).exists()
            ):
                raise ApplicationError(
                    "approval_required",
                    "Closing with no action needs a supervisor's approval. Ask for it below.",
                    status=409,
                )
            changes.update(outcome_codes=outcomes, closed_at=now)
        elif case.status == Status.CLOSED:
            changes.update(closed_at=None)
        if case.first_response_at is None and status != Status.NEW:
            changes["first_response_at"] = now
        before = case.status
        _bump(case, version, **changes)
        audit.record(
            actor=_actor(actor),
            action="case.status",
            object_type="case",
            object_id=case.pk,
            data={"from": before, "to": status, "action": action, "outcomes": outcomes},
        )
        if status != before:
            transaction.on_commit(lambda: _notify(case))
    return case


def _notify(case: Case) -> None:
    """Tell reporters who agreed to be contacted, on their own channel."""
    from tellsafe.intake.conversations import notify_status

    notify_status(case=case)


def note_add(*, case: Case, body: str, actor: Any) -> Note:
    with write_transaction():
        now = timezone.now()
        note = Note.objects.create(case=case, author=actor, body=body, created_at=now)
        Case.objects.filter(pk=case.pk).update(updated_at=now)
        audit.record(
            actor=_actor(actor),
            action="case.note",
            object_type="case",
            object_id=case.pk,
            data={"note": note.pk},
        )
    return note


def message_send(
    *, case: Case, report_id: int, body: str, actor: Any, template: str = ""
) -> Message:
    """A message to the reporter of ``report_id``: shown on their status page (and, once
    channels exist, sent on their own channel)."""
    report = case.reports.filter(pk=report_id).first()
    if report is None:
        raise ApplicationError(
            "unknown_report",
            "That report is not part of this case.",
            {"report": ["Choose a report of this case."]},
        )
    with write_transaction():
        now = timezone.now()
        message = Message.objects.create(
            case=case,
            report=report,
            direction=Message.Direction.OUTBOUND,
            body=body,
            author=actor,
            created_at=now,
        )
        changes: dict[str, Any] = {"updated_at": now}
        if case.first_response_at is None:
            changes["first_response_at"] = now
        Case.objects.filter(pk=case.pk).update(**changes)
        audit.record(
            actor=_actor(actor),
            action="case.message",
            object_type="case",
            object_id=case.pk,
            data={"message": message.pk, "report": report.pk, "template": template},
        )
        transaction.on_commit(lambda: _deliver(message, body))
    return message


def _deliver(message: Message, body: str) -> None:
    """Also send it on the reporter's own channel (if they came on one and agreed)."""
    from tellsafe.intake.conversations import deliver_to_reporter

    deliver_to_reporter(message=message, body=body)


def approval_request(*, case: Case, kind: str, reason: str, actor: Any) -> Approval:
    if Approval.objects.filter(case=case, kind=kind, state=Approval.State.PENDING).exists():
        raise ApplicationError("approval_pending", "An approval is already waiting.", status=409)
    with write_transaction():
        approval = Approval.objects.create(
            case=case, kind=kind, requested_by=actor, requested_at=timezone.now(), reason=reason
        )
        audit.record(
            actor=_actor(actor),
            action="approval.request",
            object_type="case",
            object_id=case.pk,
            reason=reason,
            data={"approval": approval.pk, "kind": kind},
        )
    return approval


def approval_decide(*, approval: Approval, approve: bool, note: str, actor: Any) -> Approval:
    if approval.state != Approval.State.PENDING:
        raise ApplicationError("approval_decided", "This approval was already decided.", status=409)
    if approval.requested_by_id == actor.pk:
        raise ApplicationError(
            "own_approval", "Someone else must approve your own request.", status=403
        )
    with write_transaction():
        count = Approval.objects.filter(pk=approval.pk, state=Approval.State.PENDING).update(
            state=Approval.State.APPROVED if approve else Approval.State.REFUSED,
            decided_by=actor,
            decided_at=timezone.now(),
            decision_note=note,
        )
        if count != 1:
            raise ApplicationError(
                "approval_decided", "This approval was already decided.", status=409
            )
        audit.record(
            actor=_actor(actor),
            action="approval.decide",
            object_type="case",
            object_id=approval.case_id,
            reason=note,
            data={"approval": approval.pk, "approved": approve},
        )
    approval.refresh_from_db()
    return approval


def case_merge(*, source: Case, target: Case, actor: Any) -> Case:
    """Merge a duplicate into ``target``: its reports, content, messages and notes move,
    nothing is deleted, and the source keeps its history and points at the target."""
    if source.pk == target.pk:
        raise ApplicationError("same_case", "A case cannot be merged into itself.")
    if target.merged_into_id:
        raise ApplicationError("merged_target", "That case was itself merged; use its target.")
    with write_transaction():
        moved = {
            "reports": source.reports.update(case=target),
            "content": ContentItem.objects.filter(case=source).update(case=target),
            "messages": Message.objects.filter(case=source).update(case=target),
            "notes": Note.objects.filter(case=source).update(case=target),
        }
        Case.objects.filter(merged_into=source).update(merged_into=target)
        now = timezone.now()
        Case.objects.filter(pk=source.pk).update(
            merged_into=target,
            status=Status.CLOSED,
            closed_at=now,
            updated_at=now,
            version=F("version") + 1,
        )
        # The merged case takes the higher urgency of the two.
        if source.urgency_rank < target.urgency_rank:
            Case.objects.filter(pk=target.pk).update(
                urgency=source.urgency,
                urgency_rank=source.urgency_rank,
                first_response_due=min(source.first_response_due, target.first_response_due),
                imminent_danger=target.imminent_danger or source.imminent_danger,
            )
        Case.objects.filter(pk=target.pk).update(updated_at=now, version=F("version") + 1)
        audit.record(
            actor=_actor(actor),
            action="case.merge",
            object_type="case",
            object_id=target.pk,
            data={"source": source.pk, **moved},
        )
        audit.record(
            actor=_actor(actor),
            action="case.merged_into",
            object_type="case",
            object_id=source.pk,
            data={"target": target.pk},
        )
    target.refresh_from_db()
    return target


def report_move(*, report: Any, target: Case | None, actor: Any) -> Case:
    """Split: move one report (with its content and messages) to another case, or to a
    new case of its own when ``target`` is None."""
    source = report.case
    if source.reports.count() < 2 and target is None:
        raise ApplicationError("last_report", "This is the only report of its case.")
    with write_transaction():
        now = timezone.now()
        if target is None:
            target = Case.objects.create(
                urgency=source.urgency,
                urgency_rank=source.urgency_rank,
                imminent_danger=source.imminent_danger,
                first_response_due=source.first_response_due,
                created_at=report.created_at,
                updated_at=now,
            )
        type(report).objects.filter(pk=report.pk).update(case=target)
        ContentItem.objects.filter(report=report).update(case=target)
        Message.objects.filter(report=report).update(case=target)
        Case.objects.filter(pk__in=[source.pk, target.pk]).update(
            updated_at=now, version=F("version") + 1
        )
        audit.record(
            actor=_actor(actor),
            action="report.move",
            object_type="case",
            object_id=source.pk,
            data={"report": report.pk, "to": target.pk},
        )
        audit.record(
            actor=_actor(actor),
            action="report.moved_in",
            object_type="case",
            object_id=target.pk,
            data={"report": report.pk, "from": source.pk},
        )
    return target


def contact_record(*, kind: str, channel: str, actor: Any) -> Contact:
    """Count a contact that is not a case (silent call, prank...)."""
    if kind not in Contact.Kind.values:
        raise ApplicationError("bad_kind", "Choose a kind of contact.", {"kind": ["Choose."]})
    with write_transaction():
        contact = Contact.objects.create(
            kind=kind, channel=channel, recorded_by=actor, created_at=timezone.now()
        )
        audit.record(
            actor=_actor(actor),
            action="contact.record",
            object_type="contact",
            object_id=contact.pk,
            data={"kind": kind, "channel": channel},
        )
    return contact
