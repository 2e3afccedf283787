"""Background work of the intake. Tasks take ids, call a service, and are idempotent."""

from __future__ import annotations

import json
import logging

from django_tasks import task

from tellsafe.core.http import ProviderError
from tellsafe.intake import conversations, media, services
from tellsafe.intake.models import InboundMessage

log = logging.getLogger(__name__)
SEND_ATTEMPTS = 6


@task()
def purge_idempotency_records() -> int:
    """Delete retry records (and the passphrases they hold) once their window is over."""
    return services.purge_idempotency_records()


@task()
def process_inbound(inbound_id: int) -> int:
    """Run a recorded message (and any earlier ones of the same contact) through the
    flow. Takes an id only: contact details never sit in the task queue."""
    row = InboundMessage.objects.filter(pk=inbound_id).first()
    if row is None or row.processed_at is not None:
        return 0
    contact = json.loads(row.event)["contact"]
    return len(conversations.process_pending(channel_id=row.channel_id, contact=contact))


@task()
def send_outbound(outbound_id: int, attempt: int = 1) -> str:
    """Send one message. Transient failures retry with exponential backoff; a message
    that still fails, or that the provider refuses outright, is marked failed, shown in
    the case, and the task ends FAILED for the attention-needed list."""
    from datetime import timedelta

    from django.utils import timezone

    try:
        return conversations.send(outbound_id)
    except Exception as exc:
        code = exc.code if isinstance(exc, ProviderError) else type(exc).__name__
        retryable = not isinstance(exc, ProviderError) or exc.retryable
        if retryable and attempt < SEND_ATTEMPTS:
            delay = 15 * 2 ** (attempt - 1)
            send_outbound.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
                outbound_id, attempt=attempt + 1
            )
            log.warning("send failed; retry scheduled", extra={"attempt": attempt, "code": code})
            return f"retry {attempt + 1}"
        conversations.mark_failed(outbound_id, code)
        raise


@task()
def hash_chat_media(report_id: int, attempt: int = 1) -> dict:
    """Fetch, hash (in memory), look up and record the pending media of one chat report.
    Idempotent: items already done are left alone. A provider that fails is tried again
    with exponential backoff; on the last attempt what still fails is recorded on its
    content item as "could not fetch", and the task ends normally."""
    from datetime import timedelta

    from django.utils import timezone

    final = attempt >= media.ATTEMPTS
    run = media.hash_report_media(report_id=report_id, final=final)
    if run.retry and not final:
        delay = media.RETRY_BASE_SECONDS * 2 ** (attempt - 1)
        hash_chat_media.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(
            report_id, attempt=attempt + 1
        )
        log.warning(
            "media fetch failed; retry scheduled",
            extra={"report_id": report_id, "attempt": attempt, "count": run.retry},
        )
    return run.as_dict()


@task()
def sweep_chat_media() -> int:
    """Media whose hashing task was lost get one last try (see media.sweep_pending)."""
    return media.sweep_pending()


@task()
def sweep_conversations() -> dict:
    """Every minute: messages whose processing never started, and idle conversations."""
    return conversations.sweep()
