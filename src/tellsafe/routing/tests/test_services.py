"""Stored traces: the service, its audit event, move detection and the idempotent task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tellsafe.cases.models import ContentItem
from tellsafe.core import audit
from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.routing import selectors, services, tasks
from tellsafe.routing.contacts import AbuseContact
from tellsafe.routing.models import HostingTrace
from tellsafe.routing.tests.factories import (
    HETZNER_V4,
    OVH_V4,
    FakeIpDatabase,
    content_item,
    resolver,
)

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def offline(monkeypatch):
    """The service's defaults, made offline: recorded DNS and the fake IP database."""
    recorded = resolver()
    database = FakeIpDatabase()
    monkeypatch.setattr(services, "default_resolver", lambda: recorded)
    monkeypatch.setattr("tellsafe.routing.trace.default_database", lambda: database)
    return recorded


def _trace(item, *, records=None, at=T0, **kwargs):
    return services.trace_content_item(
        item=item, resolver=resolver(records), ip_database=FakeIpDatabase(), now=at, **kwargs
    )


def test_a_trace_is_stored_with_its_audit_event():
    item = content_item("https://user:pw@www.example.net/album/child-name/7.jpg")
    before = AuditEvent.objects.count()
    trace = _trace(item)
    trace.refresh_from_db()
    assert trace.content_item_id == item.pk
    assert (trace.outcome, trace.host, trace.country) == ("ok", "www.example.net", "DE")
    assert (trace.asn, trace.org, trace.behind_cdn, trace.cdn) == (
        24940,
        "Hetzner Online GmbH",
        False,
        "",
    )
    assert trace.traced_at == T0
    assert trace.data["cname_chain"] == ["files.example.net"]
    assert trace.data["abuse_contact"]["email"] == "abuse@hetzner.example"
    # The path can name a child, and credentials are never kept: neither is stored.
    assert "url" not in trace.data
    assert "child-name" not in str(trace.data) and "pw" not in str(trace.data)
    events = AuditEvent.objects.filter(action="content.trace", object_id=str(item.pk))
    assert AuditEvent.objects.count() == before + 1
    event = events.get()
    assert event.actor_kind == "system" and event.object_type == "content_item"
    assert event.data == {
        "trace": trace.pk,
        "outcome": "ok",
        "country": "DE",
        "asn": 24940,
        "cdn": "",
    }
    assert audit.verify()[1] is None


def test_the_actor_and_the_partner_lookup_are_used():
    item = content_item("https://proxied.example.org/x")
    partner = AbuseContact(source="partner", email="abuse@cdn.example", partner_id=3)
    trace = _trace(
        item, actor=audit.Actor("staff", "12"), abuse_contact_lookup=lambda query: partner
    )
    assert trace.behind_cdn and trace.cdn == "cloudflare"
    assert trace.data["abuse_contact"]["partner_id"] == 3
    assert AuditEvent.objects.get(action="content.trace").actor_id == "12"


def test_a_url_that_cannot_be_traced_is_stored_as_its_outcome():
    item = content_item("http://169.254.169.254/latest/meta-data/")
    trace = _trace(item)
    assert (trace.outcome, trace.host, trace.country, trace.asn) == (
        "refused_private",
        "169.254.169.254",
        "",
        None,
    )
    assert trace.data["error"] == "private_address"
    gopher = _trace(content_item("gopher://files.example.net/"))
    assert gopher.outcome == "invalid" and gopher.data["error"] == "unsupported_scheme"


def test_split_hosting_has_no_single_country():
    trace = _trace(content_item("http://split.example.net/"))
    assert trace.country == "" and trace.asn is None
    assert trace.countries == ["DE", "FR"] and trace.asns == [24940, 16276]


def test_items_without_a_link_are_not_traceable():
    item = content_item()
    ContentItem.objects.filter(pk=item.pk).update(url="")  # as retention leaves it
    item.refresh_from_db()
    with pytest.raises(ApplicationError) as caught:
        _trace(item)
    assert caught.value.code == "not_traceable"
    assert not HostingTrace.objects.exists()
    assert not AuditEvent.objects.filter(action="content.trace").exists()


def test_naive_times_are_refused():
    with pytest.raises(ValueError):
        _trace(content_item(), at=datetime(2026, 1, 1))
    assert not HostingTrace.objects.exists()


# -- selectors ---------------------------------------------------------------------------


def test_traces_are_kept_and_the_latest_is_found(django_assert_num_queries):
    item = content_item("http://files.example.net/a")
    first = _trace(item, at=T0)
    second = _trace(item, at=T0 + timedelta(hours=1))
    _trace(content_item("http://files.example.net/b"), at=T0 + timedelta(hours=2))
    with django_assert_num_queries(1):
        assert selectors.latest_trace(item=item) == second
    assert selectors.traces_of(item=item) == [second, first]
    assert selectors.traces_of(item=item, limit=1) == [second]
    assert selectors.latest_trace(item=content_item()) is None


def _moving(records_now):
    item = content_item("http://files.example.net/x")
    _trace(item, at=T0)
    _trace(item, records=records_now, at=T0 + timedelta(days=1))
    return item


def test_a_move_to_another_country_and_network_is_seen():
    item = _moving({"files.example.net": {"A": [OVH_V4]}})
    change = selectors.hosting_change(item=item)
    assert selectors.hosting_moved(item=item)
    assert change.country_changed and change.network_changed
    assert change.countries_before == {"DE"} and change.countries_after == {"FR"}
    assert change.asns_before == {24940} and change.asns_after == {16276}
    assert change.after.traced_at > change.before.traced_at


def test_new_addresses_in_the_same_network_are_not_a_move():
    item = _moving({"files.example.net": {"A": [HETZNER_V4, "2a01:4f8::1"]}})
    assert selectors.hosting_change(item=item) is None
    assert not selectors.hosting_moved(item=item)


def test_moving_behind_a_cdn_is_a_move():
    item = _moving(
        {
            "files.example.net": {"CNAME": "shop.example.org.cdn.cloudflare.net"},
            "shop.example.org.cdn.cloudflare.net": {"A": ["104.16.1.1"]},
        }
    )
    change = selectors.hosting_change(item=item)
    assert change.network_changed and change.after.behind_cdn


def test_content_that_is_gone_has_not_moved():
    item = _moving({})  # NXDOMAIN now
    assert selectors.latest_trace(item=item).outcome == "nxdomain"
    assert not selectors.hosting_moved(item=item)
    assert not selectors.hosting_moved(item=content_item())


# -- the task ----------------------------------------------------------------------------


def test_the_task_traces_once_per_request(offline):
    item = content_item("https://www.example.net/x")
    asked = timezone.now().isoformat()
    trace_id = tasks.trace_content_item_task.call(item.pk, requested_at=asked)
    assert HostingTrace.objects.get().pk == trace_id
    # A retry of the same request reuses the trace; the DNS is not asked again.
    queries = len(offline.queries)
    assert tasks.trace_content_item_task.call(item.pk, requested_at=asked) == trace_id
    assert len(offline.queries) == queries and HostingTrace.objects.count() == 1
    # A later request traces again, and the earlier trace is kept.
    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    newer = tasks.trace_content_item_task.call(item.pk, requested_at=later)
    assert newer != trace_id and HostingTrace.objects.count() == 2


def test_without_a_request_time_a_recent_trace_is_reused(offline, settings):
    item = content_item("https://www.example.net/x")
    first = tasks.trace_content_item_task.call(item.pk)
    assert tasks.trace_content_item_task.call(item.pk, requested_at="not a time") == first
    settings.TRACE_REUSE_SECONDS = 0
    HostingTrace.objects.update(traced_at=timezone.now() - timedelta(seconds=5))
    assert tasks.trace_content_item_task.call(item.pk) != first


def test_the_task_skips_what_cannot_be_traced(offline):
    assert tasks.trace_content_item_task.call(999_999) is None
    item = content_item()
    ContentItem.objects.filter(pk=item.pk).update(url="")
    assert tasks.trace_content_item_task.call(item.pk) is None
    assert not HostingTrace.objects.exists()


def test_the_task_retries_when_the_ip_database_is_missing(monkeypatch, offline):
    def missing():
        raise ApplicationError("ipdb_unavailable", "missing", status=503)

    monkeypatch.setattr("tellsafe.routing.trace.default_database", missing)
    item = content_item()
    assert tasks.trace_content_item_task.call(item.pk) == {"retry_scheduled": 2}
    queued = DBTaskResult.objects.get()
    assert queued.args_kwargs["args"] == [item.pk]
    assert queued.args_kwargs["kwargs"]["attempt"] == 2
    assert not HostingTrace.objects.exists()


def test_schedule_trace_enqueues_after_commit(django_capture_on_commit_callbacks):
    item = content_item()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.schedule_trace(item=item)
    assert len(callbacks) == 1
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "tellsafe.routing.tasks.trace_content_item_task"
    assert queued.args_kwargs["args"] == [item.pk]
    assert datetime.fromisoformat(queued.args_kwargs["kwargs"]["requested_at"]).tzinfo


@pytest.mark.django_db
def test_a_new_report_queues_a_trace_for_each_url(django_capture_on_commit_callbacks):
    from tellsafe.intake.tests.factories import make_report

    with django_capture_on_commit_callbacks(execute=True):
        created = make_report(urls=["https://a.example/x", "https://b.example/y"])
    items = set(created.report.content_items.values_list("pk", flat=True))
    queued = [
        r.args_kwargs["args"][0]
        for r in DBTaskResult.objects.all()
        if r.task_path.endswith("trace_content_item_task")
    ]
    assert len(items) == 2 and sorted(queued) == sorted(items)
