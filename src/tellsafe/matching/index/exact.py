"""Exact-digest index (MD5, SHA-1, SHA-256): plain dicts, because equality needs no more.

Thread-safety: writers serialise on a lock; a query is one dict lookup and a copy, which
CPython makes safe to run beside a writer.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable


def _digest(value: bytes | str) -> bytes:
    return bytes.fromhex(value) if isinstance(value, str) else bytes(value)


class ExactIndex:
    """Ids by exact digest. Each id has one digest; adding a known id replaces it."""

    def __init__(self, digest_size: int | None = None) -> None:
        self._digest_size = digest_size
        self._ids_by_digest: dict[bytes, set[int]] = {}
        self._digest_by_id: dict[int, bytes] = {}
        self._lock = threading.Lock()

    def _check(self, digest: bytes) -> bytes:
        if self._digest_size is not None and len(digest) != self._digest_size:
            raise ValueError(f"expected a {self._digest_size}-byte digest, got {len(digest)}")
        return digest

    def add(self, ids: Iterable[int], digests: Iterable[bytes | str]) -> None:
        """Add or replace ``(id, digest)`` pairs; digests as bytes or hex."""
        pairs = [(int(i), self._check(_digest(d))) for i, d in zip(ids, digests, strict=True)]
        with self._lock:
            for i, d in pairs:
                self._discard(i)
                self._ids_by_digest.setdefault(d, set()).add(i)
                self._digest_by_id[i] = d

    def remove(self, ids: Iterable[int]) -> int:
        """Remove ids (absent ones are ignored); returns how many were present."""
        with self._lock:
            return sum(self._discard(int(i)) for i in ids)

    def _discard(self, id: int) -> bool:
        old = self._digest_by_id.pop(id, None)
        if old is None:
            return False
        holders = self._ids_by_digest[old]
        holders.discard(id)
        if not holders:
            del self._ids_by_digest[old]
        return True

    def query(self, digest: bytes | str) -> list[int]:
        """Ids stored under exactly this digest, ascending."""
        return sorted(self._ids_by_digest.get(_digest(digest), ()))

    def __len__(self) -> int:
        return len(self._digest_by_id)

    def __contains__(self, id: object) -> bool:
        return id in self._digest_by_id
