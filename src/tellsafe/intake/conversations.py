"""Messaging channels end to end: record what providers send (durably, once), run it
through the flow in the worker, and send our answers and the desk's messages back on
the reporter's own channel, with delivery states."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from tellsafe.core import audit, crypto
from tellsafe.core import http as outbound_http
from tellsafe.core.db import write_transaction
from tellsafe.intake.channels import InboundEvent, Outgoing, StatusEvent, registry
from tellsafe.intake.flows.default import DEFAULT_FLOW
from tellsafe.intake.flows.engine import Engine, detect_language
from tellsafe.intake.models import (
    ChannelConfig,
    Conversation,
    Flow,
    InboundMessage,
    OutboundMessage,
)

log = logging.getLogger(__name__)
# Meta's customer-service window: outside it, only pre-approved templates may be sent.
WHATSAPP_WINDOW = timedelta(hours=24)


def contact_hash(config: ChannelConfig, contact: str) -> str:
    return crypto.keyed_hash(f"{config.plugin}:{contact}", "channel-contact")


def flow_definition(version: int | None = None) -> tuple[int, dict[str, Any]]:
    flows = Flow.objects.filter(active=True)
    flow = flows.filter(version=version).first() if version else None
    flow = flow or flows.first()
    if flow is None:
        return 0, DEFAULT_FLOW
    return flow.version, flow.definition


# --- inbound ---------------------------------------------------------------------------


def record_inbound(*, config: ChannelConfig, events: list[Any], enqueue: bool = True) -> list[int]:
    """Store each new message once (a redelivery is recognised by the provider's id) and
    apply delivery updates. Returns the ids of the messages to process."""
    new: list[int] = []
    now = timezone.now()
    for event in events:
        if isinstance(event, StatusEvent):
            _apply_status(config, event)
            continue
        try:
            with write_transaction():
                row = InboundMessage.objects.create(
                    channel=config,
                    provider_id=event.provider_id[:128],
                    contact_hash=contact_hash(config, event.contact),
                    event=json.dumps(asdict(event)),
                    received_at=now,
                )
                if enqueue:
                    # Queued in the same transaction as the record: both or neither, and
                    # one commit instead of two.
                    from tellsafe.intake.tasks import process_inbound

                    process_inbound.enqueue(row.pk)
        except IntegrityError:
            continue  # already recorded: acknowledged, processed once
        new.append(row.pk)
    return new


def _apply_status(config: ChannelConfig, event: StatusEvent) -> None:
    rank = {"queued": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}
    with write_transaction():
        for message in OutboundMessage.objects.select_for_update().filter(
            channel=config, provider_id=event.provider_id
        ):
            # Providers deliver callbacks out of order; never go backwards (but a
            # failure always shows).
            if rank.get(event.status, -1) > rank.get(message.status, -1):
                message.status = event.status
                message.error = event.error[:200]
                message.updated_at = timezone.now()
                message.save(update_fields=["status", "error", "updated_at"])


def process_pending(*, channel_id: int, contact: str) -> list[OutboundMessage]:
    """Run every unprocessed message of one contact through the flow, oldest first, and
    queue the answers. Safe to call twice at once: the conversation row is locked."""
    config = ChannelConfig.objects.get(pk=channel_id)
    plugin = registry()[config.plugin]
    key = contact_hash(config, contact)
    queued: list[OutboundMessage] = []
    with write_transaction():
        conversation = _conversation(config, key, contact)
        pending = list(
            InboundMessage.objects.select_for_update()
            .filter(channel=config, contact_hash=key, processed_at__isnull=True)
            .order_by("received_at", "pk")
        )
        if not pending:
            return []
        version, definition = flow_definition(conversation.flow_version or None)
        conversation.flow_version = version
        now = timezone.now()
        for row in pending:
            event = InboundEvent(**json.loads(row.event))
            if (
                not conversation.step
                and conversation.state == Conversation.State.ACTIVE
                and not conversation.answers
            ):
                conversation.language = detect_language(event)
            turn = Engine(conversation, plugin, definition).handle(event)
            conversation.last_inbound_at = now
            row.processed_at = now
            row.save(update_fields=["processed_at"])
            replies = turn.replies
            if getattr(plugin, "combine_replies", False) and len(replies) > 1:
                # One email per answer, not one per line.
                replies = [Outgoing(to=replies[0].to, body="\n\n".join(r.body for r in replies))]
            for reply in replies:
                queued.append(_queue(config, conversation, reply, now))
        conversation.save()
        audit.record(
            actor=audit.Actor("reporter", conversation.report_id or ""),
            action="conversation.messages",
            object_type="conversation",
            object_id=conversation.pk,
            data={
                "channel": config.plugin,
                "inbound": len(pending),
                "outbound": len(queued),
                "state": conversation.state,
            },
        )
        if not plugin.synchronous:
            ids = [m.pk for m in queued]
            transaction.on_commit(lambda: _enqueue_sends(ids))
    return queued


def _conversation(config: ChannelConfig, key: str, contact: str) -> Conversation:
    now = timezone.now()
    conversation = (
        Conversation.objects.select_for_update().filter(channel=config, contact_hash=key).first()
    )
    if conversation is None:
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(
                    channel=config,
                    contact_hash=key,
                    contact=contact,
                    language=settings.LANGUAGE_CODE,
                    created_at=now,
                    updated_at=now,
                )
        except IntegrityError:
            conversation = Conversation.objects.select_for_update().get(
                channel=config, contact_hash=key
            )
    return conversation


def _queue(
    config: ChannelConfig,
    conversation: Conversation | None,
    reply: Outgoing,
    now: Any,
    case_message: Any = None,
) -> OutboundMessage:
    return OutboundMessage.objects.create(
        channel=config,
        conversation=conversation,
        case_message=case_message,
        to=reply.to,
        body=reply.body,
        options=[list(o) for o in reply.options],
        template=reply.template,
        created_at=now,
        updated_at=now,
    )


def _enqueue_sends(ids: list[int]) -> None:
    from tellsafe.intake.tasks import send_outbound

    for pk in ids:
        send_outbound.enqueue(pk)


# --- outbound --------------------------------------------------------------------------


def send(outbound_id: int) -> str:
    """Send one queued message through its plugin; raises on failure (the task retries,
    then marks it failed for the attention list)."""
    message = OutboundMessage.objects.select_related("channel").get(pk=outbound_id)
    if message.status != OutboundMessage.Status.QUEUED:
        return message.status  # already sent: at most once from our side
    plugin = registry()[message.channel.plugin]
    outgoing = Outgoing(
        to=message.to,
        body=message.body,
        options=[tuple(o) for o in message.options],
        template=message.template,
    )
    OutboundMessage.objects.filter(pk=message.pk).update(attempts=message.attempts + 1)
    with outbound_http.client() as client:
        provider_id = plugin.send(message.channel, outgoing, client)
    OutboundMessage.objects.filter(pk=message.pk, status=OutboundMessage.Status.QUEUED).update(
        status=OutboundMessage.Status.SENT, provider_id=provider_id[:128], updated_at=timezone.now()
    )
    return "sent"


def mark_failed(outbound_id: int, error: str) -> None:
    OutboundMessage.objects.filter(pk=outbound_id).update(
        status=OutboundMessage.Status.FAILED, error=error[:200], updated_at=timezone.now()
    )


def notify_status(*, case: Any) -> list[OutboundMessage]:
    """Tell every reporter of ``case`` who agreed to be contacted, on their channel and in
    their words, what the status now is."""
    from django.utils.translation import override

    from tellsafe.cases.status import child_status
    from tellsafe.intake import wording

    sent = []
    for report in case.reports.exclude(contact_kind="none"):
        with override(report.language):
            body = str(wording.text(f"status_{child_status(case)}", report.wording_band))
        outbound = deliver_to_reporter(report=report, body=body)
        if outbound:
            sent.append(outbound)
    return sent


def deliver_to_reporter(
    *, body: str, message: Any = None, report: Any = None
) -> OutboundMessage | None:
    """Send a desk message (or status update) on the reporter's own channel, if they
    reached us on one and agreed to be contacted. Outside WhatsApp's service window a
    template is used, or SMS where the channel names a fallback."""
    report = report or message.report
    conversation = report.conversations.select_related("channel").order_by("-pk").first()
    if conversation is None or report.contact_kind == "none":
        return None
    config = conversation.channel
    now = timezone.now()
    reply = Outgoing(to=conversation.contact, body=body, language=report.language)
    if registry()[config.plugin].synchronous:
        # A USSD session cannot be called back: use the SMS channel it names, if any.
        sms = ChannelConfig.objects.filter(
            plugin="twilio", active=True, slug=config.settings.get("sms_fallback")
        ).first()
        if sms is None:
            return None
        config = sms
    is_whatsapp = config.plugin == "whatsapp" or (
        config.plugin == "twilio" and config.settings.get("from", "").startswith("whatsapp:")
    )
    if is_whatsapp and (
        conversation.last_inbound_at is None or now - conversation.last_inbound_at > WHATSAPP_WINDOW
    ):
        fallback = config.settings.get("sms_fallback")
        sms = ChannelConfig.objects.filter(plugin="twilio", slug=fallback, active=True).first()
        if sms is not None and conversation.contact.startswith("+"):
            config = sms
        else:
            reply.template = config.settings.get("update_template", "case_update")
    with write_transaction():
        outbound = _queue(config, conversation, reply, now, case_message=message)
        transaction.on_commit(lambda: _enqueue_sends([outbound.pk]))
    return outbound


# --- housekeeping ----------------------------------------------------------------------


def sweep() -> dict[str, int]:
    """Process messages whose task never ran (a crash between commit and enqueue), and
    close conversations idle for longer than TELLSAFE_CHAT_EXPIRE_HOURS, gently."""
    stale = timezone.now() - timedelta(seconds=30)
    pending = (
        InboundMessage.objects.filter(processed_at__isnull=True, received_at__lt=stale)
        .values_list("channel_id", "event")
        .distinct()[:500]
    )
    contacts = {(channel_id, json.loads(event)["contact"]) for channel_id, event in pending}
    for channel_id, contact in contacts:
        process_pending(channel_id=channel_id, contact=contact)
    expired = 0
    cutoff = timezone.now() - timedelta(hours=settings.CHAT_EXPIRE_HOURS)
    for conversation in Conversation.objects.filter(
        state=Conversation.State.ACTIVE, updated_at__lt=cutoff
    ).select_related("channel")[:500]:
        plugin = registry()[conversation.channel.plugin]
        from django.utils.translation import gettext as _
        from django.utils.translation import override

        with override(conversation.language):
            body = _(
                "We have not heard from you for a while, so we paused. Your answers are "
                "kept. Send HI when you want to go on."
            )
        with write_transaction():
            conversation.state = Conversation.State.EXPIRED
            conversation.updated_at = timezone.now()
            conversation.save(update_fields=["state", "updated_at"])
            if not plugin.synchronous:
                outbound = _queue(
                    conversation.channel,
                    conversation,
                    Outgoing(to=conversation.contact, body=body),
                    timezone.now(),
                )
                transaction.on_commit(lambda pk=outbound.pk: _enqueue_sends([pk]))
        expired += 1
    return {"reprocessed": len(contacts), "expired": expired}
