"""Reads of notices: by secure-link token, a partner's open notices, the timeline, and
the notices that need a person."""

from __future__ import annotations

import hmac
import re
from datetime import datetime

from django.db.models import Q, QuerySet

from tellsafe.partners.models import Partner
from tellsafe.routing.notices import payload
from tellsafe.routing.notices.models import OPEN_STATUSES, Notice, NoticeEvent

_TOKEN = re.compile(r"[0-9a-f]{64}")
MAX_PAGE = 500


def notice_by_token(token: str) -> Notice | None:
    """The notice whose secure link carries ``token``, while it is not closed. Found by
    the token's SHA-256 (an indexed, unique column), then compared in constant time;
    malformed tokens are refused before any query."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    digest = payload.token_hash(token)
    notice = (
        Notice.objects.select_related("content_item", "partner", "earlier_notice")
        .filter(token_hash=digest, closed_at__isnull=True)
        .first()
    )
    if notice is None or not hmac.compare_digest(notice.token_hash, digest):
        return None
    return notice


def partner_open_notices(
    *,
    partner: Partner,
    since: datetime | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[Notice]:
    """The partner's notices that wait for its answer (sent or acknowledged), in the
    order they were sent (index notice_partner_sent_idx). ``since`` (exclusive) and
    ``after_id`` continue from the last one seen: notices sent at ``since`` with an id
    above ``after_id`` come first."""
    limit = max(1, min(int(limit), MAX_PAGE))
    notices = Notice.objects.filter(partner=partner, status__in=OPEN_STATUSES)
    if since is not None:
        later = Q(sent_at__gt=since)
        if after_id is not None:
            later |= Q(sent_at=since, pk__gt=after_id)
        notices = notices.filter(later)
    return list(
        notices.select_related("content_item", "earlier_notice").order_by("sent_at", "id")[:limit]
    )


def partner_notice(*, partner: Partner, notice_id: int) -> Notice | None:
    """One of the partner's sent notices (never another partner's, nor one not sent)."""
    return (
        Notice.objects.select_related("content_item", "earlier_notice")
        .filter(partner=partner, pk=notice_id, sent_at__isnull=False)
        .first()
    )


def timeline(notice: Notice) -> QuerySet[NoticeEvent]:
    """The notice's events in order (index noticeevent_timeline_idx)."""
    return NoticeEvent.objects.filter(notice=notice).order_by("at", "id")


def notices_needing_attention(limit: int = 100) -> list[Notice]:
    """Notices a person must look at (failed delivery, MoU escalation, refusal...),
    oldest first (index notice_attention_idx)."""
    return list(
        Notice.objects.exclude(attention="")
        .select_related("partner")
        .order_by("created_at", "id")[: max(1, min(int(limit), MAX_PAGE))]
    )
