"""Background work of routing. Tasks take ids, call a service, and are idempotent."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

from tellsafe.cases.models import ContentItem
from tellsafe.core.errors import ApplicationError
from tellsafe.core.retry import retrying
from tellsafe.routing import services
from tellsafe.routing.models import HostingTrace

log = logging.getLogger(__name__)
DEFAULT_REUSE_SECONDS = 300


def _since(requested_at: str | None) -> datetime:
    """Traces made from this moment on answer the request."""
    if requested_at:
        try:
            moment = datetime.fromisoformat(requested_at)
        except (TypeError, ValueError):
            moment = None
        if moment is not None and timezone.is_aware(moment):
            return moment
    seconds = getattr(settings, "TRACE_REUSE_SECONDS", DEFAULT_REUSE_SECONDS)
    return timezone.now() - timedelta(seconds=max(0, int(seconds)))


@task()
@retrying("tellsafe.routing.tasks.trace_content_item_task", attempts=5, base_seconds=30)
def trace_content_item_task(item_id: int, requested_at: str | None = None) -> int | None:
    """Trace one content item; returns the trace id, or None when there is nothing to
    trace (no such item, not a link, removed by retention).

    Idempotent: a trace made at or after ``requested_at`` (an ISO time set by whoever
    asked, see ``services.schedule_trace``) answers a retry of the same request; without
    it, a trace of the last ``TRACE_REUSE_SECONDS`` (default 300) is reused."""
    item = ContentItem.objects.filter(pk=item_id).first()
    if item is None:
        log.warning("nothing to trace", extra={"code": "content_item_missing"})
        return None
    done = (
        HostingTrace.objects.filter(content_item=item, traced_at__gte=_since(requested_at))
        .order_by("-traced_at", "-id")
        .values_list("pk", flat=True)
        .first()
    )
    if done is not None:
        return done
    try:
        return services.trace_content_item(item=item).pk
    except ApplicationError as exc:
        if exc.code != "not_traceable":
            raise  # the DNS or the IP database is unavailable: retried with backoff
        log.info("nothing to trace", extra={"code": exc.code})
        return None
