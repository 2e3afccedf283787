"""Reading the routing context from the database: whatever the stored trace and
assessment say, ``propose`` answers, and the case page's panel costs a bounded number
of queries."""

from __future__ import annotations

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellsafe.routing.exchange.model import FLAGS
from tellsafe.routing.models import HostingTrace
from tellsafe.routing.rules import engine, selectors
from tellsafe.routing.rules.models import Assessment, RoutingRule
from tellsafe.routing.tests.rules import factories as f

pytestmark = pytest.mark.django_db

stored_traces = st.fixed_dictionaries(
    {
        "outcome": st.sampled_from([o.value for o in HostingTrace.Outcome]),
        "country": st.sampled_from(["IN", "DE", "KE", "", "ZZ"]),
        "asn": st.one_of(st.none(), st.sampled_from([55836, 13335, 24940, 2**32 - 1])),
        "behind_cdn": st.booleans(),
        "cdn": st.sampled_from(["", "cloudflare"]),
        "data": st.fixed_dictionaries(
            {},
            optional={
                "asns": st.one_of(st.lists(st.integers(0, 70000), max_size=3), st.text()),
                "hosting_country": st.one_of(st.none(), st.text(max_size=3), st.lists(st.text())),
                "cname_chain": st.one_of(st.lists(st.text(max_size=20), max_size=2), st.none()),
                "abuse_contact": st.one_of(
                    st.none(),
                    st.text(),
                    st.fixed_dictionaries(
                        {
                            "source": st.sampled_from(["partner", "ip_registry", 7]),
                            "partner_id": st.one_of(st.none(), st.integers(-1, 10**6), st.text()),
                            "email": st.one_of(st.text(max_size=20), st.none()),
                        }
                    ),
                ),
            },
        ),
    }
)
stored_assessments = st.one_of(
    st.none(),
    st.fixed_dictionaries(
        {
            "category": st.sampled_from(["csam", "grooming", "retired", ""]),
            "legal_status": st.sampled_from(["baseline", "national", "not_illegal", "odd"]),
            "flags": st.one_of(
                st.lists(st.sampled_from([*sorted(FLAGS), "x"])), st.just("text"), st.just({"a": 1})
            ),
        }
    ),
)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    trace=st.one_of(st.none(), stored_traces), assessment=stored_assessments, danger=st.booleans()
)
def test_propose_never_raises_for_any_stored_trace_and_assessment(trace, assessment, danger):
    item = f.item(imminent=danger)
    user = f.analyst()
    if trace is not None:
        HostingTrace.objects.create(content_item=item, traced_at=timezone.now(), **trace)
    if assessment is not None:
        Assessment.objects.create(
            content_item=item, assessed_by=user, assessed_at=timezone.now(), **assessment
        )
    proposals = engine.propose(item)
    assert all(not p.key.endswith(":error") for p in proposals)
    if danger:
        assert any(p.plugin == "law_enforcement" for p in proposals)
    panel = selectors.item_panel(item=item)
    assert panel.error == ""
    assert [p.key for p in panel.proposals] == [p.key for p in proposals]


def test_a_broken_rule_row_does_not_break_routing():
    RoutingRule.objects.create(
        name="written by hand", destination="takedown_notice", hosting="domestic", params=[1]
    )
    item = f.item("isp.example.in")
    f.trace(item)
    f.assess(item)
    [proposal] = engine.propose(item)
    assert proposal.rule_names == ("Hosted here: takedown notice to the host",)


def test_the_panel_costs_the_same_queries_whatever_the_directory_and_partners(
    django_assert_max_num_queries,
):
    for n in range(5):
        f.receiver(name=f"Other ISP {n}", asns=(64500 + n,))
    item = f.item("files.example.net")
    f.trace(item)
    f.assess(item)
    with django_assert_max_num_queries(16):
        panel = selectors.item_panel(item=item)
    assert panel.hosting == "foreign_with_hotline" and len(panel.proposals) == 3
    assert panel.trace is not None and panel.assessment is not None and panel.error == ""


def test_the_panel_shows_a_problem_instead_of_failing(monkeypatch):
    item = f.item()

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "latest_trace", broken)
    panel = selectors.item_panel(item=item)
    assert panel.error.startswith("Routing could not be worked out")


def test_the_panel_shows_when_the_hosting_moved(client):
    from datetime import timedelta

    from tellsafe.accounts.tests.factories import login
    from tellsafe.routing import services as trace_services
    from tellsafe.routing.resolve import RecordedResolver
    from tellsafe.routing.tests.rules.factories import IPS, T0, FakeIpDatabase

    item = f.item("isp.example.in")
    f.trace(item)
    assert selectors.item_panel(item=item).moved is None
    trace_services.trace_content_item(
        item=item,
        resolver=RecordedResolver({"isp.example.in": {"A": ["5.9.0.1"]}}),
        ip_database=FakeIpDatabase(IPS),
        now=T0 + timedelta(days=2),
    )
    moved = selectors.item_panel(item=item).moved
    assert moved.country_changed and moved.countries_after == {"DE"}
    login(client, f.analyst())
    page = client.get(f"/desk/cases/{item.case_id}/").content.decode()
    assert "Hosting moved" in page and "IN → DE" in page
