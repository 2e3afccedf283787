"""Re-checking: partner_confirmation waits; http_head (behind NOTICE_HTTP_HEAD_CHECKS)
sends HEAD only, to public addresses only, and records a removal after two gone checks
in a row."""

from __future__ import annotations

import httpx
import pytest

from tellsafe.core.models import AuditEvent
from tellsafe.routing.notices import checkers, delivery, services, tasks
from tellsafe.routing.notices.models import Notice, NoticeEvent
from tellsafe.routing.tests.notices import factories as f
from tellsafe.routing.tests.notices.factories import T0, hours

pytestmark = pytest.mark.django_db


@pytest.fixture
def head_checks(settings):
    settings.NOTICE_HTTP_HEAD_CHECKS = True


def test_registry_and_default():
    assert set(checkers.registry()) == {"partner_confirmation", "http_head"}
    assert [c.name for c in checkers.configured()] == ["partner_confirmation"]


def test_without_the_flag_nothing_is_contacted(server):
    notice = f.sent_notice()
    assert delivery.recheck_open_notices(now=T0 + hours(2)) == {}
    assert tasks.recheck_notices.call() == {}
    assert server.requests == []
    assert checkers.registry()["http_head"].check(notice).code == "skipped"
    assert checkers.registry()["partner_confirmation"].check(notice).code == "waiting"


def test_gone_twice_records_removal_at_the_first_gone_check(server, head_checks):
    notice = f.sent_notice(f.url_item("https://files.example.net/album/7.jpg?x=1"))
    server.statuses = [200, 404, 410]
    assert delivery.recheck_open_notices(now=T0 + hours(1)) == {"present": 1}
    assert delivery.recheck_open_notices(now=T0 + hours(1.5)) == {}  # checked an hour ago
    assert delivery.recheck_open_notices(now=T0 + hours(2)) == {"gone": 1}
    assert Notice.objects.get(pk=notice.pk).status == "sent"  # one miss is not enough
    assert delivery.recheck_open_notices(now=T0 + hours(3)) == {"gone": 1}
    removed = Notice.objects.get(pk=notice.pk)
    assert removed.status == "removed" and removed.response_via == "check"
    assert removed.removed_at == T0 + hours(2)
    assert [r.method for r in server.requests] == ["HEAD", "HEAD", "HEAD"]
    first = server.requests[0]
    assert first.url.host == "5.9.0.1" and first.headers["Host"] == "files.example.net"
    assert first.url.path == "/album/7.jpg" and first.url.query == b"x=1"
    codes = list(
        NoticeEvent.objects.filter(notice=notice, kind="check").values_list("code", flat=True)
    )
    assert codes == ["present", "gone", "gone"]
    assert AuditEvent.objects.filter(action="notice.check", object_id=str(notice.pk)).count() == 3
    assert delivery.recheck_open_notices(now=T0 + hours(9)) == {}  # no longer open


def test_back_online_resets_the_count(server, head_checks):
    notice = f.sent_notice()
    server.statuses = [404, 200, 404]
    for at in (1, 2, 3):
        delivery.recheck_open_notices(now=T0 + hours(at))
    row = Notice.objects.get(pk=notice.pk)
    assert row.status == "sent" and row.gone_checks == 1 and row.gone_since == T0 + hours(3)


def test_a_domain_that_no_longer_exists_is_gone(server, head_checks):
    notice = f.sent_notice(f.url_item("https://gone.example.net/x"))
    result = checkers.registry()["http_head"].check(notice)
    assert (result.code, result.detail) == ("gone", "nxdomain")
    assert server.requests == []


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("https://sneaky.example.net/x", "refused_private"),  # one address is private
        ("http://10.1.2.3/x", "refused_private"),
        ("http://localhost/x", "refused_private"),
    ],
)
def test_private_targets_are_never_contacted(server, head_checks, url, code):
    notice = f.sent_notice(f.url_item(url))
    assert checkers.registry()["http_head"].check(notice).code == code
    assert server.requests == []


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (httpx.ConnectTimeout("slow"), "unknown"),
        (500, "unknown"),
        (302, "unknown"),
        (204, "present"),
    ],
)
def test_other_answers(server, head_checks, answer, code):
    notice = f.sent_notice()
    server.statuses = [answer]
    assert checkers.registry()["http_head"].check(notice).code == code


def test_media_items_are_skipped(server, head_checks):
    notice = f.sent_notice(f.media_item())
    assert checkers.registry()["http_head"].check(notice).code == "skipped"
    assert server.requests == []


def test_a_partner_answer_meanwhile_stands(server, head_checks):
    notice = f.sent_notice()
    server.statuses = [404, 404]
    delivery.recheck_open_notices(now=T0 + hours(1))
    services.notice_record_response(
        notice=notice,
        outcome="refused",
        reason="lawful",
        via="api",
        actor=f.STAFF,
        now=T0 + hours(1.5),
    )
    assert delivery.recheck_open_notices(now=T0 + hours(2)) == {}  # refused: not open
    assert Notice.objects.get(pk=notice.pk).outcome == "refused"
