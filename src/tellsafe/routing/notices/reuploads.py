"""Re-uploads: content a partner removed after our notice, reported again.

A new content item with the same URL hash (a link) or the same media hash (SHA-256,
MD5 or PDQ, compared exactly: near matches are the matcher's work) as an item whose
notice ended ``removed`` is flagged as a re-upload, linked to that earlier notice, and
counted against its partner and host (``stats.reupload_counts``). A notice later made
about the new item points to the earlier one (``Notice.earlier_notice``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from tellsafe.cases.models import ContentItem
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.routing.notices.models import Notice, Reupload
from tellsafe.routing.notices.payload import content_keys

log = logging.getLogger(__name__)


def earlier_removed_notice(item: ContentItem) -> Notice | None:
    """The latest notice about other content with the same URL or media hash that
    ended removed (index notice_removed_key_idx), or None."""
    keys = content_keys(item)
    if not keys or item.pk is None:
        return None
    return (
        Notice.objects.filter(content_key__in=keys, removed_at__isnull=False)
        .exclude(content_item_id=item.pk)
        .order_by("-removed_at", "-id")
        .first()
    )


def check_reupload(item: ContentItem, *, now: datetime | None = None) -> Notice | None:
    """Flag ``item`` as a re-upload if its content was removed before after one of our
    notices; returns that earlier notice, or None. Idempotent: an item is flagged once,
    and asking again returns the notice it was linked to. For the intake side to call
    when a content item arrives (and again once a media item has its hashes)."""
    if not isinstance(item, ContentItem) or item.pk is None:
        raise TypeError("check_reupload takes a stored ContentItem")
    flagged = Reupload.objects.filter(content_item=item).select_related("earlier_notice").first()
    if flagged is not None:
        return flagged.earlier_notice
    earlier = earlier_removed_notice(item)
    if earlier is None:
        return None
    at = now or timezone.now()
    with write_transaction():
        try:
            with transaction.atomic():  # a savepoint: a racing flag leaves us usable
                flag = Reupload.objects.create(
                    content_item=item,
                    earlier_notice=earlier,
                    partner_id=earlier.partner_id,
                    host=(item.host or earlier.host)[:255],
                    detected_at=at,
                )
        except IntegrityError:
            return Reupload.objects.get(content_item=item).earlier_notice
        audit.record(
            actor=audit.Actor.system(),
            action="content.reupload",
            object_type="content_item",
            object_id=item.pk,
            data={
                "earlier_notice": earlier.pk,
                "partner": earlier.partner_id,
                "reupload": flag.pk,
            },
        )
    log.info(
        "re-upload found", extra={"event": "notice.reupload", "partner_id": earlier.partner_id}
    )
    return earlier
