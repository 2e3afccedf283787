"""The partners' notice API, mounted at /api/v1/notices.

A partner's system, with an API key holding the ``notices`` scope, lists the notices
that wait for its answer (``GET /api/v1/notices?since=``; the first fetch acknowledges
each one) and answers each (``POST /api/v1/notices/{id}/response``). A partner sees and
answers only its own notices; another partner's id is 404, as an unknown one is.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.security.base import AuthBase

from tellsafe.core.errors import ApplicationError
from tellsafe.partners.auth import ApiKeyAuth, actor_for
from tellsafe.routing.notices import selectors, services
from tellsafe.routing.notices.models import Notice
from tellsafe.routing.notices.payload import categories_for, notice_payload
from tellsafe.routing.notices.transports.api_pull import SCOPE
from tellsafe.taxonomy.models import HarmCategory

router = Router(tags=["notices"])


class NoticeKeyAuth(ApiKeyAuth):
    """``ApiKeyAuth`` for the ``notices`` scope, named by its value so this module does
    not depend on the order in which partners.models.Scope gains its member."""

    def __init__(self) -> None:
        AuthBase.__init__(self)
        self.scope = SCOPE  # type: ignore[assignment]


class BasisOut(Schema):
    category: str
    category_name: str
    xarf_type: str
    legal_basis: str
    legal_reference: str


class ContentOut(Schema):
    type: Literal["url", "media"]
    url: str = ""
    host: str = ""
    media_type: str = ""
    hashes: dict[str, str] = {}


class NoticeOut(Schema):
    id: int
    reference: str
    kind: str
    status: str
    basis: BasisOut
    content: ContentOut
    sent_at: datetime | None
    reminders_sent: int
    earlier_notice: str | None
    outcome: str
    responded_at: datetime | None


class CursorOut(Schema):
    # Text with microseconds: a JSON time to the millisecond would repeat notices.
    since: str = Field(description="An ISO 8601 time; pass it back as it is.")
    after: int


class NoticeListOut(Schema):
    notices: list[NoticeOut]
    next: CursorOut | None = Field(
        None, description="Pass as ?since=&after= for the next page; null on the last page."
    )


class ListIn(Schema):
    since: datetime | None = Field(None, description="Only notices sent after this moment.")
    after: int | None = Field(None, description="With since: continue after this notice id.")
    limit: int = Field(100, ge=1, le=selectors.MAX_PAGE)


class ResponseIn(Schema):
    outcome: Literal["removed", "not_found", "refused"]
    reason: str = Field("", max_length=services.REASON_MAX)


def _out(notice: Notice, categories: dict[str, HarmCategory] | None = None) -> dict[str, Any]:
    out = notice_payload(notice, categories=categories)
    out.pop("schema")
    out["outcome"] = notice.outcome
    out["responded_at"] = notice.responded_at
    return out


def _partner(request: HttpRequest) -> Any:
    return request.auth.partner  # type: ignore[attr-defined]


@router.get("", response=NoticeListOut, auth=NoticeKeyAuth(), url_name="notices")
def list_notices(request: HttpRequest, filters: Query[ListIn]) -> dict[str, Any]:
    """The notices that wait for your answer, oldest first. Fetching a notice for the
    first time acknowledges it: its status becomes ``acknowledged``."""
    if filters.since is not None and timezone.is_naive(filters.since):
        message = "Give a time zone, e.g. 2026-01-31T12:00:00Z."
        raise ApplicationError("invalid_request", message, {"since": [message]})
    partner = _partner(request)
    notices = selectors.partner_open_notices(
        partner=partner, since=filters.since, after_id=filters.after, limit=filters.limit
    )
    if notices:
        services.notice_acknowledge(notices=notices, actor=actor_for(request))
    categories = categories_for(notices)
    last = notices[-1] if len(notices) == filters.limit else None
    return {
        "notices": [_out(n, categories) for n in notices],
        "next": {"since": last.sent_at.isoformat(), "after": last.pk}
        if last and last.sent_at
        else None,
    }


def _own(request: HttpRequest, notice_id: int) -> Notice:
    notice = selectors.partner_notice(partner=_partner(request), notice_id=notice_id)
    if notice is None:
        raise ApplicationError("not_found", "There is no such notice.", status=404)
    return notice


@router.get("/{notice_id}", response=NoticeOut, auth=NoticeKeyAuth(), url_name="notice")
def get_notice(request: HttpRequest, notice_id: int) -> dict[str, Any]:
    """One of your notices, in whatever state."""
    return _out(_own(request, notice_id))


@router.post(
    "/{notice_id}/response", response=NoticeOut, auth=NoticeKeyAuth(), url_name="notice_response"
)
def respond(request: HttpRequest, notice_id: int, body: ResponseIn) -> dict[str, Any]:
    """Say what you did: ``removed``, ``not_found`` or ``refused`` (with a ``reason``).
    Sending the same answer again changes nothing and answers 200; a different answer
    after one was recorded is 409 ``outcome_conflict`` (except refused, then removed)."""
    notice = services.notice_record_response(
        notice=_own(request, notice_id),
        outcome=body.outcome,
        reason=body.reason,
        via="api",
        actor=actor_for(request),
    )
    return _out(notice)
