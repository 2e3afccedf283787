"""What a reporter is told about their case: each desk status maps to one child status,
whose words (per audience) are in intake.wording."""

from __future__ import annotations

from tellsafe.cases.models import Action, Case, Status

RECEIVED = "received"
READING = "reading"
ASKED_REMOVAL = "asked_removal"
REMOVED = "removed"
REFERRED = "referred"
FINISHED = "finished"

CHILD_STATUSES = (RECEIVED, READING, ASKED_REMOVAL, REMOVED, REFERRED, FINISHED)

# What the desk may record as done when it closes a case; the reporter sees each one in
# their own words (intake.wording, keys "outcome_<code>").
OUTCOMES = (
    "content_removed",
    "removal_requested",
    "reported_to_platform",
    "referred_support",
    "passed_to_police",
    "advice_given",
    "no_action_possible",
)


def child_status(case: Case) -> str:
    if case.status == Status.CLOSED:
        return FINISHED
    if case.status == Status.ACTION_TAKEN:
        return {
            Action.CONTENT_REMOVED: REMOVED,
            Action.REFERRED: REFERRED,
        }.get(case.action, ASKED_REMOVAL)
    if case.status == Status.IN_REVIEW:
        return READING
    return RECEIVED
