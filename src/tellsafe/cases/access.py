"""The one door to case data. Views and APIs obtain cases only through these functions,
which fail closed: no role, no permission, or a case outside the user's scope is refused.

Record scope: counsellors and analysts work the shared triage queue (cases with no team),
their own team's cases and cases assigned to them. Opening any other case means
"breaking the glass": a typed reason, audited, and shown to supervisors. Supervisors and
auditors see every team.

Field scope: narratives, notes and messages need NARRATIVE_VIEW (auditors never have it);
contact details need CONTACT_VIEW *and* the case being assigned to the user or their team
(or a supervisor).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from tellsafe.accounts.roles import Perm, has_perm
from tellsafe.cases.models import Case, Status
from tellsafe.core import audit
from tellsafe.core.db import write_transaction


class ReasonRequired(Exception):
    """The case is outside the user's scope: they must give a reason to open it."""

    def __init__(self, case_id: int) -> None:
        super().__init__(case_id)
        self.case_id = case_id


@dataclass(frozen=True)
class CaseAccess:
    case: Case
    user: Any
    narrative: bool
    contact: bool
    edit: bool
    message: bool
    approve: bool
    broke_glass: bool


def _scope(user: Any) -> Q:
    if has_perm(user, Perm.ALL_TEAMS):
        return Q()
    scope = Q(team="") | Q(assignee_id=user.pk)
    if user.team:
        scope |= Q(team=user.team)
    return scope


def in_scope(user: Any, case: Case) -> bool:
    return (
        has_perm(user, Perm.ALL_TEAMS)
        or case.team == ""
        or case.assignee_id == user.pk
        or (bool(user.team) and case.team == user.team)
    )


def queue_cases(user: Any) -> QuerySet[Case]:
    """Open cases the user may see in the queue, not yet ordered or filtered."""
    if not has_perm(user, Perm.QUEUE_VIEW):
        raise PermissionDenied
    return Case.objects.filter(_scope(user), merged_into__isnull=True).exclude(status=Status.CLOSED)


def visible_case_ids(user: Any, ids: list[int]) -> list[int]:
    """Which of ``ids`` the user could open without breaking the glass."""
    if not has_perm(user, Perm.CASE_VIEW):
        return []
    return list(Case.objects.filter(_scope(user), pk__in=ids).values_list("pk", flat=True))


def _grant(user: Any, case: Case, broke_glass: bool) -> CaseAccess:
    own = case.assignee_id == user.pk or (bool(user.team) and case.team == user.team)
    return CaseAccess(
        case=case,
        user=user,
        narrative=has_perm(user, Perm.NARRATIVE_VIEW),
        contact=has_perm(user, Perm.CONTACT_VIEW) and (own or has_perm(user, Perm.ALL_TEAMS)),
        edit=has_perm(user, Perm.CASE_EDIT),
        message=has_perm(user, Perm.MESSAGE_SEND),
        approve=has_perm(user, Perm.APPROVE),
        broke_glass=broke_glass,
    )


def _get(case_id: int) -> Case:
    try:
        return Case.objects.select_related("assignee", "merged_into").get(pk=case_id)
    except (Case.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def open_case(*, user: Any, case_id: int, reason: str = "", granted: bool = False) -> CaseAccess:
    """Read a case: checks role and scope, and audits the read. ``granted`` means the
    user already broke the glass for this case in this session."""
    if not has_perm(user, Perm.CASE_VIEW):
        raise PermissionDenied
    case = _get(case_id)
    broke_glass = False
    if not in_scope(user, case):
        if not reason and not granted:
            raise ReasonRequired(case.pk)
        broke_glass = True
    with write_transaction():
        if reason:
            audit.record(
                actor=audit.Actor("staff", user.pk),
                action="case.break_glass",
                object_type="case",
                object_id=case.pk,
                reason=reason,
            )
        audit.record(
            actor=audit.Actor("staff", user.pk),
            action="case.view",
            object_type="case",
            object_id=case.pk,
            data={"outside_scope": broke_glass},
        )
    return _grant(user, case, broke_glass)


def case_for_change(*, user: Any, case_id: int, perm: Perm, granted: bool = False) -> CaseAccess:
    """A case the user is about to change with ``perm``. The change itself is audited by
    the service that makes it."""
    if not has_perm(user, perm):
        raise PermissionDenied
    case = _get(case_id)
    if not in_scope(user, case) and not granted:
        raise PermissionDenied
    return _grant(user, case, not in_scope(user, case))
