"""Housekeeping tasks, scheduled by core.schedule."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from django_tasks import task


@task()
def clear_expired_sessions() -> int:
    """Expired sessions still hold encrypted drafts and the codes shown once; drop them."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@task()
def prune_task_results() -> int:
    """Successful background-task records older than TELLSAFE_TASK_RESULT_DAYS. Failed
    ones are kept until a person has seen them on the attention-needed list."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=settings.TASK_RESULT_DAYS)
    deleted, _ = DBTaskResult.objects.filter(status="SUCCESSFUL", finished_at__lt=cutoff).delete()
    return deleted
