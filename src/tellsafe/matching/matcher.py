"""The matcher: the in-memory indexes over the banks, kept current from the change log.

A process holds one ``Matcher`` (``get_matcher()``). It starts from a snapshot file when
one is configured and readable (``MATCHER_SNAPSHOT_PATH``, written by the worker every
``MATCHER_SNAPSHOT_SECONDS``), else from the database, then follows ``BankChange``: before
a lookup, when ``MATCHER_REFRESH_SECONDS`` have passed since the last look (0.5 s by
default), it reads the changes after its watermark and applies each changed hash's
*current* state (in the index if pending or active, else out). Applying a state is
idempotent, so replaying changes is harmless, and a snapshot a little older than its
watermark only costs a longer first refresh.

The indexes hold bank-hash ids only; ``lookup.py`` maps ids to banks and metadata with
one query per lookup that matched anything. Bank flags (enabled, kind, sharing) are read
at every refresh, so disabling a bank takes effect within the refresh interval.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from tellsafe.matching.index import ExactIndex, PdqIndex, SnapshotError
from tellsafe.matching.models import Bank, BankChange, BankHash

log = logging.getLogger(__name__)

EXACT_TYPES = {"md5": 16, "sha256": 32}
_MATCHABLE = (BankHash.Status.ACTIVE, BankHash.Status.PENDING)
_CHUNK = 50_000


@dataclass(frozen=True)
class BankInfo:
    id: int
    name: str
    kind: str
    enabled: bool
    legal_scope: str
    shareable: bool


class Matcher:
    """Indexes by hash type, a watermark in the change log, and the bank flags."""

    def __init__(self) -> None:
        self.pdq = PdqIndex()
        self.exact = {name: ExactIndex(size) for name, size in EXACT_TYPES.items()}
        self.watermark = 0
        self.banks: dict[int, BankInfo] = {}
        self.loaded_from = "empty"
        self.load_seconds = 0.0
        self._checked_at = 0.0
        self._lock = threading.Lock()

    # -- loading -------------------------------------------------------------------------

    @classmethod
    def from_database(cls) -> Matcher:
        """Build from every pending or active hash, streamed in id order."""
        started = time.perf_counter()
        matcher = cls()
        # Read the watermark first: changes committed while we stream are replayed.
        matcher.watermark = _last_change_id()
        rows = BankHash.objects.filter(status__in=_MATCHABLE).order_by("pk")
        last = 0
        pdq_ids: list[np.ndarray] = []
        pdq_values: list[str] = []
        while True:
            chunk = list(rows.filter(pk__gt=last).values_list("pk", "hash_type", "value")[:_CHUNK])
            if not chunk:
                break
            last = chunk[-1][0]
            ids = [pk for pk, t, _ in chunk if t == "pdq"]
            pdq_ids.append(np.asarray(ids, np.int64))
            pdq_values.extend(v for _, t, v in chunk if t == "pdq")
            for name, index in matcher.exact.items():
                pairs = [(pk, v) for pk, t, v in chunk if t == name]
                if pairs:
                    index.add([p for p, _ in pairs], [v for _, v in pairs])
        if pdq_values:
            matcher.pdq = PdqIndex.build(np.concatenate(pdq_ids), pdq_values)
        matcher._read_banks()
        matcher.refresh(force=True)
        matcher.loaded_from = "database"
        matcher.load_seconds = time.perf_counter() - started
        return matcher

    @classmethod
    def from_snapshot(cls, path: str | Path) -> Matcher:
        """Open a snapshot written by ``save`` and catch up from the change log."""
        started = time.perf_counter()
        path = Path(path)
        meta = json.loads(path.with_suffix(".json").read_text())
        matcher = cls()
        matcher.pdq = PdqIndex.load(path.with_suffix(".pdq"))
        with np.load(path.with_suffix(".exact.npz")) as arrays:
            for name, index in matcher.exact.items():
                ids, digests = arrays[f"{name}_ids"], arrays[f"{name}_digests"]
                if len(ids):
                    index.add(ids.tolist(), [bytes(d) for d in digests])
        matcher.watermark = int(meta["watermark"])
        matcher._read_banks()
        matcher.refresh(force=True)
        matcher.loaded_from = "snapshot"
        matcher.load_seconds = time.perf_counter() - started
        return matcher

    def save(self, path: str | Path) -> None:
        """Write a snapshot: ``PATH.pdq``, ``PATH.exact.npz`` and ``PATH.json`` (the
        watermark, written last and atomically, so a reader never pairs new indexes
        with an old watermark that is *ahead* of them)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock:
            watermark = self.watermark
            self.pdq.save(path.with_suffix(".pdq"))
            arrays: dict[str, Any] = {}
            for name, index in self.exact.items():
                pairs = sorted(index._digest_by_id.items())
                arrays[f"{name}_ids"] = np.asarray([i for i, _ in pairs], np.int64)
                arrays[f"{name}_digests"] = np.asarray(
                    [np.frombuffer(d, np.uint8) for _, d in pairs], np.uint8
                ).reshape(len(pairs), EXACT_TYPES[name])
            tmp = path.with_suffix(".exact.tmp.npz")
            np.savez(tmp, **arrays)
            os.replace(tmp, path.with_suffix(".exact.npz"))
            meta = path.with_suffix(".json.tmp")
            meta.write_text(json.dumps({"watermark": watermark, "size": self.size()}))
            os.replace(meta, path.with_suffix(".json"))

    # -- staying current -----------------------------------------------------------------

    def refresh(self, *, force: bool = False) -> int:
        """Apply the changes after the watermark; returns how many hashes changed."""
        now = time.monotonic()
        if not force and now - self._checked_at < settings.MATCHER_REFRESH_SECONDS:
            return 0
        with self._lock:
            self._checked_at = now
            self._read_banks()
            applied = 0
            while True:
                changes = list(
                    BankChange.objects.filter(id__gt=self.watermark)
                    .order_by("id")
                    .values_list("id", "bank_hash_id")[:_CHUNK]
                )
                if not changes:
                    return applied
                ids = {h for _, h in changes}
                states = BankHash.objects.filter(pk__in=ids).values_list(
                    "pk", "hash_type", "value", "status"
                )
                self._apply(states)
                applied += len(ids)
                self.watermark = changes[-1][0]

    def _apply(self, states: Any) -> None:
        add: dict[str, list[tuple[int, str]]] = {}
        gone: dict[str, list[int]] = {}
        for pk, hash_type, value, status in states:
            if status in _MATCHABLE:
                add.setdefault(hash_type, []).append((pk, value))
            else:
                gone.setdefault(hash_type, []).append(pk)
        for hash_type, pks in gone.items():
            index = self._index(hash_type)
            if index is not None:
                index.remove(pks)
        for hash_type, pairs in add.items():
            index = self._index(hash_type)
            if index is not None:
                index.add([p for p, _ in pairs], [v for _, v in pairs])

    def _index(self, hash_type: str) -> PdqIndex | ExactIndex | None:
        return self.pdq if hash_type == "pdq" else self.exact.get(hash_type)

    def _read_banks(self) -> None:
        self.banks = {
            b.id: BankInfo(b.id, b.name, b.kind, b.enabled, b.legal_scope, b.shareable)
            for b in Bank.objects.only("id", "name", "kind", "enabled", "legal_scope", "shareable")
        }

    # -- reading -------------------------------------------------------------------------

    def size(self) -> dict[str, int]:
        return {"pdq": len(self.pdq), **{n: len(i) for n, i in self.exact.items()}}


_matcher: Matcher | None = None
_matcher_lock = threading.Lock()


def get_matcher() -> Matcher:
    """This process's matcher, loaded on first use and refreshed before each use."""
    global _matcher
    if _matcher is None:
        with _matcher_lock:
            if _matcher is None:
                _matcher = _load()
    _matcher.refresh()
    return _matcher


def reset_matcher() -> None:
    """Forget this process's matcher (tests; or after restoring the database)."""
    global _matcher
    with _matcher_lock:
        _matcher = None


def _load() -> Matcher:
    path = settings.MATCHER_SNAPSHOT_PATH
    if path and Path(path).with_suffix(".json").exists():
        try:
            matcher = Matcher.from_snapshot(path)
        except (OSError, ValueError, KeyError, SnapshotError) as exc:
            log.warning(
                "matcher snapshot unreadable; loading from the database",
                extra={"code": type(exc).__name__},
            )
        else:
            if matcher.watermark <= _last_change_id():
                log.info("matcher loaded", extra={"source": "snapshot", **matcher.size()})
                return matcher
            # A snapshot ahead of this database (restored backup): do not trust it.
            log.warning("matcher snapshot is ahead of the database; loading from it")
    matcher = Matcher.from_database()
    log.info("matcher loaded", extra={"source": "database", **matcher.size()})
    return matcher


def _last_change_id() -> int:
    return BankChange.objects.order_by("-id").values_list("id", flat=True).first() or 0
