"""The report API: the contract partners build against."""

import json

import pytest
from django.test import override_settings

from tellsafe.cases.models import ContentItem
from tellsafe.intake.models import IdempotencyRecord, Report
from tellsafe.intake.tests.factories import report_data

pytestmark = pytest.mark.django_db


def post(client, body, **headers):
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return client.post("/api/v1/reports", raw, content_type="application/json", headers=headers)


def test_create_returns_codes_and_a_status_url(client):
    response = post(client, report_data(urls=["https://a.example/1", "b.example/2"]))
    assert response.status_code == 201
    body = response.json()
    report = Report.objects.get(reference=body["reference"])
    assert report.channel == "api"
    assert body["status_url"].endswith(f"/api/v1/reports/{body['reference']}/status")
    assert ContentItem.objects.filter(report=report).count() == 2
    status = client.get(
        f"/api/v1/reports/{body['reference']}/status", headers={"X-Passphrase": body["passphrase"]}
    )
    assert status.status_code == 200
    assert status.json()["status"] == "received"
    assert status.json()["status_text"] == "We got your report."


def test_status_in_the_reports_language_and_band(client):
    body = post(client, report_data(reporter="caregiver", language="hi")).json()
    status = client.get(
        f"/api/v1/reports/{body['reference']}/status?language=en",
        headers={"X-Passphrase": body["passphrase"]},
    ).json()
    assert status["status_text"] == "We received the report. It is waiting for a trained person."


def test_same_idempotency_key_returns_the_same_report(client):
    first = post(client, report_data(), **{"Idempotency-Key": "abc-1"})
    second = post(client, report_data(), **{"Idempotency-Key": "abc-1"})
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Report.objects.count() == 1


def test_same_key_with_another_body_is_refused(client):
    post(client, report_data(), **{"Idempotency-Key": "abc-2"})
    other = post(client, report_data(details="different"), **{"Idempotency-Key": "abc-2"})
    assert other.status_code == 409
    assert other.json()["error"] == "idempotency_key_reused"
    assert Report.objects.count() == 1


def test_idempotency_records_expire(client):
    from datetime import timedelta

    from django.utils import timezone

    from tellsafe.intake.services import purge_idempotency_records

    post(client, report_data(), **{"Idempotency-Key": "old"})
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(days=2))
    assert purge_idempotency_records() == 1
    assert Report.objects.count() == 1  # the report itself stays


def test_taxonomy_lists_codes_with_names_in_each_language(client):
    body = client.get("/api/v1/taxonomy").json()
    by_code = {c["code"]: c for c in body}
    assert {"csam", "sextortion", "grooming", "cyberbullying", "other"} <= set(by_code)
    assert set(by_code["sextortion"]["names"]) == {"en", "hi", "ur"}
    assert by_code["csam"]["mappings"]["xarf"] == "content/csam"


def test_openapi_schema_and_docs(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/reports" in schema["paths"]
    assert "/api/v1/reports/{reference}/status" in schema["paths"]
    assert "/api/v1/taxonomy" in schema["paths"]
    request = schema["paths"]["/api/v1/reports"]["post"]["requestBody"]
    assert "age_band" in json.dumps(request)
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()


def test_status_with_a_wrong_passphrase_is_404(client):
    body = post(client, report_data()).json()
    response = client.get(
        f"/api/v1/reports/{body['reference']}/status", headers={"X-Passphrase": "WRONG"}
    )
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    missing = client.get("/api/v1/reports/AAAA-AAAA/status", headers={"X-Passphrase": "x"})
    assert missing.json() == response.json()


@override_settings(REPORTS_PER_HOUR_PER_ADDRESS=2)
def test_reports_are_rate_limited_per_address(client):
    assert post(client, report_data()).status_code == 201
    assert post(client, report_data()).status_code == 201
    limited = post(client, report_data())
    assert limited.status_code == 429 and limited.json()["error"] == "rate_limited"
    assert Report.objects.count() == 2
