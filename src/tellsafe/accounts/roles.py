"""What each staff role may do. Denied by default: a permission not listed for a role is
refused, and a user with no role (or an inactive one) can do nothing.

Record-level rules (which cases, which fields) live in cases.access; this table says only
which kinds of action a role may ever take.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from tellsafe.accounts.models import Role


class Perm(StrEnum):
    QUEUE_VIEW = "queue.view"  # see the triage queue and claim cases
    CASE_VIEW = "case.view"  # open a case page (record rules still apply)
    NARRATIVE_VIEW = "case.narrative"  # read what reporters wrote, notes and messages
    CONTACT_VIEW = "case.contact"  # see contact details (only on own/team cases)
    CASE_EDIT = "case.edit"  # notes, status, merge and split
    MESSAGE_SEND = "case.message"  # write to the reporter
    PHONE_REPORT = "case.phone"  # record a report taken by phone; count non-case contacts
    APPROVE = "case.approve"  # approve closures without action and outbound actions
    ALL_TEAMS = "case.all_teams"  # open any team's case without breaking the glass
    AUDIT_VIEW = "audit.view"  # browse and export the audit log
    CONFIGURE = "config.edit"  # urgency rules and the chat flow
    BANK_VIEW = "bank.view"  # look hashes up, hash an image, read banks and matches
    BANK_EDIT = "bank.edit"  # review self-reported hashes, release floods, remove hashes


ROLE_PERMS: dict[str, frozenset[Perm]] = {
    Role.COUNSELLOR: frozenset(
        {
            Perm.QUEUE_VIEW,
            Perm.CASE_VIEW,
            Perm.NARRATIVE_VIEW,
            Perm.CONTACT_VIEW,
            Perm.CASE_EDIT,
            Perm.MESSAGE_SEND,
            Perm.PHONE_REPORT,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Perm.QUEUE_VIEW,
            Perm.CASE_VIEW,
            Perm.NARRATIVE_VIEW,
            Perm.CASE_EDIT,
            Perm.BANK_VIEW,
            Perm.BANK_EDIT,
        }
    ),
    Role.SUPERVISOR: frozenset(
        {
            Perm.QUEUE_VIEW,
            Perm.CASE_VIEW,
            Perm.NARRATIVE_VIEW,
            Perm.CONTACT_VIEW,
            Perm.CASE_EDIT,
            Perm.MESSAGE_SEND,
            Perm.PHONE_REPORT,
            Perm.APPROVE,
            Perm.ALL_TEAMS,
            Perm.BANK_VIEW,
            Perm.BANK_EDIT,
        }
    ),
    Role.ADMINISTRATOR: frozenset({Perm.CONFIGURE}),
    Role.AUDITOR: frozenset({Perm.AUDIT_VIEW, Perm.CASE_VIEW, Perm.ALL_TEAMS}),
}


def has_perm(user: Any, perm: Perm) -> bool:
    """True only for an active user with a role, signed in with both factors."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if not getattr(user, "is_verified", lambda: False)():
        return False
    return perm in ROLE_PERMS.get(user.role, frozenset())
