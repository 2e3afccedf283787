"""Items through the rules, end to end: traced as production traces them, assessed,
proposed, confirmed; what is made (notices, approvals) and what is audited."""

from __future__ import annotations

import pytest

from tellsafe.cases.models import Approval
from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.partners.models import Partner
from tellsafe.routing.notices.models import Notice, NoticeEvent
from tellsafe.routing.rules import engine, services
from tellsafe.routing.rules.models import Assessment, PoliceHold, RoutingDecision
from tellsafe.routing.tests.rules import factories as f

pytestmark = pytest.mark.django_db


def keys(item):
    return {p.key: p for p in engine.propose(item)}


def only(proposals, plugin):
    found = [p for p in proposals.values() if p.plugin == plugin]
    assert len(found) == 1, [p.key for p in proposals.values()]
    return found[0]


# --- the table --------------------------------------------------------------------------


def test_domestic_content_goes_to_the_partner_isp_as_a_takedown():
    isp = f.receiver(asns=(55836,))
    item = f.item("isp.example.in")
    f.trace(item)
    f.assess(item, "national")
    proposals = keys(item)
    assert list(proposals) == [f"takedown_notice:partner:{isp.pk}"]
    proposal = proposals[f"takedown_notice:partner:{isp.pk}"]
    assert proposal.can_confirm and proposal.suggested and not proposal.held
    assert proposal.rule_names == ("Hosted here: takedown notice to the host",)
    user = f.analyst()
    decision = services.routing_confirm(item=item, chosen=[proposal.key], actor=user)
    notice = Notice.objects.get(content_item=item)
    assert (notice.partner_id, notice.kind, notice.status) == (isp.pk, "takedown", "queued")
    assert (notice.category, notice.legal_basis) == ("csam", "national")
    assert decision.hosting == "domestic" and decision.chosen == [proposal.key]
    assert decision.results == [
        {
            "key": proposal.key,
            "notice": notice.pk,
            "reference": notice.reference,
            "partner": isp.pk,
            "status": "queued",
        }
    ]
    proposed = AuditEvent.objects.get(action="routing.propose")
    confirmed = AuditEvent.objects.get(action="routing.confirm")
    assert proposed.object_id == confirmed.object_id == str(item.case_id)
    assert proposed.data["hosting"] == "domestic"
    assert proposed.data["proposed"][0]["key"] == proposal.key
    assert confirmed.data["chosen"] == [proposal.key]
    assert confirmed.data["decision"] == decision.pk
    assert (confirmed.actor_kind, confirmed.actor_id) == ("staff", str(user.pk))
    # the same destination cannot be confirmed twice
    again = keys(item)[proposal.key]
    assert not again.can_confirm and notice.reference in again.problem


def test_domestic_content_without_a_partner_says_who_to_write_to_and_cannot_be_confirmed():
    item = f.item("isp.example.in")
    f.trace(item)
    f.assess(item, "baseline")
    proposal = only(keys(item), "takedown_notice")
    assert proposal.key == "takedown_notice:none" and not proposal.can_confirm
    assert "abuse@jio.example" in proposal.problem
    with pytest.raises(ApplicationError) as caught:
        services.routing_confirm(item=item, chosen=[proposal.key], actor=f.analyst())
    assert caught.value.code == "routing_changed" and caught.value.status == 409
    assert not Notice.objects.exists() and not RoutingDecision.objects.exists()


def test_a_partner_registered_after_the_trace_is_found_without_tracing_again():
    item = f.item("isp.example.in")
    f.trace(item)  # no partner yet: the registry's mailbox was recorded
    isp = f.receiver(asns=(55836,))
    f.assess(item)
    proposal = only(keys(item), "takedown_notice")
    assert proposal.key == f"takedown_notice:partner:{isp.pk}" and proposal.can_confirm


def test_foreign_content_goes_to_the_hotline_of_the_hosting_country():
    hotline_partner = f.receiver(Partner.Kind.HOTLINE, name="eco (test)")
    hotline = f.link_hotline("DE", hotline_partner)
    item = f.item("files.example.net")
    f.trace(item)
    f.assess(item, "baseline")
    proposals = keys(item)
    assert all(p.plugin == "hotline_forward" for p in proposals.values())
    linked = proposals[f"hotline_forward:partner:{hotline_partner.pk}"]
    assert linked.can_confirm and linked.suggested and hotline.name in linked.target_name
    # Germany has three hotlines; the two not linked are forwarded to by hand
    by_hand = [p for p in proposals.values() if p.target_kind == "none"]
    assert len(by_hand) == 2 and not any(p.can_confirm or p.suggested for p in by_hand)
    assert all("by hand" in p.problem and "https://" in p.problem for p in by_hand)
    services.routing_confirm(item=item, chosen=[linked.key], actor=f.analyst())
    notice = Notice.objects.get(content_item=item)
    assert (notice.partner_id, notice.kind) == (hotline_partner.pk, "forward")


def test_foreign_content_without_a_hotline_goes_to_ncmec_by_default():
    ncmec = f.receiver(Partner.Kind.NGO, name="NCMEC")
    item = f.item("host.example.ke")
    f.trace(item)
    f.assess(item, "baseline")
    proposals = keys(item)
    assert list(proposals) == [f"ncmec_forward:partner:{ncmec.pk}"]  # INTERPOL not chosen
    services.routing_confirm(item=item, chosen=list(proposals), actor=f.analyst())
    notice = Notice.objects.get(content_item=item)
    assert (notice.partner_id, notice.kind, notice.status) == (ncmec.pk, "forward", "queued")


def test_without_an_ncmec_partner_the_proposal_says_the_transport_is_not_configured():
    item = f.item("host.example.ke")
    f.trace(item)
    f.assess(item)
    proposal = only(keys(item), "ncmec_forward")
    assert not proposal.can_confirm
    assert "No active partner named NCMEC" in proposal.problem
    assert "not configured" in proposal.problem and "NCMEC_USERNAME" in proposal.problem


def test_with_the_ncmec_transport_configured_the_proposal_points_to_the_exchange(settings):
    settings.NCMEC_USERNAME, settings.NCMEC_PASSWORD = "hotline", "secret"
    item = f.item("host.example.ke")
    f.trace(item)
    f.assess(item)
    proposal = only(keys(item), "ncmec_forward")
    assert not proposal.can_confirm and "tellsafe exchange export" in proposal.problem


def test_the_configuration_chooses_interpol_where_no_hotline_works(settings):
    settings.ROUTING_NO_HOTLINE_DESTINATIONS = ["interpol"]
    f.receiver(Partner.Kind.NGO, name="NCMEC")
    interpol = f.receiver(Partner.Kind.LAW_ENFORCEMENT, name="INTERPOL")
    item = f.item("host.example.ke")
    f.trace(item)
    f.assess(item)
    assert list(keys(item)) == [f"interpol_forward:partner:{interpol.pk}"]
    settings.ROUTING_NO_HOTLINE_DESTINATIONS = ["ncmec", "interpol"]
    assert {p.plugin for p in keys(item).values()} == {"ncmec_forward", "interpol_forward"}


def test_content_behind_a_cdn_goes_to_the_cdn_partner():
    cloudflare = f.receiver(Partner.Kind.PLATFORM, name="Cloudflare", domains=("cloudflare.net",))
    item = f.item("shop.example.org")
    trace = f.trace(item)
    assert trace.behind_cdn and trace.cdn == "cloudflare"
    f.assess(item, "national")
    proposal = only(keys(item), "takedown_notice")
    assert proposal.key == f"takedown_notice:partner:{cloudflare.pk}" and proposal.can_confirm
    assert "CDN" in proposal.note
    assert proposal.rule_names == ("Behind a CDN: notice to the CDN",)


@pytest.mark.parametrize("host", ["gone.example.net", "split.example.net", None])
def test_unknown_hosting_proposes_nothing(host):
    f.receiver(Partner.Kind.NGO, name="NCMEC")
    item = f.item(host or "isp.example.in")
    if host:
        f.trace(item)
    f.assess(item)
    assert keys(item) == {}


def test_content_assessed_as_not_illegal_goes_nowhere():
    f.receiver(asns=(55836,))
    item = f.item("isp.example.in")
    f.trace(item)
    f.assess(item, "not_illegal", category="other")
    assert keys(item) == {}


def test_nothing_is_proposed_before_an_assessment_and_the_latest_one_wins():
    f.receiver(asns=(55836,))
    item = f.item("isp.example.in")
    f.trace(item)
    assert keys(item) == {}
    f.assess(item, "not_illegal")
    f.assess(item, "baseline")
    assert only(keys(item), "takedown_notice").can_confirm
    assert Assessment.objects.filter(content_item=item).count() == 2  # history kept


def test_a_child_in_danger_gets_law_enforcement_through_a_supervisor_approval():
    item = f.item("gone.example.net", imminent=True)
    f.trace(item)
    proposals = keys(item)  # proposed even before any assessment
    proposal = only(proposals, "law_enforcement")
    assert proposal.key == f"law_enforcement:case:{item.case_id}" and proposal.can_confirm
    user = f.analyst()
    decision = services.routing_confirm(item=item, chosen=[proposal.key], actor=user)
    approval = Approval.objects.get(case=item.case)
    assert (approval.kind, approval.state, approval.requested_by_id) == (
        "forward_police",
        "pending",
        user.pk,
    )
    assert decision.results == [{"key": proposal.key, "approval": approval.pk, "state": "pending"}]
    assert not Notice.objects.exists()  # nothing was sent
    again = only(keys(item), "law_enforcement")
    assert not again.can_confirm and f"#{approval.pk}" in again.problem


def test_the_built_in_law_enforcement_proposal_holds_without_any_rule():
    from tellsafe.routing.rules.models import RoutingRule

    RoutingRule.objects.update(active=False)
    item = f.item("isp.example.in", imminent=True)
    proposal = only(keys(item), "law_enforcement")
    assert proposal.why == "Built in: the child is in danger now." and proposal.can_confirm


def test_a_police_hold_makes_notices_held_until_a_supervisor_releases_them():
    isp = f.receiver(asns=(55836,))
    hotline_partner = f.receiver(Partner.Kind.HOTLINE)
    f.link_hotline("DE", hotline_partner)
    home, abroad = f.item("isp.example.in"), f.item("files.example.net")
    # both items in one case
    abroad.case = home.case
    abroad.save(update_fields=["case"])
    for target in (home, abroad):
        f.trace(target)
        f.assess(target)
    boss = f.supervisor()
    hold = services.police_hold_set(
        case=home.case, agency="Cyber Crime Unit", reason="Operation under way", actor=boss
    )
    assert PoliceHold.objects.get(pk=hold.pk).reason == "Operation under way"
    proposal = only(keys(home), "takedown_notice")
    assert proposal.held and proposal.can_confirm and "Cyber Crime Unit" in proposal.note
    services.routing_confirm(item=home, chosen=[proposal.key], actor=f.analyst())
    forward = keys(abroad)[f"hotline_forward:partner:{hotline_partner.pk}"]
    services.routing_confirm(item=abroad, chosen=[forward.key], actor=f.analyst())
    notices = list(Notice.objects.order_by("id"))
    assert [(n.partner_id, n.status) for n in notices] == [
        (isp.pk, "held"),
        (hotline_partner.pk, "held"),
    ]
    assert not NoticeEvent.objects.filter(kind="queued").exists()
    released = services.police_hold_release(hold=hold, actor=boss)
    assert sorted(n.pk for n in released) == [n.pk for n in notices]
    assert set(Notice.objects.values_list("status", flat=True)) == {"queued"}
    assert NoticeEvent.objects.filter(kind="released").count() == 2
    event = AuditEvent.objects.get(action="case.police_hold_release")
    assert sorted(event.data["notices"]) == sorted(n.reference for n in notices)
    assert "Operation" not in str(AuditEvent.objects.get(action="case.police_hold").data)
    assert not only(keys(home), "takedown_notice").held  # the hold is over
    with pytest.raises(ApplicationError) as caught:
        services.police_hold_release(hold=hold, actor=boss)
    assert caught.value.code == "hold_released"


def test_one_active_hold_per_case_and_its_fields_are_checked():
    item = f.item()
    boss = f.supervisor()
    with pytest.raises(ApplicationError) as caught:
        services.police_hold_set(case=item.case, agency="  ", reason="x" * 1001, actor=boss)
    assert caught.value.code == "invalid_hold"
    assert set(caught.value.fields) == {"agency", "reason"}
    services.police_hold_set(case=item.case, agency="Unit 1", reason="asked", actor=boss)
    with pytest.raises(ApplicationError) as caught:
        services.police_hold_set(case=item.case, agency="Unit 2", reason="again", actor=boss)
    assert caught.value.code == "hold_active" and caught.value.status == 409


# --- confirming -----------------------------------------------------------------------


def test_a_failing_destination_undoes_the_whole_confirmation():
    isp = f.receiver(asns=(55836,))
    item = f.item("isp.example.in", imminent=True)
    f.trace(item)
    f.assess(item)
    proposals = keys(item)
    assert set(proposals) == {
        f"takedown_notice:partner:{isp.pk}",
        f"law_enforcement:case:{item.case_id}",
    }
    # someone asks for the approval by hand between the page load and the confirmation
    from tellsafe.cases.services import approval_request

    approval_request(case=item.case, kind="forward_police", reason="by hand", actor=f.analyst())
    with pytest.raises(ApplicationError) as caught:
        services.routing_confirm(item=item, chosen=list(proposals), actor=f.analyst())
    assert caught.value.code == "routing_changed"
    assert not Notice.objects.exists() and not RoutingDecision.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="routing.").exists()


def test_a_notice_that_cannot_be_made_refuses_everything_with_the_reason(monkeypatch):
    isp = f.receiver(asns=(55836,))
    item = f.item("isp.example.in", imminent=True)
    f.trace(item)
    f.assess(item)
    chosen = [f"law_enforcement:case:{item.case_id}", f"takedown_notice:partner:{isp.pk}"]

    def refuse(**kwargs):
        raise ApplicationError("invalid_notice", "The notice is not valid.", {"partner": ["x"]})

    monkeypatch.setattr("tellsafe.routing.rules.destinations.base.notice_create", refuse)
    with pytest.raises(ApplicationError) as caught:
        services.routing_confirm(item=item, chosen=chosen, actor=f.analyst())
    assert caught.value.code == "invalid_notice"
    assert "Nothing was done" in caught.value.message and caught.value.fields["partner"] == ["x"]
    assert not Approval.objects.exists()  # made first, then undone


@pytest.mark.parametrize(
    "chosen, code",
    [
        ([], "nothing_chosen"),
        ("takedown", "invalid_choice"),
        ([3], "invalid_choice"),
        (["x" * 101], "invalid_choice"),
        (["nope:none"], "routing_changed"),
    ],
)
def test_bad_choices_are_refused(chosen, code):
    item = f.item()
    with pytest.raises(ApplicationError) as caught:
        services.routing_confirm(item=item, chosen=chosen, actor=f.analyst())
    assert caught.value.code == code


# --- assessments ----------------------------------------------------------------------


def test_an_assessment_is_checked_field_by_field_and_audited():
    item = f.item()
    with pytest.raises(ApplicationError) as caught:
        services.assessment_record(
            item=item,
            category="nope",
            legal_status="illegal",
            age_band="9_12",
            gender="x",
            flags=["ai_generated", "made_up"],
            actor=f.analyst(),
        )
    assert caught.value.code == "invalid_assessment"
    assert set(caught.value.fields) == {"category", "legal_status", "age_band", "gender", "flags"}
    assert not Assessment.objects.exists()
    made = f.assess(
        item, "national", age_band="pubescent", flags=["self_generated", "ai_generated"]
    )
    assert made.flags == ["ai_generated", "self_generated"]
    event = AuditEvent.objects.get(action="content.assess")
    assert event.object_id == str(item.case_id)
    assert event.data["item"] == item.pk and event.data["legal_status"] == "national"


def test_an_assessment_speaks_the_exchange_formats_terms():
    from tellsafe.taxonomy.selectors import active_codes

    made = f.assess(f.item(), "national", age_band="pubescent", flags=["virtual"])
    exported = made.as_exchange()
    assert (exported.category, exported.legal_basis, exported.visual_age) == (
        "csam",
        "national",
        "pubescent",
    )
    assert exported.flags == frozenset({"virtual"})
    assert exported.problems(active_codes()) == {}
