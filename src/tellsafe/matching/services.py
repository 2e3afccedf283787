"""Writes to the hash banks. Each change is one function: keyword-only, in one write
transaction, with its audit event and its rows in the change log.

The change log (``BankChange``) is what matchers and partners' downloads follow, so its
ids must become visible in order: every writer takes one lock (``lock_changes``) before
it writes a change, and holds it to the commit. On SQLite the write transaction is
already exclusive.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connection
from django.utils import timezone

from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.matching import hashing
from tellsafe.matching.formats import HashRecord
from tellsafe.matching.models import Bank, BankChange, BankHash, validate_bank_name

log = logging.getLogger(__name__)

_CHANGE_LOCK = 0x7E11_BA4C  # PostgreSQL advisory lock id for the change log
BATCH = 2000
Key = tuple[str, str]  # (hash_type, value)


def lock_changes() -> None:
    """Serialise writers of the change log until the end of the transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHANGE_LOCK])


def _batches(items: Iterable[Any], size: int = BATCH) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


def _log_changes(rows: list[BankHash], action: str, now: datetime) -> None:
    BankChange.objects.bulk_create(
        [BankChange(bank_id=r.bank_id, bank_hash=r, action=action, at=now) for r in rows]
    )


# -- banks -------------------------------------------------------------------------------


def bank_create(
    *,
    name: str,
    source: str,
    legal_scope: str,
    actor: audit.Actor,
    kind: str = Bank.Kind.POSITIVE,
    title: str = "",
    shareable: bool = False,
    review_required: bool = False,
    source_partner: Any = None,
) -> Bank:
    """Create a bank. Negative banks are never shared and carry no legal scope."""
    problems: dict[str, list[str]] = {}
    try:
        validate_bank_name(name)
    except Exception as exc:  # ValidationError
        problems["name"] = [str(m) for m in getattr(exc, "messages", [str(exc)])]
    for field, value, choices in (
        ("source", source, Bank.Source),
        ("legal_scope", legal_scope, Bank.LegalScope),
        ("kind", kind, Bank.Kind),
    ):
        if value not in choices.values:
            problems[field] = [f"Choose one of: {', '.join(choices.values)}."]
    if kind == Bank.Kind.NEGATIVE and shareable:
        problems["shareable"] = ["A negative bank is not shared with partners."]
    if source == Bank.Source.PARTNER and source_partner is None:
        problems["source_partner"] = ["Name the partner this bank comes from."]
    if not problems and Bank.objects.filter(name=name).exists():
        problems["name"] = ["A bank with this name exists."]
    if problems:
        raise ApplicationError("invalid_bank", "The bank was not created.", problems)
    now = timezone.now()
    with write_transaction():
        bank = Bank.objects.create(
            name=name,
            title=title[:200],
            source=source,
            source_partner=source_partner,
            legal_scope=legal_scope,
            kind=kind,
            shareable=shareable,
            review_required=review_required,
            created_at=now,
            updated_at=now,
        )
        audit.record(
            actor=actor,
            action="bank.create",
            object_type="bank",
            object_id=bank.pk,
            data={"name": name, "source": source, "kind": kind, "scope": legal_scope},
        )
    return bank


def bank_update(
    *,
    bank: Bank,
    actor: audit.Actor,
    enabled: bool | None = None,
    shareable: bool | None = None,
    title: str | None = None,
) -> Bank:
    """Enable or disable matching, sharing, or rename. Matchers read the bank flags on
    every refresh, so a disabled bank stops matching within a second."""
    changes: dict[str, Any] = {}
    if enabled is not None:
        changes["enabled"] = bool(enabled)
    if shareable is not None:
        if shareable and bank.kind == Bank.Kind.NEGATIVE:
            raise ApplicationError(
                "invalid_bank",
                "A negative bank is not shared with partners.",
                {"shareable": ["A negative bank is not shared with partners."]},
            )
        changes["shareable"] = bool(shareable)
    if title is not None:
        changes["title"] = title[:200]
    if not changes:
        return bank
    with write_transaction():
        for field, value in changes.items():
            setattr(bank, field, value)
        bank.updated_at = timezone.now()
        bank.save(update_fields=[*changes, "updated_at"])
        audit.record(
            actor=actor, action="bank.update", object_type="bank", object_id=bank.pk, data=changes
        )
    return bank


def bank_share(*, bank: Bank, partner: Any, actor: audit.Actor, share: bool = True) -> None:
    """Allow (or stop) a partner downloading a shareable bank."""
    if share and not bank.shareable:
        raise ApplicationError(
            "not_shareable",
            f"Bank {bank.name} is not shareable; make it shareable first.",
            status=409,
        )
    with write_transaction():
        if share:
            bank.shared_with.add(partner)
        else:
            bank.shared_with.remove(partner)
        audit.record(
            actor=actor,
            action="bank.share" if share else "bank.unshare",
            object_type="bank",
            object_id=bank.pk,
            data={"partner": partner.pk},
        )


# -- hashes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    added: int = 0
    restored: int = 0  # removed earlier, added again
    unchanged: int = 0
    removed: int = 0  # tombstones in the file that removed a hash


def _checked(record: HashRecord) -> HashRecord:
    """Normalise a record's hash (records from the file formats already are)."""
    try:
        value = hashing.get(record.hash_type).normalise(record.value)
    except ValueError as exc:
        raise ApplicationError("invalid_hash", str(exc), {"value": [str(exc)]}) from None
    if record.quality is not None and (record.hash_type != "pdq" or not 0 <= record.quality <= 100):
        raise ApplicationError(
            "invalid_hash",
            "Quality is a number from 0 to 100, and only for PDQ.",
            {"quality": ["A number from 0 to 100, and only for PDQ."]},
        )
    if value == record.value:
        return record
    return HashRecord(
        record.hash_type,
        value,
        record.quality,
        record.reference,
        record.added_at,
        record.removed_at,
    )


def hashes_add(
    *,
    bank: Bank,
    records: Iterable[HashRecord],
    actor: audit.Actor,
    report: Any = None,
    source: str = "api",
) -> ImportResult:
    """Add hashes to a bank, all or nothing. A record with ``removed_at`` (a tombstone in
    a change file) removes the hash instead. Hashes wait for review in a bank that asks
    for it. Known hashes are left as they are; removed ones come back."""
    now = timezone.now()
    status = BankHash.Status.PENDING if bank.review_required else BankHash.Status.ACTIVE
    added = restored = unchanged = removed = 0
    with write_transaction():
        lock_changes()
        for chunk in _batches(records):
            chunk = [_checked(r) for r in chunk]
            wanted: dict[Key, HashRecord] = {}
            gone: set[Key] = set()
            for r in chunk:
                key = (r.hash_type, r.value)
                if r.removed_at is not None:
                    gone.add(key)
                    wanted.pop(key, None)
                else:
                    wanted[key] = r
                    gone.discard(key)
            existing = _existing(bank, set(wanted) | gone)
            new_rows, back, tombstoned = [], [], []
            for key, r in wanted.items():
                row = existing.get(key)
                if row is None:
                    new_rows.append(
                        BankHash(
                            bank=bank,
                            hash_type=r.hash_type,
                            value=r.value,
                            quality=r.quality,
                            reference=r.reference,
                            status=status,
                            added_at=now,
                            confirmed_at=now if status == BankHash.Status.ACTIVE else None,
                            report=report,
                        )
                    )
                elif row.status == BankHash.Status.REMOVED:
                    row.status, row.removed_at, row.added_at = status, None, now
                    if status == BankHash.Status.ACTIVE and row.confirmed_at is None:
                        row.confirmed_at = now
                    back.append(row)
                else:
                    unchanged += 1
            for key in gone:
                row = existing.get(key)
                if row is not None and row.status != BankHash.Status.REMOVED:
                    row.status, row.removed_at = BankHash.Status.REMOVED, now
                    tombstoned.append(row)
            created = _insert_new(bank, new_rows)
            BankHash.objects.bulk_update(
                back + tombstoned, ["status", "removed_at", "added_at", "confirmed_at"]
            )
            _insert_changes(bank, [(pk, BankChange.Action.ADD) for pk in created], now)
            _log_changes(back, BankChange.Action.ADD, now)
            _log_changes(tombstoned, BankChange.Action.REMOVE, now)
            added += len(created)
            restored += len(back)
            removed += len(tombstoned)
        result = ImportResult(added, restored, unchanged, removed)
        audit.record(
            actor=actor,
            action="bank.hashes_add",
            object_type="bank",
            object_id=bank.pk,
            data={"source": source, **result.__dict__},
        )
    log.info(
        "bank hashes added",
        extra={"bank": bank.pk, "added": added, "restored": restored, "removed": removed},
    )
    return result


def _rows_per_statement(columns: int) -> int:
    # SQLite builds before 3.32 allow 999 parameters a statement; PostgreSQL 65,535.
    return max(1, (999 if connection.vendor == "sqlite" else 20_000) // columns)


def _insert_many(table: str, columns: tuple[str, ...], params: list[tuple[Any, ...]]) -> None:
    """Multi-row INSERTs: imports of a million hashes spend most of their time in the
    ORM's SQL building otherwise, and one statement a row costs a round trip each on
    PostgreSQL. Only identifiers of our own models and placeholders go into the text."""
    ops = connection.ops
    head = (
        f"INSERT INTO {ops.quote_name(table)} ({', '.join(map(ops.quote_name, columns))}) VALUES "  # noqa: S608
    )
    one = "(" + ", ".join(["%s"] * len(columns)) + ")"
    step = _rows_per_statement(len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(params), step):
            chunk = params[start : start + step]
            cursor.execute(head + ", ".join([one] * len(chunk)), [v for row in chunk for v in row])


def _insert_new(bank: Bank, rows: list[BankHash]) -> list[int]:
    """Insert new bank hashes and return their ids; the unique (bank, type, value) key
    maps the rows back to their ids."""
    if not rows:
        return []
    ops = connection.ops
    columns = (
        "bank_id", "hash_type", "value", "quality", "reference", "status", "added_at",
        "confirmed_at", "report_id",
    )  # fmt: skip
    _insert_many(
        BankHash._meta.db_table,
        columns,
        [
            (
                bank.pk,
                r.hash_type,
                r.value,
                r.quality,
                r.reference,
                r.status,
                ops.adapt_datetimefield_value(r.added_at),
                ops.adapt_datetimefield_value(r.confirmed_at),
                r.report_id,
            )
            for r in rows
        ],
    )
    ids: list[int] = []
    by_type: dict[str, list[str]] = {}
    for r in rows:
        by_type.setdefault(r.hash_type, []).append(r.value)
    for hash_type, values in by_type.items():
        ids += BankHash.objects.filter(
            bank=bank, hash_type=hash_type, value__in=values
        ).values_list("pk", flat=True)
    return sorted(ids)


def _insert_changes(bank: Bank, changes: list[tuple[int, str]], now: datetime) -> None:
    if not changes:
        return
    at = connection.ops.adapt_datetimefield_value(now)
    _insert_many(
        BankChange._meta.db_table,
        ("bank_id", "bank_hash_id", "action", "at"),
        [(bank.pk, pk, action, at) for pk, action in changes],
    )


def _existing(bank: Bank, keys: set[Key]) -> dict[Key, BankHash]:
    found: dict[Key, BankHash] = {}
    by_type: dict[str, list[str]] = {}
    for t, v in keys:
        by_type.setdefault(t, []).append(v)
    for t, values in by_type.items():
        for row in BankHash.objects.filter(bank=bank, hash_type=t, value__in=values):
            found[(row.hash_type, row.value)] = row
    return found


def set_status(
    rows: list[BankHash], *, status: str, action: str, actor: audit.Actor, reason: str = ""
) -> int:
    """Move rows to ``status`` (in the caller's transaction, lock held) and log it."""
    now = timezone.now()
    changed = [r for r in rows if r.status != status]
    for r in changed:
        r.status = status
        if status == BankHash.Status.REMOVED:
            r.removed_at = now
        elif status == BankHash.Status.ACTIVE and r.confirmed_at is None:
            r.confirmed_at = now
    BankHash.objects.bulk_update(changed, ["status", "removed_at", "confirmed_at"])
    kind = BankChange.Action.REMOVE if status == BankHash.Status.REMOVED else "update"
    _log_changes(changed, kind, now)
    for bank_id in {r.bank_id for r in changed}:
        ids = [r.pk for r in changed if r.bank_id == bank_id]
        audit.record(
            actor=actor,
            action=action,
            object_type="bank",
            object_id=bank_id,
            reason=reason,
            data={"hashes": ids[:1000], "count": len(ids)},
        )
    return len(changed)


def hashes_remove(*, bank: Bank, keys: Iterable[Key], actor: audit.Actor, reason: str = "") -> int:
    """Remove hashes from a bank (they leave every index and every partner download).
    Returns how many were present; unknown ones are ignored."""
    checked = {(t, hashing.get(t).normalise(v)) for t, v in keys}
    with write_transaction():
        lock_changes()
        rows = list(_existing(bank, checked).values())
        return set_status(
            rows,
            status=BankHash.Status.REMOVED,
            action="bank.hashes_remove",
            actor=actor,
            reason=reason,
        )


def hashes_review(
    *, bank_hashes: Iterable[BankHash], confirm: bool, actor: audit.Actor, reason: str = ""
) -> int:
    """An analyst's decision on pending hashes: confirmed ones become active (acted on,
    and shared if the bank is), rejected ones are removed."""
    with write_transaction():
        lock_changes()
        ids = [h.pk for h in bank_hashes]
        rows = list(
            BankHash.objects.select_for_update().filter(pk__in=ids, status=BankHash.Status.PENDING)
        )
        if confirm:
            return set_status(
                rows, status=BankHash.Status.ACTIVE, action="bank.hashes_confirm", actor=actor
            )
        return set_status(
            rows,
            status=BankHash.Status.REMOVED,
            action="bank.hashes_reject",
            actor=actor,
            reason=reason,
        )


def quarantine_release(*, bank_hash: BankHash, actor: audit.Actor, reason: str) -> None:
    """A person has looked at a flooding hash and lets it be acted on again."""
    if not reason.strip():
        raise ApplicationError(
            "reason_required", "Say why this hash may be acted on again.", {"reason": ["Required."]}
        )
    now = timezone.now()
    with write_transaction():
        lock_changes()
        updated = BankHash.objects.filter(pk=bank_hash.pk, quarantined_at__isnull=False).update(
            quarantined_at=None, quarantine_released_at=now
        )
        if not updated:
            raise ApplicationError("not_quarantined", "This hash is not quarantined.", status=409)
        BankChange.objects.create(
            bank_id=bank_hash.bank_id, bank_hash=bank_hash, action="update", at=now
        )
        audit.record(
            actor=actor,
            action="bank.quarantine_release",
            object_type="bank_hash",
            object_id=bank_hash.pk,
            reason=reason.strip()[:500],
        )
    bank_hash.refresh_from_db()
