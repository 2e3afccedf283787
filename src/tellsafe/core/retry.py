"""Retries with exponential backoff for background tasks.

A failing attempt enqueues the next one (through the Tasks API, deferred with
``run_after``) and finishes normally; the last attempt lets the exception through, so the
task ends FAILED and shows on the desk's "attention needed" list. Nothing is dropped
silently.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone
from django.utils.module_loading import import_string

log = logging.getLogger(__name__)


def retrying(task_path: str, *, attempts: int = 5, base_seconds: int = 30) -> Callable:
    """Wrap a task function; ``task_path`` is the dotted path of the @task object."""

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, attempt: int = 1, **kwargs: Any) -> Any:
            try:
                return func(*args, **kwargs)
            except Exception:
                if attempt >= attempts:
                    log.exception(
                        "task failed for good", extra={"task": task_path, "attempt": attempt}
                    )
                    raise
                delay = base_seconds * 2 ** (attempt - 1)
                import_string(task_path).using(
                    run_after=timezone.now() + timedelta(seconds=delay)
                ).enqueue(*args, attempt=attempt + 1, **kwargs)
                log.warning(
                    "task failed; retry scheduled", extra={"task": task_path, "attempt": attempt}
                )
                return {"retry_scheduled": attempt + 1}

        return wrapper

    return decorator
