"""Write transactions that queue well on SQLite.

SQLite allows one writer at a time. A writer that finds the database locked sleeps and
polls (busy_timeout), which wastes time and gives long tail latencies under load. So on
SQLite, writers first take an exclusive lock on a file beside the database: the kernel
wakes the next waiter as soon as the lock is free. On PostgreSQL this is a plain
``transaction.atomic()``.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction

_thread_lock = threading.Lock()
_held = threading.local()  # whether this thread holds the write lock now
_lock_files: dict[str, int] = {}


def _lock_path() -> str | None:
    name = str(connection.settings_dict.get("NAME") or "")
    if connection.vendor != "sqlite" or not name or name == ":memory:" or "mode=memory" in name:
        return None
    return f"{name}.write-lock"


def _fd(path: str) -> int:
    fd = _lock_files.get(path)
    if fd is None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        _lock_files[path] = fd
    return fd


@contextmanager
def write_transaction() -> Iterator[None]:
    """``transaction.atomic()`` for a service's writes; see the module docstring.

    Re-entrant: on-commit callbacks run while the outer block still holds the lock, and
    a write they make must not wait for it."""
    path = None if connection.in_atomic_block else _lock_path()
    if path is None or getattr(_held, "lock", False):
        with transaction.atomic():
            yield
        return
    with _thread_lock:
        fd = _fd(path)
        fcntl.flock(fd, fcntl.LOCK_EX)
        _held.lock = True
        try:
            with transaction.atomic():
                yield
        finally:
            _held.lock = False
            fcntl.flock(fd, fcntl.LOCK_UN)
