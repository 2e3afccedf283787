"""Background work of the case desk. Tasks take ids, call a service, and are idempotent."""

from __future__ import annotations

from django_tasks import task

from tellsafe.cases import retention


@task()
def run_retention() -> int:
    """Anonymise the closed cases past TELLSAFE_RETENTION_DAYS (daily, core.schedule)."""
    return retention.retention_run().cases
