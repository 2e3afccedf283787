"""Webhooks of every configured channel: /hooks/<plugin>/<slug>/.

Acknowledge fast, process behind: a message is recorded durably (once, keyed on the
provider's id) and the provider gets its 200 at once; the worker runs the flow. A bad or
missing signature gets 403 and an audit event, and records nothing. Synchronous channels
(USSD) process inline, because the provider waits for the next screen.
"""

from __future__ import annotations

import logging
import time

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.intake import conversations
from tellsafe.intake.channels import InboundEvent, PayloadError, SignatureError, registry
from tellsafe.intake.models import ChannelConfig

log = logging.getLogger(__name__)


_configs: dict[tuple[str, str], tuple[float, ChannelConfig | None]] = {}
_CONFIG_TTL = 10.0  # seconds: a changed secret or a switched-off channel applies this fast


def _config(plugin: str, slug: str) -> ChannelConfig | None:
    """The channel's configuration, kept briefly in the process: every webhook needs it."""
    now = time.monotonic()
    cached = _configs.get((plugin, slug))
    if cached and now - cached[0] < _CONFIG_TTL:
        return cached[1]
    config = ChannelConfig.objects.filter(plugin=plugin, slug=slug, active=True).first()
    _configs[(plugin, slug)] = (now, config)
    return config


def forget_configs() -> None:
    _configs.clear()


def _error(status: int, code: str, message: str) -> JsonResponse:
    return JsonResponse({"error": code, "message": message, "fields": {}}, status=status)


@csrf_exempt
def webhook(request: HttpRequest, plugin: str, slug: str) -> HttpResponse:
    channel = registry().get(plugin)
    config = _config(plugin, slug)
    if channel is None or config is None:
        return _error(404, "unknown_channel", "No such channel.")
    if request.method == "GET":
        answer = channel.handshake(request, config)
        return answer or _error(405, "method_not_allowed", "This hook takes POST.")
    if request.method != "POST":
        return _error(405, "method_not_allowed", "This hook takes POST.")
    try:
        channel.verify(request, config)
    except SignatureError:
        with write_transaction():
            audit.record(
                actor=audit.Actor("partner", f"{plugin}/{slug}"),
                action="webhook.bad_signature",
                object_type="channel",
                object_id=config.pk,
                data={"plugin": plugin},
            )
        log.warning("webhook signature refused", extra={"channel": plugin})
        return _error(403, "bad_signature", "The signature is missing or wrong.")
    try:
        events = channel.parse(request, config)
    except PayloadError as exc:
        return _error(400, "bad_payload", str(exc) or "The body is not understood.")
    conversations.record_inbound(config=config, events=events, enqueue=not channel.synchronous)
    if channel.synchronous:
        replies = []
        for event in events:
            if isinstance(event, InboundEvent):
                for message in conversations.process_pending(
                    channel_id=config.pk, contact=event.contact
                ):
                    replies.append(message)
                    message.status = "sent"
                    message.save(update_fields=["status"])
        finished = any(
            m.conversation is not None and m.conversation.state != "active" for m in replies
        )
        return channel.acknowledge(events, [_outgoing(m) for m in replies], finished)
    return channel.acknowledge(events, [])


def _outgoing(message):
    from tellsafe.intake.channels import Outgoing

    return Outgoing(to=message.to, body=message.body, options=[tuple(o) for o in message.options])
