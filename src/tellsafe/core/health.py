"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone


def healthz(request: HttpRequest) -> JsonResponse:
    """The process answers. Touches nothing else, so it stays cheap."""
    return JsonResponse({"status": "ok"})


def readyz(request: HttpRequest) -> JsonResponse:
    """The database answers and the task queue can be read. 503 otherwise."""
    checks: dict[str, object] = {}
    ok = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:  # any failure means not ready
        checks["database"] = "unavailable"
        ok = False
    if ok:
        try:
            checks["queue"] = _queue_state()
        except Exception:
            checks["queue"] = "unavailable"
            ok = False
    return JsonResponse(
        {"status": "ok" if ok else "unavailable", "checks": checks}, status=200 if ok else 503
    )


def _queue_state() -> dict[str, int]:
    if settings.TASK_BACKEND == "rq":
        import django_rq

        queue = django_rq.get_queue("default")
        return {"ready": queue.count, "oldest_wait_seconds": 0}
    from django_tasks_db.models import DBTaskResult

    ready = DBTaskResult.objects.filter(status="READY")
    oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    return {
        "ready": ready.count(),
        "oldest_wait_seconds": round((timezone.now() - oldest).total_seconds()) if oldest else 0,
    }
