"""The partner's secure confirmation page and the desk's removal-time page."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from tellsafe.accounts.tests.factories import login, staff
from tellsafe.core.models import AuditEvent
from tellsafe.routing.notices import payload, services
from tellsafe.routing.notices.models import Notice, NoticeEvent
from tellsafe.routing.notices.views import MISSES_PER_HOUR
from tellsafe.routing.tests.notices import factories as f

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tellsafe.routing.tests.notices.urls")]


def _path(notice):
    return payload.LINK_PATH.format(token=payload.link_token(notice))


def _csrf(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


@pytest.fixture
def link_client():
    return Client(enforce_csrf_checks=True)


def test_link_shows_the_notice_without_javascript_and_is_audited(link_client):
    notice = f.sent_notice()
    response = link_client.get(_path(notice))
    assert response.status_code == 200
    html = response.content.decode()
    assert notice.reference in html and notice.content_item.url in html
    assert html.count('name="outcome"') == 3 and "<script" not in html
    assert 'name="robots" content="noindex' in html
    assert response["Cache-Control"] == "no-store"
    viewed = AuditEvent.objects.get(action="notice.link_view")
    assert (viewed.actor_kind, viewed.actor_id) == ("partner", str(notice.partner_id))
    assert NoticeEvent.objects.filter(notice=notice, kind="link_opened").count() == 1
    # opening the link is not an answer, nor an acknowledgement
    assert Notice.objects.get(pk=notice.pk).acknowledged_at is None


def test_answer_removed_by_link(link_client):
    notice = f.sent_notice()
    token = _csrf(link_client.get(_path(notice)).content.decode())
    response = link_client.post(_path(notice), {"outcome": "removed", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Location"].endswith("?answered=1")
    row = Notice.objects.get(pk=notice.pk)
    assert row.outcome == "removed" and row.response_via == "link" and row.removed_at
    answered = AuditEvent.objects.get(action="notice.response")
    assert (answered.actor_kind, answered.actor_id) == ("partner", str(notice.partner_id))
    thanks = link_client.get(response["Location"]).content.decode()
    assert "We recorded your answer" in thanks and 'value="not_found"' not in thanks


def test_refusal_needs_a_reason_on_the_page(link_client):
    notice = f.sent_notice()
    token = _csrf(link_client.get(_path(notice)).content.decode())
    bare = link_client.post(_path(notice), {"outcome": "refused", "csrfmiddlewaretoken": token})
    assert bare.status_code == 422 and "Say why." in bare.content.decode()
    assert Notice.objects.get(pk=notice.pk).outcome == ""
    done = link_client.post(
        _path(notice),
        {"outcome": "refused", "reason": "Court order needed", "csrfmiddlewaretoken": token},
    )
    assert done.status_code == 302
    row = Notice.objects.get(pk=notice.pk)
    assert (row.outcome, row.response_reason) == ("refused", "Court order needed")
    page = link_client.get(_path(notice)).content.decode()
    assert 'value="removed"' in page and 'value="not_found"' not in page  # may still remove


def test_unknown_outcome_and_conflicts_are_shown_not_500(link_client):
    notice = f.sent_notice()
    token = _csrf(link_client.get(_path(notice)).content.decode())
    odd = link_client.post(_path(notice), {"outcome": "vanished", "csrfmiddlewaretoken": token})
    assert odd.status_code == 422
    services.notice_record_response(
        notice=notice, outcome="not_found", reason="", via="api", actor=f.STAFF
    )
    late = link_client.post(_path(notice), {"outcome": "removed", "csrfmiddlewaretoken": token})
    assert late.status_code == 409 and "already recorded" in late.content.decode()


def test_posts_need_the_csrf_token(link_client):
    notice = f.sent_notice()
    link_client.get(_path(notice))
    response = link_client.post(_path(notice), {"outcome": "removed"})
    assert response.status_code == 403
    assert Notice.objects.get(pk=notice.pk).outcome == ""


def test_closed_notices_and_wrong_tokens_are_404(client):
    notice = f.sent_notice()
    path = _path(notice)
    services.notice_close(notice=notice, actor=f.STAFF, reason="moved")
    assert client.get(path).status_code == 404
    for token in ("0" * 64, "x", "A" * 64, payload.link_token(notice)[:-1] + "g"):
        response = client.get(payload.LINK_PATH.format(token=token))
        assert response.status_code == 404
        assert "This link cannot be used" in response.content.decode()


def test_guessing_tokens_is_rate_limited(client):
    notice = f.sent_notice()
    for n in range(MISSES_PER_HOUR):
        assert client.get(payload.LINK_PATH.format(token=f"{n:064x}")).status_code == 404
    blocked = client.get(_path(notice))  # even the right token, from this address
    assert blocked.status_code == 429 and blocked["Retry-After"] == "3600"
    assert Client(REMOTE_ADDR="192.0.2.77").get(_path(notice)).status_code == 200


def test_requests_are_rate_limited(client, settings):
    settings.NOTICE_LINK_REQUESTS_PER_HOUR = 3
    notice = f.sent_notice()
    assert [client.get(_path(notice)).status_code for _ in range(4)] == [200, 200, 200, 429]


def test_other_methods_are_refused(client):
    notice = f.sent_notice()
    assert client.put(_path(notice)).status_code == 405


# --- the desk page -------------------------------------------------------------------------

STATS = "/desk/notices/stats/"


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("counsellor", 200),
        ("analyst", 200),
        ("supervisor", 200),
        ("auditor", 200),
        ("administrator", 403),
    ],
)
def test_stats_page_role_matrix(client, role, status):
    login(client, staff(role))
    assert client.get(STATS).status_code == status


def test_stats_page_refuses_anonymous_and_unverified(client):
    response = client.get(STATS)
    assert response.status_code == 302 and "/desk/account/" in response["Location"]
    half = staff("supervisor")
    client.force_login(half)  # no second factor
    assert client.get(STATS).status_code == 302


def test_stats_page_shows_figures_and_is_audited(client, django_assert_max_num_queries):
    to = f.partner(name_hint="Fastnet")
    removed = f.sent_notice(to=to)
    services.notice_record_response(
        notice=removed,
        outcome="removed",
        reason="",
        via="api",
        actor=f.STAFF,
        now=f.T0 + f.hours(6),
    )
    for _ in range(3):
        f.sent_notice(to=f.partner())
    user = staff("supervisor")
    login(client, user)
    client.get(STATS)  # warm the session
    with django_assert_max_num_queries(16):
        response = client.get(STATS, {"from": "2026-03-01", "to": "2026-03-31", "kind": "takedown"})
    html = response.content.decode()
    assert response.status_code == 200
    assert to.name in html and "National" in html and "6.0" in html
    assert "Notices that need a person" in html
    seen = AuditEvent.objects.filter(action="notice.stats_view").last()
    assert (seen.actor_kind, seen.actor_id) == ("staff", str(user.pk))
    assert seen.data["kind"] == "takedown"


@pytest.mark.parametrize(
    "query",
    [
        {"from": "yesterday"},
        {"from": "2026-05-01", "to": "2026-04-01"},
        {"kind": "x"},
        {"to": "1066-10-14"},
    ],
)
def test_stats_page_bad_filters_are_explained(client, query):
    login(client, staff("analyst"))
    response = client.get(STATS, query)
    assert response.status_code == 200
    assert 'class="errorlist"' in response.content.decode()


def test_stats_page_lists_notices_that_need_a_person(client, server):
    flagged = f.notice(to=f.partner("webhook"))
    server.statuses = [404]
    from tellsafe.routing.notices import delivery

    assert delivery.notice_deliver(notice_id=flagged.pk, now=f.T0) == "failed"
    f.sent_notice()  # nothing wrong with this one
    login(client, staff("auditor"))
    html = client.get(STATS).content.decode()
    section = html.split("Notices that need a person")[1]
    assert flagged.reference in section and "Delivery failed" in section
    assert section.count("<tr>") == 2  # header and the one flagged notice
