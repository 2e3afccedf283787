"""Background work of the intake. Tasks take ids, call a service, and are idempotent."""

from __future__ import annotations

from django_tasks import task

from tellsafe.intake import services


@task()
def purge_idempotency_records() -> int:
    """Delete retry records (and the passphrases they hold) once their window is over."""
    return services.purge_idempotency_records()
