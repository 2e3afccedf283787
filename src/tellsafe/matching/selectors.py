"""Reads of the hash banks."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from tellsafe.matching.formats import HashRecord
from tellsafe.matching.lookup import Viewer
from tellsafe.matching.models import Bank, BankChange, BankHash


def bank_by_name(name: str) -> Bank | None:
    return Bank.objects.filter(name=name).first()


def bank_for_download(*, name: str, viewer: Viewer) -> Bank | None:
    """The bank, if this viewer may download it: staff always; a partner only when the
    bank is shareable, positive, and shared with it. Anything else looks like no bank."""
    bank = bank_by_name(name)
    if bank is None or not viewer.is_partner:
        return bank
    if bank.kind != Bank.Kind.POSITIVE or bank.id not in viewer.shared_bank_ids:
        return None
    return bank


def _shared_state(row: BankHash) -> HashRecord | None:
    """What a downloader is told of a hash: present (active and not quarantined), or
    withdrawn (if it was ever offered), or nothing (a pending hash never confirmed)."""
    if row.status == BankHash.Status.ACTIVE and not row.quarantined:
        return HashRecord(row.hash_type, row.value, row.quality, row.reference, row.added_at)
    if row.confirmed_at is None:
        return None
    return HashRecord(
        row.hash_type,
        row.value,
        row.quality,
        row.reference,
        row.added_at,
        row.removed_at or timezone.now(),
    )


def bank_changes(*, bank: Bank, after: int, limit: int) -> tuple[list[HashRecord], int, bool]:
    """One page of a bank's changes after change id ``after``: each changed hash once,
    in its current state; the last change id read; whether more may follow."""
    changes = list(
        BankChange.objects.filter(bank=bank, id__gt=after)
        .order_by("id")
        .values_list("id", "bank_hash_id")[:limit]
    )
    if not changes:
        return [], after, False
    order: dict[int, int] = {}
    for change_id, hash_id in changes:
        order.pop(hash_id, None)
        order[hash_id] = change_id  # a hash changed twice in a page is told once, last
    rows = BankHash.objects.in_bulk(list(order))
    entries = []
    for hash_id in order:
        entry = _shared_state(rows[hash_id])
        if entry is not None:
            entries.append(entry)
    return entries, changes[-1][0], len(changes) == limit


def bank_summaries() -> list[dict[str, Any]]:
    """Every bank with counts by status, for the desk and ``tellsafe bank list``."""
    banks = Bank.objects.annotate(
        active=Count("hashes", filter=Q(hashes__status=BankHash.Status.ACTIVE)),
        pending=Count("hashes", filter=Q(hashes__status=BankHash.Status.PENDING)),
        removed=Count("hashes", filter=Q(hashes__status=BankHash.Status.REMOVED)),
        quarantined=Count("hashes", filter=Q(hashes__quarantined_at__isnull=False)),
    ).order_by("name")
    return [
        {
            "bank": b,
            "active": b.active,
            "pending": b.pending,
            "removed": b.removed,
            "quarantined": b.quarantined,
        }
        for b in banks
    ]


def hashes_to_review(limit: int = 200) -> list[BankHash]:
    """Pending hashes and quarantined ones, oldest first."""
    return list(
        BankHash.objects.select_related("bank")
        .filter(
            Q(status=BankHash.Status.PENDING)
            | Q(quarantined_at__isnull=False, status=BankHash.Status.ACTIVE)
        )
        .order_by("added_at", "pk")[:limit]
    )


def export_records(*, bank: Bank, include_removed: bool = False) -> Any:
    """Every hash of a bank as records, streamed in id order (``tellsafe bank export``)."""
    rows = BankHash.objects.filter(bank=bank).order_by("pk")
    if not include_removed:
        rows = rows.filter(status=BankHash.Status.ACTIVE)
    for row in rows.iterator(chunk_size=5000):
        yield HashRecord(
            row.hash_type,
            row.value,
            row.quality,
            row.reference,
            row.added_at,
            row.removed_at if row.status == BankHash.Status.REMOVED else None,
        )
