"""Reads of routing: an item's latest assessment, the context the engine decides on,
and the routing panel the case page shows per content item.

Items reach these functions only from a case opened through ``cases.access`` (the case
page and the routing views), never by a bare id.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from tellsafe.cases.models import Approval, ContentItem
from tellsafe.core.errors import ApplicationError
from tellsafe.partners.lookup import partner_abuse_contact
from tellsafe.partners.models import Partner
from tellsafe.routing.contacts import AbuseQuery
from tellsafe.routing.models import HostingTrace
from tellsafe.routing.notices import payload, transports
from tellsafe.routing.notices.models import (
    LegalBasis,
    Notice,
    NoticeStatus,
    PartnerNoticeSettings,
)
from tellsafe.routing.rules import config
from tellsafe.routing.rules.facts import (
    AssessmentFacts,
    HotlineFacts,
    OpenNotice,
    PartnerFacts,
    PoliceApproval,
    Proposal,
    RoutingContext,
    RuleFacts,
    TraceFacts,
)
from tellsafe.routing.rules.models import (
    AGE_CHOICES,
    FLAG_CHOICES,
    GENDER_CHOICES,
    Assessment,
    Hosting,
    Hotline,
    PoliceHold,
    RoutingDecision,
    RoutingRule,
)
from tellsafe.routing.selectors import hosting_change, latest_trace
from tellsafe.taxonomy.selectors import categories

log = logging.getLogger(__name__)


def latest_assessment(*, item: ContentItem) -> Assessment | None:
    """The item's newest assessment (index assessment_item_latest_idx)."""
    return (
        Assessment.objects.filter(content_item=item)
        .select_related("assessed_by")
        .order_by("-assessed_at", "-id")
        .first()
    )


def latest_decision(*, item: ContentItem) -> RoutingDecision | None:
    """The item's newest routing decision (index routingdecision_item_idx)."""
    return (
        RoutingDecision.objects.filter(content_item=item)
        .select_related("actor")
        .order_by("-decided_at", "-id")
        .first()
    )


def active_hold(*, case_id: int) -> PoliceHold | None:
    """The case's police hold that is not released (index of the one-active constraint)."""
    return PoliceHold.objects.filter(case_id=case_id, released_at__isnull=True).first()


def rules() -> list[RoutingRule]:
    """Every rule, active or not, in order (the settings page)."""
    return list(RoutingRule.objects.all())


def hotlines() -> list[Hotline]:
    """The whole directory with its partners, by country (the settings page)."""
    return list(Hotline.objects.select_related("partner").order_by("country", "name"))


# --- the routing context ---------------------------------------------------------------


def _strings(value: Any) -> tuple[str, ...]:
    """A JSON list of strings as a tuple; anything else as empty (rules saved through
    ``services.rule_save`` are always lists, but the engine must not trust that)."""
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def rule_facts(rule: RoutingRule) -> RuleFacts | None:
    """The rule as the engine sees it; None for a row that is not well formed (written
    other than through ``services.rule_save``): it proposes nothing rather than
    matching more than it says."""
    lists = (rule.legal_statuses, rule.hosting, rule.flags, rule.categories)
    if not all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in lists) or (
        not isinstance(rule.params, dict)
    ):
        log.warning(
            "malformed routing rule skipped",
            extra={"event": "routing.bad_rule", "code": str(rule.pk)},
        )
        return None
    return RuleFacts(
        id=rule.pk,
        position=rule.position,
        name=rule.name,
        legal_statuses=_strings(rule.legal_statuses),
        hosting=_strings(rule.hosting),
        flags=_strings(rule.flags),
        categories=_strings(rule.categories),
        imminent_danger=rule.imminent_danger,
        destination=rule.destination,
        params=rule.params if isinstance(rule.params, dict) else {},
    )


def assessment_facts(assessment: Assessment) -> AssessmentFacts:
    return AssessmentFacts(
        id=assessment.pk,
        category=assessment.category,
        legal_status=assessment.legal_status,
        age_band=assessment.age_band,
        flags=frozenset(_strings(assessment.flags)),
    )


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any, kind: type) -> tuple[Any, ...]:
    """The items of a JSON list that are of ``kind`` (never bools for int)."""
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, kind) and not isinstance(v, bool))


def _countries(data: dict[str, Any]) -> tuple[str, ...]:
    value = data.get("hosting_country")
    return _list(value, str) if isinstance(value, list) else _list([value], str)


def trace_facts(trace: HostingTrace) -> TraceFacts:
    data = _dict(trace.data)
    contact = _dict(data.get("abuse_contact"))
    return TraceFacts(
        outcome=trace.outcome,
        country=trace.country,
        countries=_countries(data),
        asn=trace.asn,
        org=trace.org,
        behind_cdn=trace.behind_cdn,
        cdn=trace.cdn,
        cdn_name=str(data.get("cdn_name") or trace.cdn),
        traced_at=trace.traced_at,
        contact_source=str(contact.get("source") or ""),
        contact_email=str(contact.get("email") or ""),
        contact_name=str(contact.get("name") or ""),
    )


def _notice_problems(partners: list[Partner]) -> dict[int, str]:
    """Why a notice to each partner could not be made now, by partner id ("" if it
    can), as ``notices.services.notice_create`` would find. One query for all."""
    configs = {c.partner_id: c for c in PartnerNoticeSettings.objects.filter(partner__in=partners)}
    found: dict[int, str] = {}
    for partner in partners:
        config_row = configs.get(partner.pk)
        if config_row is None:
            found[partner.pk] = (
                f"{partner.name} has no notice settings yet: an administrator sets how it "
                "receives notices."
            )
            continue
        plugin = transports.registry().get(config_row.transport)
        if plugin is None:
            found[partner.pk] = f"{partner.name}'s notice transport is unknown."
        elif plugin.configuration_errors(config_row):
            found[partner.pk] = f"{partner.name}'s notice settings are incomplete."
        else:
            found[partner.pk] = ""
    return found


def _partner_facts(partner: Partner, problems: dict[int, str]) -> PartnerFacts:
    return PartnerFacts(
        id=partner.pk,
        name=partner.name,
        kind=partner.kind,
        country=partner.country,
        active=partner.active,
        notice_problem=problems.get(partner.pk, ""),
    )


def _contact_partner(trace: HostingTrace | None) -> Partner | None:
    """The partner the trace's abuse contact names; else one whose networks or domains
    match the trace now (a partner registered after the trace is found without tracing
    again). None without a trace that found hosting."""
    if trace is None or trace.outcome != HostingTrace.Outcome.OK:
        return None
    data = _dict(trace.data)
    contact = _dict(data.get("abuse_contact"))
    partner_id = contact.get("partner_id") if contact.get("source") == "partner" else None
    if isinstance(partner_id, int) and not isinstance(partner_id, bool):
        partner = Partner.objects.filter(pk=partner_id, active=True).first()
        if partner is not None:
            return partner
    found = partner_abuse_contact(
        AbuseQuery(
            host=trace.host,
            cname_chain=_list(data.get("cname_chain"), str),
            asns=_list(data.get("asns"), int) or ((trace.asn,) if trace.asn else ()),
            countries=_countries(data),
            cdn=trace.cdn,
        )
    )
    if found is None or found.partner_id is None:
        return None
    return Partner.objects.filter(pk=found.partner_id).first()


def _item_problem(item: ContentItem) -> str:
    if item.kind == ContentItem.Kind.URL and not item.url:
        return "This link was removed by retention: no notice can carry it."
    if item.kind == ContentItem.Kind.MEDIA and not payload.content_key(item):
        return "This media item has no hash yet: no notice can carry it."
    return ""


def _ncmec_transport_problem() -> str:
    from tellsafe.routing.exchange.ncmec_transport import NcmecConfig

    try:
        NcmecConfig.from_settings()
    except ApplicationError as exc:
        return "set " + ", ".join(sorted(exc.fields)) + "."
    return ""


def routing_context(*, item: ContentItem) -> RoutingContext:
    """Everything ``engine.evaluate`` needs for ``item``, read now. A few queries, the
    same number whatever the number of rules, hotlines and partners."""
    return _read(item)[0]


def _read(
    item: ContentItem,
) -> tuple[RoutingContext, HostingTrace | None, Assessment | None, PoliceHold | None]:
    case = item.case
    trace = latest_trace(item=item)
    assessment = latest_assessment(item=item)
    rule_rows = list(RoutingRule.objects.filter(active=True))
    destinations = {r.destination for r in rule_rows}
    trace_country = trace.country if trace is not None else ""
    hotline_rows = (
        list(Hotline.objects.filter(country=trace_country, active=True).select_related("partner"))
        if trace_country
        else []
    )
    contact = _contact_partner(trace)
    partner_names = {which: config.partner_name(which) for which in config.NO_HOTLINE_CHOICES}
    wanted = set()
    for rule in rule_rows:
        if rule.destination in ("ncmec_forward", "interpol_forward"):
            which = "ncmec" if rule.destination == "ncmec_forward" else "interpol"
            given = rule.params.get("partner") if isinstance(rule.params, dict) else None
            name = given if isinstance(given, str) and given.strip() else partner_names[which]
            wanted.add(" ".join(name.split()).lower())
    named_rows: dict[str, Partner] = {}
    if wanted:
        query = Q()
        for name in wanted:
            query |= Q(name__iexact=name)
        named_rows = {p.name.lower(): p for p in Partner.objects.filter(query)}
    partners = [h.partner for h in hotline_rows if h.partner is not None]
    partners += list(named_rows.values()) + ([contact] if contact is not None else [])
    problems = _notice_problems(partners) if partners else {}
    police: PoliceApproval | None = None
    if case.imminent_danger or "law_enforcement" in destinations:
        approval = (
            Approval.objects.filter(
                case=case,
                kind=Approval.Kind.FORWARD_POLICE,
                state__in=[Approval.State.PENDING, Approval.State.APPROVED],
            )
            .order_by("-requested_at", "-id")
            .first()
        )
        if approval is not None:
            police = PoliceApproval(id=approval.pk, state=approval.state)
    hold = active_hold(case_id=case.pk)
    open_notices = Notice.objects.filter(content_item=item, closed_at__isnull=True).exclude(
        status=NoticeStatus.CLOSED
    )
    ctx = RoutingContext(
        item_id=item.pk,
        case_id=case.pk,
        item_kind=item.kind,
        imminent_danger=case.imminent_danger,
        home_country=config.home_country(),
        assessment=assessment_facts(assessment) if assessment is not None else None,
        trace=trace_facts(trace) if trace is not None else None,
        item_problem=_item_problem(item),
        hotlines=tuple(
            HotlineFacts(
                id=h.pk,
                country=h.country,
                name=h.name,
                website=h.website,
                inhope_member=h.inhope_member,
                partner=_partner_facts(h.partner, problems) if h.partner is not None else None,
            )
            for h in hotline_rows
        ),
        contact_partner=_partner_facts(contact, problems) if contact is not None else None,
        named_partners={
            name: (_partner_facts(named_rows[name], problems) if name in named_rows else None)
            for name in wanted
        },
        partner_names=partner_names,
        no_hotline_destinations=config.no_hotline_destinations(),
        ncmec_transport_problem=(
            _ncmec_transport_problem() if "ncmec_forward" in destinations else ""
        ),
        hold_agency=hold.agency if hold is not None else "",
        open_notices=tuple(
            OpenNotice(partner_id=n.partner_id, kind=n.kind, reference=n.reference, status=n.status)
            for n in open_notices.only("partner_id", "kind", "reference", "status")
        ),
        police_approval=police,
        rules=tuple(facts for facts in map(rule_facts, rule_rows) if facts is not None),
    )
    return ctx, trace, assessment, hold


# --- the case page's panel ------------------------------------------------------------


@dataclass
class ItemPanel:
    """What the case page shows of one content item's routing."""

    item: ContentItem
    hosting: str = Hosting.UNKNOWN
    hosting_label: str = ""
    trace: HostingTrace | None = None
    assessment: Assessment | None = None
    proposals: list[Proposal] = field(default_factory=list)
    decision: RoutingDecision | None = None
    notices: list[Notice] = field(default_factory=list)
    hold: PoliceHold | None = None
    categories: list[tuple[str, str]] = field(default_factory=list)  # for the form
    moved: Any = None  # routing.selectors.HostingChange when the hosting moved
    error: str = ""
    legal_choices = LegalBasis.choices
    age_choices = AGE_CHOICES
    gender_choices = GENDER_CHOICES
    flag_choices = FLAG_CHOICES

    @property
    def confirmable(self) -> bool:
        return any(p.can_confirm for p in self.proposals)


def item_panel(*, item: ContentItem) -> ItemPanel:
    """The routing panel of ``item``. Never raises: the case page must open even when
    routing cannot be worked out (the problem is logged and shown in words)."""
    from tellsafe.routing.rules import engine

    panel = ItemPanel(item=item)
    try:
        ctx, panel.trace, panel.assessment, panel.hold = _read(item)
        panel.hosting = engine.hosting_of(ctx)
        panel.hosting_label = Hosting(panel.hosting).label
        panel.proposals = engine.evaluate(ctx)
        panel.decision = latest_decision(item=item)
        panel.moved = hosting_change(item=item)
        panel.notices = list(
            Notice.objects.filter(content_item=item)
            .select_related("partner")
            .order_by("-created_at", "-id")[:20]
        )
        panel.categories = [(c.code, c.names.get("en", c.code)) for c in categories()]
    except Exception:
        log.exception("routing panel failed", extra={"case_id": item.case_id})
        panel.error = "Routing could not be worked out for this item; the error is logged."
    return panel


__all__ = [
    "ItemPanel",
    "active_hold",
    "hotlines",
    "item_panel",
    "latest_assessment",
    "latest_decision",
    "routing_context",
    "rules",
]
