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
