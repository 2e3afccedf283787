"""Writes of the hosting trace: tracing a content item and keeping the result.

The DNS work happens before the write transaction, so a slow nameserver never holds the
database's write lock; the trace row and its audit event are then written together.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tellsafe.cases.models import ContentItem
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.routing import contacts
from tellsafe.routing.contacts import AbuseContactLookup
from tellsafe.routing.ipdb import IpDatabase
from tellsafe.routing.models import HostingTrace
from tellsafe.routing.resolve import Resolver, default_resolver
from tellsafe.routing.trace import TraceResult, trace_url

log = logging.getLogger(__name__)


def _traceable_url(item: ContentItem) -> str:
    if item.kind != ContentItem.Kind.URL:
        message = _("Only links can be traced.")
        raise ApplicationError("not_traceable", message, {"item": [message]})
    if not item.url:
        message = _("This link was removed by retention and cannot be traced.")
        raise ApplicationError("not_traceable", message, {"item": [message]})
    return item.url


def trace_content_item(
    *,
    item: ContentItem,
    resolver: Resolver | None = None,
    now: datetime | None = None,
    abuse_contact_lookup: AbuseContactLookup | None = None,
    ip_database: IpDatabase | None = None,
    actor: audit.Actor | None = None,
) -> HostingTrace:
    """Trace where ``item``'s URL is hosted now and keep the trace, with its audit event.

    Every call adds a trace (earlier ones are kept, so a move shows). A bad URL or a DNS
    failure is stored as the trace's outcome; ``not_traceable`` is raised only for an
    item that is not a link or whose link retention removed. ``abuse_contact_lookup``
    defaults to the one the setting ``TRACE_ABUSE_CONTACT_LOOKUP`` names."""
    url = _traceable_url(item)
    traced_at = now or timezone.now()
    if timezone.is_naive(traced_at):
        raise ValueError("now must be an aware datetime")
    result = trace_url(
        url,
        resolver=resolver or default_resolver(),
        ip_database=ip_database,
        abuse_contact_lookup=abuse_contact_lookup or contacts.configured_lookup(),
        now=traced_at,
    )
    with write_transaction():
        trace = HostingTrace.objects.create(**_columns(result), content_item=item)
        audit.record(
            actor=actor or audit.Actor.system(),
            action="content.trace",
            object_type="content_item",
            object_id=item.pk,
            data={
                "trace": trace.pk,
                "outcome": trace.outcome,
                "country": trace.country,
                "asn": trace.asn,
                "cdn": trace.cdn,
            },
        )
    log.info("hosting traced", extra={"event": "routing.trace", "code": trace.outcome})
    return trace


def _columns(result: TraceResult) -> dict:
    country = result.hosting_country if isinstance(result.hosting_country, str) else ""
    return {
        "traced_at": result.traced_at,
        "outcome": result.outcome,
        "host": result.host[:255],
        "country": country,
        "asn": result.asn,
        "org": result.org[:255],
        "behind_cdn": result.behind_cdn,
        "cdn": result.cdn[:32],
        "data": result.to_dict(include_url=False),
    }


def schedule_trace(*, item: ContentItem) -> None:
    """Trace ``item`` in the background once the current transaction commits. Retries of
    that task reuse the trace made for this request (see ``tasks``)."""
    from tellsafe.routing.tasks import trace_content_item_task

    requested_at = timezone.now().isoformat()
    transaction.on_commit(
        lambda: trace_content_item_task.enqueue(item.pk, requested_at=requested_at)
    )


__all__ = ["schedule_trace", "trace_content_item"]
