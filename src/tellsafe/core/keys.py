"""Key rotation: re-encrypt every stored ciphertext under the primary field key.

The operator's steps (docs/runbook.md):

1. Put a new key in front of ``TELLSAFE_FIELD_KEYS``, keeping the old ones, and restart
   every process. From then on new writes use the new key, and old values still decrypt.
2. Run ``tellsafe rotate-keys``. It rewrites every value whose key id is not the primary.
3. ``tellsafe rotate-keys --check`` reports what is left (exit status 1 if anything).
   When nothing is, drop the old key and restart.

What is rewritten: every ``EncryptedTextField`` of every installed model, found from the
model registry (so a new encrypted field is covered without touching this module), and
the encrypted session rows (core.sessions), which are a plain text column holding a
ciphertext.

It runs beside live traffic. Rows are scanned in primary-key order outside any
transaction; the stale rows of each batch are then re-read, locked and rewritten in one
short write transaction. A row written meanwhile is already under the new key, so the
re-check skips it. Nothing depends on earlier progress, so an interrupted run is simply
started again.

The ORM decrypts on read and encrypts on write, which would hide the key id and make
rewrites depend on the field. So the raw column is read through an expression typed as a
plain text field, and the new ciphertext is written as a plain text value: exactly one
encryption, under the primary key, with the field's own context (table and column).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import models
from django.db.models import ExpressionWrapper, F, Value

from tellsafe.core import audit, crypto, sessions
from tellsafe.core.db import write_transaction
from tellsafe.core.fields import EncryptedTextField

BATCH_SIZE = 500
_RAW = "rotation_raw_value"  # annotation holding the stored ciphertext, undecrypted


@dataclass(frozen=True)
class Target:
    """One column that holds ciphertexts."""

    model: type[models.Model]
    field_name: str
    context: str  # "table.column", bound into each ciphertext as associated data

    @property
    def label(self) -> str:
        return self.context


@dataclass
class Rotation:
    """What one run did. Counts only: values never leave this module."""

    primary: str
    rewritten: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, int] = field(default_factory=dict)
    old_key_ids: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.rewritten.values())

    @property
    def total_unreadable(self) -> int:
        return sum(self.unreadable.values())


def targets() -> list[Target]:
    """Every column holding ciphertexts, in a stable order."""
    found: list[Target] = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        # local_concrete_fields: a parent's fields belong to the parent's table only.
        for model_field in meta.local_concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                found.append(Target(model, model_field.name, model_field.context))
    if settings.SESSION_ENGINE == sessions.__name__:
        from django.contrib.sessions.models import Session

        found.append(Target(Session, "session_data", sessions._CONTEXT))
    return sorted(found, key=lambda target: target.label)


def _key_id(token: str) -> str | None:
    """The key id of a stored value; None for the empty string (stored as is)."""
    if not token:
        return None
    try:
        return crypto.keyring().key_id_of(token)
    except IndexError:
        return ""  # not a ciphertext at all: stale, and unreadable when rewritten


def _raw_rows(target: Target) -> models.QuerySet[Any]:
    raw = ExpressionWrapper(F(target.field_name), output_field=models.TextField())
    return target.model._base_manager.annotate(**{_RAW: raw}).order_by("pk")


def _stale_batches(target: Target, primary: str, batch_size: int) -> Iterator[list[Any]]:
    """Primary keys of the rows not under ``primary``, a batch at a time. Reads only."""
    rows = _raw_rows(target)
    last: Any = None
    while True:
        page = rows if last is None else rows.filter(pk__gt=last)
        batch = list(page.values_list("pk", _RAW)[:batch_size])
        if not batch:
            return
        last = batch[-1][0]
        stale = [pk for pk, token in batch if _key_id(token) not in (None, primary)]
        if stale:
            yield stale


def stale_counts(batch_size: int = 5000) -> dict[str, int]:
    """How many stored values each column still holds under a key other than the
    primary (including values no configured key can read)."""
    primary = crypto.keyring().primary
    return {
        target.label: sum(len(pks) for pks in _stale_batches(target, primary, batch_size))
        for target in targets()
    }


def _rewrite(target: Target, pks: list[Any], rotation: Rotation) -> None:
    ring = crypto.keyring()
    with write_transaction():
        # Locked and read again: a row rewritten since the scan is now skipped.
        rows = list(
            _raw_rows(target).filter(pk__in=pks).select_for_update().values_list("pk", _RAW)
        )
        for pk, token in rows:
            kid = _key_id(token)
            if kid in (None, ring.primary):
                continue
            try:
                plain = ring.decrypt(token, target.context)
            except crypto.DecryptionError:
                rotation.unreadable[target.label] += 1
                continue
            fresh = Value(ring.encrypt(plain, target.context), output_field=models.TextField())
            target.model._base_manager.filter(pk=pk).update(**{target.field_name: fresh})
            rotation.rewritten[target.label] += 1
            rotation.old_key_ids.add(kid or "?")


def rotate(*, batch_size: int = BATCH_SIZE) -> Rotation:
    """Re-encrypt every stored value that is not under the primary key, then write one
    ``keys.rotate`` audit event with the counts. Safe to run again at any time."""
    primary = crypto.keyring().primary
    rotation = Rotation(primary=primary)
    for target in targets():
        rotation.rewritten[target.label] = 0
        rotation.unreadable[target.label] = 0
        for pks in _stale_batches(target, primary, batch_size):
            _rewrite(target, pks, rotation)
    with write_transaction():
        audit.record(
            actor=audit.Actor.system(),
            action="keys.rotate",
            object_type="keyring",
            object_id=primary,
            data={
                "new_key": primary,
                "old_keys": sorted(rotation.old_key_ids),
                "rewritten": rotation.rewritten,
                "unreadable": rotation.total_unreadable,
            },
        )
    return rotation


__all__ = ["Rotation", "Target", "rotate", "stale_counts", "targets"]
