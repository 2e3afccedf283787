"""The audit log: every read of case data and every change writes one event, in the
same transaction as the change itself (see SECURITY.md).

Events form a hash chain. Writers serialise on the chain head: PostgreSQL takes a
transaction-scoped advisory lock, and SQLite already runs one writer at a time (our
transactions are IMMEDIATE). The lock is taken as late as possible, by the last write of
a service, so it is held only for one insert and the commit.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from tellsafe.core.models import AuditEvent

GENESIS = "0" * 64
_LOCK_KEY = 0x7E11_5AFE  # advisory lock id for the chain head


@dataclass(frozen=True)
class Actor:
    kind: str  # staff, reporter, partner, system
    id: str = ""

    @classmethod
    def system(cls) -> Actor:
        return cls("system")


def _digest(prev_hash: str, fields: dict[str, Any]) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(f"{prev_hash}|{canonical}".encode()).hexdigest()


def _fields(event: AuditEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": str(event.object_id),
        "reason": event.reason,
        "data": event.data,
    }


def record(
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: Any,
    reason: str = "",
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event. Must run inside the transaction of the change it records."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.record() must run inside transaction.atomic()")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    head = AuditEvent.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    event = AuditEvent(
        seq=seq,
        at=timezone.now(),
        actor_kind=actor.kind,
        actor_id=str(actor.id),
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=reason,
        # Stored as JSON: hash exactly what a later read will see (e.g. keys as strings).
        data=json.loads(json.dumps(data or {}, default=str)),
        prev_hash=prev_hash,
    )
    event.hash = _digest(prev_hash, _fields(event))
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class Break:
    seq: int
    problem: str


def verify(batch_size: int = 5000) -> tuple[int, Break | None]:
    """Walk the chain in order. Returns the number of events checked and the first broken
    link, if any (an edited event, a deleted one, or one inserted out of order)."""
    checked = 0
    prev_hash = GENESIS
    expected_seq = 1
    for event in _iterate(batch_size):
        if event.seq != expected_seq:
            return checked, Break(expected_seq, "missing event (deleted?)")
        if event.prev_hash != prev_hash:
            return checked, Break(event.seq, "link to previous event does not match")
        # ``data`` was just decoded from the stored JSON, so it is already in the form
        # that was hashed; no further round trip is needed.
        if _digest(prev_hash, _fields(event)) != event.hash:
            return checked, Break(event.seq, "event content was changed")
        prev_hash = event.hash
        expected_seq += 1
        checked += 1
    return checked, None


# Every column of an event, in order: what the chain covers and what an export shows.
CHAIN_COLUMNS = (
    "seq",
    "at",
    "actor_kind",
    "actor_id",
    "action",
    "object_type",
    "object_id",
    "reason",
    "data",
    "prev_hash",
    "hash",
)


def _iterate(batch_size: int) -> Iterator[Any]:
    """The events in chain order, as light rows (named tuples with the attributes
    ``_fields`` reads): model instances cost about a third of verify's time."""
    last = 0
    rows = AuditEvent.objects.order_by("seq").values_list(*CHAIN_COLUMNS, named=True)
    while True:
        batch = list(rows.filter(seq__gt=last)[:batch_size])
        if not batch:
            return
        yield from batch
        last = batch[-1].seq


__all__ = ["Actor", "Break", "record", "verify"]
