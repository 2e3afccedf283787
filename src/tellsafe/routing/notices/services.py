"""Writes of notices: one keyword-only function per state change, each in one write
transaction with its audit event and its timeline event. Delivery is queued with
``transaction.on_commit``, so nothing leaves before the notice is stored.

The status machine::

    draft ──► queued ──► sent ──► acknowledged ──► removed | not_found | refused ──► closed
      └─► held ──(notice_release)──┘                 (refused may still become removed)

``hold=True`` (a police-first hold) creates the notice held: nothing is delivered until
``notice_release``. Any notice can be closed; one without an answer needs a reason.
Services take ``now=`` so tests move the clock without patching time.
"""

from __future__ import annotations

import logging
import secrets
import unicodedata
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from tellsafe.cases.models import ContentItem
from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.partners.models import Partner
from tellsafe.routing.notices import payload, transports
from tellsafe.routing.notices.models import (
    OPEN_STATUSES,
    Attention,
    LegalBasis,
    Notice,
    NoticeEvent,
    NoticeKind,
    NoticeStatus,
    Outcome,
    PartnerNoticeSettings,
)
from tellsafe.taxonomy.selectors import active_codes

log = logging.getLogger(__name__)

REASON_MAX = 1000
VIA = ("link", "api", "staff", "check")
# Which partners may receive which kind: a takedown goes to who can remove content, a
# forward to who assesses it again (a foreign hotline, NCMEC, INTERPOL).
RECEIVERS = {
    NoticeKind.TAKEDOWN: {Partner.Kind.ISP, Partner.Kind.PLATFORM, Partner.Kind.OTHER},
    NoticeKind.FORWARD: {
        Partner.Kind.HOTLINE,
        Partner.Kind.LAW_ENFORCEMENT,
        Partner.Kind.NGO,
        Partner.Kind.OTHER,
    },
}
_REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L


def audit_actor(actor: Any) -> audit.Actor:
    """Services take an audit Actor (partner, system) or a staff user."""
    if isinstance(actor, audit.Actor):
        return actor
    if isinstance(actor, get_user_model()):
        return audit.Actor("staff", str(actor.pk))
    raise TypeError("actor must be an audit.Actor or a staff user")


def clock(now: datetime | None) -> datetime:
    at = now or timezone.now()
    if timezone.is_naive(at):
        raise ValueError("now must be an aware datetime")
    return at


def _error(code: str, field: str, message: str, status: int = 422) -> ApplicationError:
    return ApplicationError(code, message, {field: [message]}, status=status)


def clean_reason(value: Any, *, required: bool) -> str:
    """One paragraph of printable text (runs of white space become one space)."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _error("invalid_reason", "reason", "Must be text.")
    text = " ".join(value.split())
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        raise _error("invalid_reason", "reason", "Must not contain control characters.")
    if len(text) > REASON_MAX:
        raise _error("invalid_reason", "reason", f"At most {REASON_MAX} characters.")
    if required and not text:
        raise _error("reason_required", "reason", "Say why.")
    return text


def event(
    notice: Notice, kind: str, *, at: datetime, actor: audit.Actor | None = None, **fields: Any
) -> NoticeEvent:
    """Add one entry to ``notice``'s timeline (inside the caller's transaction)."""
    return NoticeEvent.objects.create(
        notice=notice, at=at, kind=kind, actor_kind=actor.kind if actor else "system", **fields
    )


def _record(actor: audit.Actor, action: str, notice: Notice, **kw: Any) -> None:
    data = {"reference": notice.reference, "status": notice.status, **kw.pop("data", {})}
    audit.record(
        actor=actor, action=action, object_type="notice", object_id=notice.pk, data=data, **kw
    )


def _locked(notice: Notice) -> Notice:
    return Notice.objects.select_for_update().get(pk=notice.pk)


# --- create --------------------------------------------------------------------------------


def _validate_create(
    item: Any, partner: Any, kind: Any, category: Any, legal_basis: Any, hold: Any
) -> tuple[PartnerNoticeSettings | None, dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    config = None
    if not isinstance(item, ContentItem) or item.pk is None:
        errors["item"] = ["Must be a stored content item."]
    elif item.kind == ContentItem.Kind.URL and not item.url:
        errors["item"] = ["This item has no URL (removed by retention?)."]
    elif item.kind == ContentItem.Kind.MEDIA and not payload.content_key(item):
        errors["item"] = ["This media item has no hash yet."]
    if kind not in NoticeKind.values:
        errors["kind"] = [f"Must be one of: {', '.join(NoticeKind.values)}."]
    if not isinstance(category, str) or category not in active_codes():
        errors["category"] = ["Not an active harm category code."]
    if legal_basis not in LegalBasis.values:
        errors["legal_basis"] = [f"Must be one of: {', '.join(LegalBasis.values)}."]
    if not isinstance(hold, bool):
        errors["hold"] = ["Must be true or false."]
    if not isinstance(partner, Partner) or partner.pk is None:
        errors["partner"] = ["Must be a registered partner."]
        return config, errors
    if not Partner.objects.filter(pk=partner.pk, active=True).exists():
        errors["partner"] = ["This partner is inactive."]
    elif kind in NoticeKind.values and partner.kind not in RECEIVERS[NoticeKind(kind)]:
        errors["partner"] = [f"A {partner.get_kind_display()} cannot receive a {kind}."]
    config = PartnerNoticeSettings.objects.filter(partner=partner).first()
    if config is None:
        errors.setdefault("partner", []).append("This partner has no notice settings yet.")
    elif config.transport not in transports.registry():
        errors.setdefault("partner", []).append(f"Unknown transport {config.transport!r}.")
    else:
        problems = transports.get(config.transport).configuration_errors(config)
        if problems:
            errors.setdefault("partner", []).append(
                "The partner's notice settings are incomplete: "
                + "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in problems.items())
            )
    return config, errors


def _new_reference() -> str:
    return "N-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))


def _insert(notice: Notice) -> None:
    exists = ApplicationError(
        "notice_exists",
        "An open notice of this kind to this partner about this item already exists.",
        status=409,
    )
    for _attempt in range(5):
        notice.reference = _new_reference()
        try:
            with transaction.atomic():  # a savepoint: a clash leaves us usable
                notice.save(force_insert=True)
            return
        except IntegrityError as exc:
            notice.pk = None
            if Notice.objects.filter(
                content_item=notice.content_item,
                partner=notice.partner,
                kind=notice.kind,
                closed_at__isnull=True,
            ).exists():
                raise exists from exc
    raise ApplicationError(  # pragma: no cover - five random clashes in a row
        "reference_clash", "Could not find a free reference; try again.", status=503
    )


def notice_create(
    *,
    item: ContentItem,
    partner: Partner,
    kind: str,
    category: str,
    legal_basis: str,
    actor: Any,
    hold: bool = False,
    now: datetime | None = None,
) -> Notice:
    """Create a notice to ``partner`` about ``item`` and, unless ``hold``, queue its
    delivery. Called by the rule engine once a person has confirmed the routing.

    Raises ApplicationError: ``invalid_notice`` (422, every field's problem at once) or
    ``notice_exists`` (409, an open notice of this kind to this partner about this item).
    A re-upload of content the partner removed before is linked to that notice."""
    from tellsafe.routing.notices import reuploads

    who = audit_actor(actor)
    at = clock(now)
    config, errors = _validate_create(item, partner, kind, category, legal_basis, hold)
    if errors or config is None:
        raise ApplicationError("invalid_notice", "The notice is not valid.", errors)
    salt = payload.new_link_salt()
    with write_transaction():
        if Notice.objects.filter(
            content_item=item, partner=partner, kind=kind, closed_at__isnull=True
        ).exists():
            raise ApplicationError(
                "notice_exists",
                "An open notice of this kind to this partner about this item already exists.",
                status=409,
            )
        notice = Notice(
            content_item=item,
            partner=partner,
            kind=kind,
            category=category,
            legal_basis=legal_basis,
            basis_reference=payload.legal_reference(legal_basis),
            status=NoticeStatus.HELD if hold else NoticeStatus.DRAFT,
            transport=config.transport,
            content_key=payload.content_key(item),
            host=item.host[:255],
            earlier_notice=reuploads.earlier_removed_notice(item),
            created_at=at,
            link_salt=salt,
            token_hash=payload.token_hash(payload.token_for_salt(salt)),
        )
        _insert(notice)
        event(notice, NoticeEvent.Kind.CREATED, at=at, actor=who, transport=notice.transport)
        _record(
            who,
            "notice.create",
            notice,
            data={
                "item": item.pk,
                "partner": partner.pk,
                "kind": kind,
                "category": category,
                "legal_basis": legal_basis,
                "transport": notice.transport,
                "earlier_notice": notice.earlier_notice_id,
            },
        )
        if hold:
            event(notice, NoticeEvent.Kind.HELD, at=at, actor=who)
        else:
            _queue(notice, who, at)
    log.info(
        "notice created",
        extra={"event": "notice.create", "partner_id": partner.pk, "notice_id": notice.pk},
    )
    return notice


# --- delivery ------------------------------------------------------------------------------


def enqueue_delivery(notice_id: int) -> bool:
    """Hand the delivery to the task queue. The notice is already stored as queued, so
    a queue that is down loses nothing: the reminder sweep queues it again
    (``delivery.requeue_stalled``)."""
    from tellsafe.routing.notices.tasks import deliver_notice

    try:
        deliver_notice.enqueue(notice_id)
    except Exception:
        log.exception("could not queue a notice delivery", extra={"notice_id": notice_id})
        return False
    return True


def _queue(notice: Notice, who: audit.Actor, at: datetime) -> None:
    notice.status = NoticeStatus.QUEUED
    notice.queued_at = at
    notice.delivery_attempts = 0
    notice.attention = Attention.NONE
    notice.save(update_fields=["status", "queued_at", "delivery_attempts", "attention"])
    event(notice, NoticeEvent.Kind.QUEUED, at=at, actor=who, transport=notice.transport)
    _record(who, "notice.queue", notice)
    notice_id = notice.pk
    transaction.on_commit(lambda: enqueue_delivery(notice_id))


def notice_send(*, notice: Notice, actor: Any, now: datetime | None = None) -> Notice:
    """Queue delivery of a draft, or again of a notice whose delivery failed for good
    (after a person fixed the partner's settings). 409 ``notice_not_sendable`` else."""
    who, at = audit_actor(actor), clock(now)
    with write_transaction():
        row = _locked(notice)
        retry = row.status == NoticeStatus.QUEUED and row.attention == Attention.DELIVERY_FAILED
        if row.status != NoticeStatus.DRAFT and not retry:
            raise ApplicationError(
                "notice_not_sendable",
                f"A {row.get_status_display()} notice cannot be sent.",
                status=409,
            )
        _queue(row, who, at)
    return row


def notice_release(*, notice: Notice, actor: Any, now: datetime | None = None) -> Notice:
    """End a police-first hold: the notice is queued for delivery now."""
    who, at = audit_actor(actor), clock(now)
    with write_transaction():
        row = _locked(notice)
        if row.status != NoticeStatus.HELD:
            raise ApplicationError("notice_not_held", "This notice is not held.", status=409)
        event(row, NoticeEvent.Kind.RELEASED, at=at, actor=who)
        _record(who, "notice.release", row)
        _queue(row, who, at)
    return row


# --- answers -----------------------------------------------------------------------------


def notice_record_response(
    *,
    notice: Notice,
    outcome: str,
    reason: str,
    via: str,
    actor: Any,
    now: datetime | None = None,
) -> Notice:
    """Record the partner's answer: ``removed``, ``not_found`` or ``refused`` (which
    needs a reason). ``via`` is link, api, staff or check. Stops the clock: sets
    ``responded_at``, ``acknowledged_at`` if unset and, for removed, ``removed_at``.

    Idempotent: the same outcome again changes nothing. Another outcome after one was
    recorded is refused (409 ``outcome_conflict``), except a refusal that became a
    removal. A notice not yet sent (409 ``notice_not_sent``) or closed (409
    ``notice_closed``) takes no answer."""
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = [f"Must be one of: {', '.join(Outcome.values)}."]
    if via not in VIA:
        errors["via"] = [f"Must be one of: {', '.join(VIA)}."]
    try:
        text = clean_reason(reason, required=outcome == Outcome.REFUSED)
    except ApplicationError as exc:
        errors.update(exc.fields)
        text = ""
    if errors:
        code = "reason_required" if list(errors) == ["reason"] else "invalid_response"
        raise ApplicationError(code, "The answer is not valid.", errors)
    return record_outcome(
        notice=notice,
        outcome=outcome,
        reason=text,
        via=via,
        actor=audit_actor(actor),
        at=clock(now),
    )


def record_outcome(
    *,
    notice: Notice,
    outcome: str,
    reason: str,
    via: str,
    actor: audit.Actor,
    at: datetime,
    removed_at: datetime | None = None,
) -> Notice:
    """``notice_record_response`` after validation; a checker passes ``removed_at`` (when
    the content was first seen gone)."""
    with write_transaction():
        row = _locked(notice)
        if row.outcome == outcome:
            return row  # the same answer again: nothing changes
        if row.status == NoticeStatus.CLOSED:
            raise ApplicationError("notice_closed", "This notice is closed.", status=409)
        if row.outcome and not (row.outcome == Outcome.REFUSED and outcome == Outcome.REMOVED):
            raise ApplicationError(
                "outcome_conflict",
                f'An answer was already recorded: "{row.outcome}".',
                {"outcome": [f'Already recorded: "{row.outcome}".']},
                status=409,
            )
        if not row.outcome and row.status not in OPEN_STATUSES:
            raise ApplicationError(
                "notice_not_sent", "This notice has not been sent yet.", status=409
            )
        row.outcome = row.status = outcome
        row.responded_at = row.responded_at or at
        row.acknowledged_at = row.acknowledged_at or at
        if outcome == Outcome.REMOVED:
            row.removed_at = max(removed_at or at, row.sent_at or at)
        if reason:
            row.response_reason = reason
        row.response_via = via
        row.next_reminder_at = None
        # A refusal needs a person to decide what next; any answer ends the chasing.
        row.attention = Attention.REFUSED if outcome == Outcome.REFUSED else Attention.NONE
        row.save(
            update_fields=[
                "outcome",
                "status",
                "responded_at",
                "acknowledged_at",
                "removed_at",
                "response_reason",
                "response_via",
                "next_reminder_at",
                "attention",
            ]
        )
        event(row, NoticeEvent.Kind.RESPONSE, at=at, actor=actor, code=outcome, data={"via": via})
        _record(actor, "notice.response", row, reason=reason, data={"outcome": outcome, "via": via})
    log.info(
        "notice answered", extra={"event": "notice.response", "code": outcome, "notice_id": row.pk}
    )
    return row


def notice_acknowledge(*, notices: list[Notice], actor: Any, now: datetime | None = None) -> int:
    """The partner fetched ``notices`` (the API): the sent ones become acknowledged,
    and the fetch is audited. Returns how many changed; the objects are updated too."""
    who, at = audit_actor(actor), clock(now)
    ids = [n.pk for n in notices if n.status == NoticeStatus.SENT]
    with write_transaction():
        changed = Notice.objects.filter(pk__in=ids, status=NoticeStatus.SENT).update(
            status=NoticeStatus.ACKNOWLEDGED, acknowledged_at=at
        )
        NoticeEvent.objects.bulk_create(
            NoticeEvent(notice_id=pk, at=at, kind=NoticeEvent.Kind.FETCHED, actor_kind=who.kind)
            for pk in ids
        )
        audit.record(
            actor=who,
            action="notice.fetch",
            object_type="notice",
            object_id="",
            data={"notices": [n.pk for n in notices], "acknowledged": ids},
        )
    for n in notices:
        if n.pk in ids:
            n.status, n.acknowledged_at = NoticeStatus.ACKNOWLEDGED, at
    return changed


def notice_close(
    *, notice: Notice, actor: Any, reason: str = "", now: datetime | None = None
) -> Notice:
    """Close a notice: no more reminders, checks or answers, and its secure link stops
    working. A notice without an answer (withdrawn, moved, sent in error) needs a
    reason; closing twice is 409 ``notice_closed``."""
    who, at = audit_actor(actor), clock(now)
    with write_transaction():
        row = _locked(notice)
        text = clean_reason(reason, required=not row.outcome)
        if row.status == NoticeStatus.CLOSED:
            raise ApplicationError("notice_closed", "This notice is already closed.", status=409)
        before = row.status
        row.status = NoticeStatus.CLOSED
        row.closed_at = at
        row.next_reminder_at = None
        row.attention = Attention.NONE
        row.save(update_fields=["status", "closed_at", "next_reminder_at", "attention"])
        event(row, NoticeEvent.Kind.CLOSED, at=at, actor=who, data={"from": before})
        _record(who, "notice.close", row, reason=text, data={"from": before})
    return row


__all__ = [
    "audit_actor",
    "notice_close",
    "notice_create",
    "notice_record_response",
    "notice_release",
    "notice_send",
]
