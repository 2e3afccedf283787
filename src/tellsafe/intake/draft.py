"""The report a web reporter is writing, kept in their (encrypted) session between steps.

One page asks one thing. Each step saves what it got, even when an earlier answer is
missing, so nothing typed is ever lost; then the journey goes to the first step that
still needs an answer.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest

from tellsafe.intake.concerns import categories_for

KEY = "draft"
DONE_KEY = "done"
STEPS = ("who", "age", "what", "details", "safe", "contact", "check")


def get(request: HttpRequest) -> dict[str, Any]:
    draft = request.session.get(KEY)
    if draft is None:
        draft = {"id": secrets.token_urlsafe(16)}
        request.session[KEY] = draft
    return draft


def update(request: HttpRequest, **values: Any) -> dict[str, Any]:
    draft = get(request)
    draft.update(values)
    request.session[KEY] = draft
    request.session.modified = True
    return draft


def clear(request: HttpRequest) -> None:
    request.session.pop(KEY, None)


def audience(draft: dict[str, Any]) -> str:
    if draft.get("reporter") in ("caregiver", "professional"):
        return "helper"
    return draft.get("age_band") or "9_12"


def first_missing(draft: dict[str, Any]) -> str | None:
    """The first step without an answer, or None when the draft can be checked."""
    if not draft.get("reporter"):
        return "who"
    if not draft.get("age_band"):
        return "age"
    if not draft.get("concerns"):
        return "what"
    if "details" not in draft:
        return "details"
    if "safe" not in draft:
        return "safe"
    if "contact_kind" not in draft:
        return "contact"
    return None


def as_report_data(draft: dict[str, Any], language: str) -> dict[str, Any]:
    """The draft in the shape validate_report() takes, the same as the API's."""
    safe = draft.get("safe")
    return {
        "reporter": draft.get("reporter"),
        "age_band": draft.get("age_band"),
        "language": language,
        "categories": categories_for(draft.get("concerns") or []),
        "details": draft.get("details", ""),
        "urls": draft.get("urls", []),
        "safe_now": {"yes": True, "no": False}.get(safe),
        "contact": {
            "kind": draft.get("contact_kind", "none"),
            "value": draft.get("contact_value", ""),
        },
    }
