"""The partners' notice API: list (acknowledges), one notice, answer; only with the
``notices`` scope, only one's own notices, errors in the one shape."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tellsafe.core.models import AuditEvent
from tellsafe.partners.tests import factories as partner_factories
from tellsafe.routing.notices.models import Notice, NoticeEvent
from tellsafe.routing.tests.notices import factories as f
from tellsafe.routing.tests.notices.urls import PREFIX

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tellsafe.routing.tests.notices.urls")]


@pytest.fixture
def pull():
    """An api_pull partner, its key, and two notices sent to it (an hour apart)."""
    to = f.partner("api_pull")
    _key, text = f.notices_key(to)
    now = timezone.now()
    first = f.sent_notice(to=to, now=now - timedelta(hours=2))
    second = f.sent_notice(f.media_item(sha256="ab" * 32), to, now=now - timedelta(hours=1))
    return to, {"HTTP_AUTHORIZATION": f"Bearer {text}"}, first, second


def test_list_returns_open_notices_and_acknowledges_them(client, pull):
    to, auth, first, second = pull
    f.notice(to=to, hold=True)  # held: not the partner's business yet
    response = client.get(PREFIX, **auth)
    assert response.status_code == 200, response.content
    body = response.json()
    assert [n["id"] for n in body["notices"]] == [first.pk, second.pk]
    assert body["next"] is None
    one = body["notices"][0]
    assert one["reference"] == first.reference and one["status"] == "acknowledged"
    assert one["content"]["type"] == "url" and one["content"]["url"].startswith("https://")
    assert body["notices"][1]["content"]["hashes"] == {"sha256": "ab" * 32}
    assert one["basis"]["legal_basis"] == "national" and one["outcome"] == ""
    rows = Notice.objects.filter(pk__in=[first.pk, second.pk])
    assert {n.status for n in rows} == {"acknowledged"}
    assert all(n.acknowledged_at is not None for n in rows)
    fetched = AuditEvent.objects.get(action="notice.fetch")
    assert (fetched.actor_kind, fetched.actor_id) == ("partner", str(to.pk))
    assert fetched.data == {
        "notices": [first.pk, second.pk],
        "acknowledged": [first.pk, second.pk],
    }
    assert NoticeEvent.objects.filter(kind="fetched").count() == 2
    # fetching again lists them still (they wait for an answer) without a second ack
    again = client.get(PREFIX, **auth).json()
    assert len(again["notices"]) == 2
    assert NoticeEvent.objects.filter(kind="fetched").count() == 2


def test_paging_with_since_and_after(client, pull):
    _to, auth, first, second = pull
    page = client.get(PREFIX, {"limit": 1}, **auth).json()
    assert [n["id"] for n in page["notices"]] == [first.pk]
    cursor = page["next"]
    assert cursor["after"] == first.pk
    rest = client.get(PREFIX, {"since": cursor["since"], "after": cursor["after"]}, **auth).json()
    assert [n["id"] for n in rest["notices"]] == [second.pk]
    later = client.get(PREFIX, {"since": timezone.now().isoformat()}, **auth).json()
    assert later["notices"] == []


@pytest.mark.parametrize(
    "query",
    [{"since": "2026-01-01T00:00:00"}, {"since": "yesterday"}, {"limit": 0}, {"limit": 501}],
)
def test_bad_filters_are_422(client, pull, query):
    _to, auth, _first, _second = pull
    response = client.get(PREFIX, query, **auth)
    assert response.status_code == 422
    assert set(response.json()) == {"error", "message", "fields"}


def test_answer_removed_then_idempotent_then_conflict(client, pull):
    _to, auth, first, _second = pull
    url = f"{PREFIX}/{first.pk}/response"
    response = client.post(url, {"outcome": "removed"}, content_type="application/json", **auth)
    assert response.status_code == 200, response.content
    assert response.json()["outcome"] == "removed" and response.json()["status"] == "removed"
    row = Notice.objects.get(pk=first.pk)
    assert row.response_via == "api" and row.removed_at is not None
    again = client.post(url, {"outcome": "removed"}, content_type="application/json", **auth)
    assert again.status_code == 200
    assert Notice.objects.get(pk=first.pk).removed_at == row.removed_at
    other = client.post(url, {"outcome": "not_found"}, content_type="application/json", **auth)
    assert other.status_code == 409 and other.json()["error"] == "outcome_conflict"
    answered = AuditEvent.objects.get(action="notice.response")
    assert (answered.actor_kind, answered.data["via"]) == ("partner", "api")
    # an answered notice is no longer listed as waiting, but can still be read
    assert [n["id"] for n in client.get(PREFIX, **auth).json()["notices"]] != [first.pk]
    single = client.get(f"{PREFIX}/{first.pk}", **auth)
    assert single.status_code == 200 and single.json()["outcome"] == "removed"


def test_refusal_needs_a_reason(client, pull):
    _to, auth, first, _second = pull
    url = f"{PREFIX}/{first.pk}/response"
    bare = client.post(url, {"outcome": "refused"}, content_type="application/json", **auth)
    assert bare.status_code == 422 and bare.json()["error"] == "reason_required"
    assert "reason" in bare.json()["fields"]
    ok = client.post(
        url,
        {"outcome": "refused", "reason": "Hosted by a reseller; forwarded to them"},
        content_type="application/json",
        **auth,
    )
    assert ok.status_code == 200 and ok.json()["outcome"] == "refused"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"outcome": "deleted"}, 422),
        ({}, 422),
        ({"outcome": "refused", "reason": "x" * 1001}, 422),
        ("nonsense", 400),  # not JSON at all
    ],
)
def test_bad_bodies_are_refused(client, pull, body, status):
    _to, auth, first, _second = pull
    response = client.post(
        f"{PREFIX}/{first.pk}/response", body, content_type="application/json", **auth
    )
    assert response.status_code == status
    assert set(response.json()) == {"error", "message", "fields"}
    assert Notice.objects.get(pk=first.pk).outcome == ""


def test_another_partners_notice_is_404(client, pull):
    _to, auth, _first, _second = pull
    elsewhere = f.sent_notice(to=f.partner("email"))
    unsent = f.notice(to=pull[0], hold=True)
    for notice_id in (elsewhere.pk, unsent.pk, 999_999):
        assert client.get(f"{PREFIX}/{notice_id}", **auth).status_code == 404
        answer = client.post(
            f"{PREFIX}/{notice_id}/response",
            {"outcome": "removed"},
            content_type="application/json",
            **auth,
        )
        assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert Notice.objects.get(pk=elsewhere.pk).outcome == ""


def test_scope_and_key_are_required(client, pull):
    to = pull[0]
    assert client.get(PREFIX).status_code == 401
    _key, other_scope = partner_factories.api_key(to, scopes=["match"])
    refused = client.get(PREFIX, HTTP_AUTHORIZATION=f"Bearer {other_scope}")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert "notices" in refused.json()["message"]
    assert client.get(PREFIX, HTTP_AUTHORIZATION="Bearer tsk_nonsense").status_code == 401


def test_staff_sessions_do_not_open_the_partner_api(client, pull):
    from tellsafe.accounts.tests.factories import login, staff

    login(client, staff("supervisor"))
    assert client.get(PREFIX).status_code == 401


def test_listing_does_not_grow_queries_with_notices(client, pull, django_assert_max_num_queries):
    to, auth, _first, _second = pull
    for _ in range(5):
        f.sent_notice(to=to)
    with django_assert_max_num_queries(20):
        response = client.get(PREFIX, **auth)
    assert len(response.json()["notices"]) == 7
