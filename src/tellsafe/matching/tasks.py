"""Background work of known-content detection. Tasks take ids, call a service, and are
idempotent."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django_tasks import task

log = logging.getLogger(__name__)


@task()
def write_matcher_snapshot() -> dict[str, int]:
    """Rewrite the snapshot matcher processes start from (core.schedule, every
    MATCHER_SNAPSHOT_SECONDS). Built from the database, so a snapshot never inherits a
    fault of a long-running process."""
    from tellsafe.matching.matcher import Matcher

    path = settings.MATCHER_SNAPSHOT_PATH
    if not path:
        return {}
    started = time.perf_counter()
    matcher = Matcher.from_database()
    matcher.save(path)
    sizes = matcher.size()
    log.info(
        "matcher snapshot written",
        extra={**sizes, "seconds": round(time.perf_counter() - started, 3)},
    )
    return sizes
