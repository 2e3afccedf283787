"""The engine as a pure function: hosting classes, rule conditions, merging and
suggestions, and properties that hold for any assessment, trace and rules."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellsafe.routing.exchange.model import FLAGS, VISUAL_AGES
from tellsafe.routing.rules.destinations import registry
from tellsafe.routing.rules.engine import classify, evaluate
from tellsafe.routing.rules.facts import (
    AssessmentFacts,
    HotlineFacts,
    OpenNotice,
    PartnerFacts,
    PoliceApproval,
    RoutingContext,
    RuleFacts,
    TraceFacts,
)
from tellsafe.routing.rules.seed import DEFAULT_RULES

ISP = PartnerFacts(id=1, name="Jio", kind="isp", country="IN")
HOTLINE = PartnerFacts(id=2, name="eco", kind="hotline", country="DE")
NCMEC = PartnerFacts(id=3, name="NCMEC", kind="ngo", country="US")
DEFAULTS = tuple(
    RuleFacts(id=n, **{k: tuple(v) if isinstance(v, list) else v for k, v in rule.items()})
    for n, rule in enumerate(DEFAULT_RULES, start=1)
)


def ctx(**kw):
    base = {
        "item_id": 1,
        "case_id": 9,
        "item_kind": "url",
        "imminent_danger": False,
        "home_country": "IN",
        "assessment": AssessmentFacts(category="csam", legal_status="baseline"),
        "rules": DEFAULTS,
        "named_partners": {"ncmec": NCMEC, "interpol": None},
    }
    base.update(kw)
    return RoutingContext(**base)


def located(country="IN", **kw):
    return TraceFacts(outcome="ok", country=country, countries=(country,), **kw)


@pytest.mark.parametrize(
    "trace, expected",
    [
        (None, "unknown"),
        (TraceFacts(outcome="nxdomain"), "unknown"),
        (TraceFacts(outcome="ok", country="", countries=("DE", "FR")), "unknown"),
        (TraceFacts(outcome="ok", country="in"), "unknown"),  # not a stored code
        (located("IN"), "domestic"),
        (located("IN", behind_cdn=True, cdn="cloudflare"), "behind_cdn"),
        (located("DE"), "foreign_with_hotline"),
        (located("KE"), "foreign_without_hotline"),
    ],
)
def test_hosting_classes(trace, expected):
    assert classify(trace, home_country="IN", hotline_countries={"DE"}) == expected


def test_no_home_country_means_nothing_is_domestic():
    assert classify(located("IN"), home_country="", hotline_countries=set()) == (
        "foreign_without_hotline"
    )


def test_rule_conditions_are_any_of_and_all_must_hold():
    rule = RuleFacts(
        name="r",
        destination="takedown_notice",
        legal_statuses=("baseline",),
        flags=("ai_generated", "virtual"),
        categories=("csam", "csam_generated"),
        imminent_danger="no",
        hosting=("domestic",),
    )
    good = AssessmentFacts(category="csam", legal_status="baseline", flags=frozenset({"virtual"}))
    assert rule.matches(hosting="domestic", assessment=good, imminent_danger=False)
    assert not rule.matches(hosting="domestic", assessment=good, imminent_danger=True)
    assert not rule.matches(hosting="behind_cdn", assessment=good, imminent_danger=False)
    for changed in (
        AssessmentFacts(category="csam", legal_status="national", flags=good.flags),
        AssessmentFacts(category="grooming", legal_status="baseline", flags=good.flags),
        AssessmentFacts(category="csam", legal_status="baseline"),
    ):
        assert not rule.matches(hosting="domestic", assessment=changed, imminent_danger=False)
    assert not rule.matches(hosting="domestic", assessment=None, imminent_danger=False)
    bare = RuleFacts(name="any", destination="law_enforcement")
    assert bare.matches(hosting="unknown", assessment=None, imminent_danger=False)
    broken = RuleFacts(name="b", destination="law_enforcement", imminent_danger="maybe")
    assert not broken.matches(hosting="unknown", assessment=None, imminent_danger=True)


def test_rules_proposing_the_same_destination_are_merged_and_named():
    extra = RuleFacts(
        id=99,
        position=5,
        name="Baseline at home",
        destination="takedown_notice",
        legal_statuses=("baseline",),
        hosting=("domestic",),
    )
    proposals = evaluate(ctx(trace=located("IN"), contact_partner=ISP, rules=(*DEFAULTS, extra)))
    assert [p.key for p in proposals] == ["takedown_notice:partner:1"]
    assert proposals[0].rule_ids == (99, 1)
    assert (
        proposals[0].why
        == "Rule “Baseline at home”. Rule “Hosted here: takedown notice to the host”."
    )


def test_an_unknown_destination_is_shown_and_cannot_be_confirmed():
    rule = RuleFacts(id=7, name="Typo", destination="takedown")
    [proposal] = evaluate(ctx(trace=located("IN"), rules=(rule,)))
    assert proposal.key == "unknown:7" and not proposal.can_confirm
    assert "administrator" in proposal.problem


def test_only_the_first_of_several_alternatives_is_suggested():
    hotlines = tuple(
        HotlineFacts(
            id=n,
            country="DE",
            name=f"H{n}",
            partner=PartnerFacts(id=10 + n, name=f"P{n}", kind="hotline"),
        )
        for n in (1, 2, 3)
    )
    proposals = evaluate(ctx(trace=located("DE"), hotlines=hotlines))
    assert [p.can_confirm for p in proposals] == [True, True, True]
    assert [p.suggested for p in proposals] == [True, False, False]


def test_inhope_only_parameter_leaves_out_other_hotlines():
    rule = RuleFacts(
        id=1, name="members", destination="hotline_forward", params={"inhope_only": True}
    )
    hotlines = (
        HotlineFacts(id=1, country="DE", name="member", inhope_member=True, partner=HOTLINE),
        HotlineFacts(id=2, country="DE", name="other", inhope_member=False),
    )
    proposals = evaluate(ctx(trace=located("DE"), hotlines=hotlines, rules=(rule,)))
    assert [p.target_name for p in proposals] == ["member (DE)"]


@pytest.mark.parametrize(
    "partner, open_notices, expected",
    [
        (None, (), "No usable"),
        (PartnerFacts(id=1, name="Jio", kind="isp", active=False), (), "inactive"),
        (PartnerFacts(id=1, name="Jio", kind="hotline"), (), "cannot receive a takedown"),
        (
            PartnerFacts(id=1, name="Jio", kind="isp", notice_problem="no settings"),
            (),
            "no settings",
        ),
        (ISP, (OpenNotice(partner_id=1, kind="takedown", reference="N-X", status="sent"),), "N-X"),
    ],
)
def test_why_a_notice_cannot_be_confirmed(partner, open_notices, expected):
    trace = TraceFacts(outcome="nxdomain") if partner is None else located("IN")
    rule = RuleFacts(id=1, name="all", destination="takedown_notice")
    [proposal] = evaluate(
        ctx(trace=trace, contact_partner=partner, open_notices=open_notices, rules=(rule,))
    )
    assert not proposal.can_confirm and expected in proposal.problem


def test_a_notice_needs_an_assessment_and_an_item_a_notice_can_carry():
    rule = RuleFacts(id=1, name="all", destination="takedown_notice")
    [unassessed] = evaluate(
        ctx(assessment=None, trace=located(), contact_partner=ISP, rules=(rule,))
    )
    assert "Assess the item first" in unassessed.problem
    [retained] = evaluate(
        ctx(trace=located(), contact_partner=ISP, rules=(rule,), item_problem="removed")
    )
    assert retained.problem == "removed"


def test_law_enforcement_is_always_proposed_in_danger_and_only_once():
    proposals = evaluate(ctx(imminent_danger=True, assessment=None, rules=()))
    assert [p.key for p in proposals] == ["law_enforcement:case:9"]
    proposals = evaluate(ctx(imminent_danger=True, rules=DEFAULTS))
    assert [p.key for p in proposals] == ["law_enforcement:case:9"]
    assert proposals[0].rule_names == ("Child in danger now: law enforcement",)
    asked = evaluate(ctx(imminent_danger=True, police_approval=PoliceApproval(4, "approved")))
    assert not asked[0].can_confirm and "#4 is approved" in asked[0].problem


# --- properties ----------------------------------------------------------------------------

codes = st.sampled_from(["csam", "grooming", "other", "", "ZZ", "not a code"])
countries = st.sampled_from(["IN", "DE", "KE", "US", "", "in", "XX", "DEU"])
texts = st.text(max_size=12)
partners = st.one_of(
    st.none(),
    st.builds(
        PartnerFacts,
        id=st.integers(1, 50),
        name=texts,
        kind=st.sampled_from(
            ["isp", "platform", "hotline", "ngo", "law_enforcement", "other", "?"]
        ),
        active=st.booleans(),
        notice_problem=st.sampled_from(["", "no settings"]),
    ),
)
assessments = st.one_of(
    st.none(),
    st.builds(
        AssessmentFacts,
        category=codes,
        legal_status=st.sampled_from(["baseline", "national", "not_illegal", "", "??"]),
        age_band=st.sampled_from([*VISUAL_AGES, "9_12", ""]),
        flags=st.frozensets(st.sampled_from([*sorted(FLAGS), "unknown"])),
    ),
)
traces = st.one_of(
    st.none(),
    st.builds(
        TraceFacts,
        outcome=st.sampled_from(["ok", "nxdomain", "timeout", "invalid", ""]),
        country=countries,
        countries=st.lists(countries, max_size=3).map(tuple),
        asn=st.one_of(st.none(), st.integers(0, 2**32)),
        behind_cdn=st.booleans(),
        cdn=st.sampled_from(["", "cloudflare", "?"]),
        contact_source=st.sampled_from(["", "partner", "ip_registry"]),
        contact_email=st.sampled_from(["", "abuse@x.example"]),
    ),
)
rules = st.builds(
    RuleFacts,
    id=st.one_of(st.none(), st.integers(1, 20)),
    name=texts,
    destination=st.sampled_from([*registry(), "nope", ""]),
    position=st.integers(0, 100),
    legal_statuses=st.lists(st.sampled_from(["baseline", "national", "not_illegal", "x"])).map(
        tuple
    ),
    hosting=st.lists(
        st.sampled_from(
            [
                "domestic",
                "foreign_with_hotline",
                "foreign_without_hotline",
                "behind_cdn",
                "unknown",
                "x",
            ]
        )
    ).map(tuple),
    flags=st.lists(st.sampled_from(sorted(FLAGS))).map(tuple),
    categories=st.lists(codes).map(tuple),
    imminent_danger=st.sampled_from(["any", "yes", "no", "?"]),
    params=st.one_of(
        st.just({}),
        st.fixed_dictionaries({"inhope_only": st.one_of(st.booleans(), texts)}),
        st.fixed_dictionaries({"partner": st.one_of(texts, st.integers())}),
    ),
)
contexts = st.builds(
    RoutingContext,
    item_id=st.integers(1, 10),
    case_id=st.integers(1, 10),
    item_kind=st.sampled_from(["url", "media"]),
    imminent_danger=st.booleans(),
    home_country=countries,
    assessment=assessments,
    trace=traces,
    item_problem=st.sampled_from(["", "removed"]),
    hotlines=st.lists(
        st.builds(
            HotlineFacts,
            id=st.integers(1, 9),
            country=countries,
            name=texts,
            inhope_member=st.booleans(),
            partner=partners,
        ),
        max_size=3,
    ).map(tuple),
    contact_partner=partners,
    named_partners=st.dictionaries(st.sampled_from(["ncmec", "interpol", "x"]), partners),
    no_hotline_destinations=st.lists(st.sampled_from(["ncmec", "interpol"])).map(tuple),
    ncmec_transport_problem=st.sampled_from(["", "set NCMEC_USERNAME."]),
    hold_agency=st.sampled_from(["", "Unit 7"]),
    open_notices=st.lists(
        st.builds(
            OpenNotice,
            partner_id=st.integers(1, 50),
            kind=st.sampled_from(["takedown", "forward"]),
            reference=texts,
            status=texts,
        ),
        max_size=3,
    ).map(tuple),
    police_approval=st.one_of(
        st.none(),
        st.builds(
            PoliceApproval, id=st.integers(1, 5), state=st.sampled_from(["pending", "approved"])
        ),
    ),
    rules=st.lists(rules, max_size=6).map(tuple),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contexts)
def test_evaluate_never_raises_and_its_answers_are_consistent(context):
    proposals = evaluate(context)
    keys = [p.key for p in proposals]
    assert len(keys) == len(set(keys))
    for proposal in proposals:
        assert not proposal.key.endswith(":error"), proposal  # no plugin failed
        assert proposal.can_confirm == (not proposal.problem)
        assert not proposal.suggested or proposal.can_confirm
        if proposal.notice_kind and proposal.can_confirm:
            assert context.assessment is not None and proposal.target_kind == "partner"
            assert proposal.held == context.held
        if proposal.plugin in ("takedown_notice", "hotline_forward") and proposal.can_confirm:
            assert context.assessment is not None
    if context.imminent_danger:
        assert any(p.plugin == "law_enforcement" for p in proposals)
    suggested = [p.plugin for p in proposals if p.suggested]
    assert len(suggested) == len(set(suggested))
