import pytest


@pytest.mark.django_db
def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["queue"]["ready"] == 0


@pytest.mark.django_db
def test_readyz_counts_waiting_tasks(client):
    from tellsafe.intake.tasks import purge_idempotency_records

    purge_idempotency_records.enqueue()
    assert client.get("/readyz").json()["checks"]["queue"]["ready"] == 1


def test_readyz_without_a_database_is_503(client, monkeypatch):
    from django.db import connection

    def broken(*args, **kwargs):
        raise RuntimeError("down")

    monkeypatch.setattr(connection, "cursor", broken)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "unavailable"


@pytest.mark.django_db
def test_housekeeping_drops_expired_sessions_and_old_task_results():
    from datetime import timedelta

    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from tellsafe.core.tasks import clear_expired_sessions, prune_task_results
    from tellsafe.intake.tasks import purge_idempotency_records

    Session.objects.create(
        session_key="old", session_data="x", expire_date=timezone.now() - timedelta(minutes=1)
    )
    Session.objects.create(
        session_key="new", session_data="x", expire_date=timezone.now() + timedelta(hours=1)
    )
    assert clear_expired_sessions.call() == 1
    assert list(Session.objects.values_list("session_key", flat=True)) == ["new"]
    purge_idempotency_records.enqueue()
    DBTaskResult.objects.update(
        status="SUCCESSFUL", finished_at=timezone.now() - timedelta(days=30)
    )
    assert prune_task_results.call() == 1
