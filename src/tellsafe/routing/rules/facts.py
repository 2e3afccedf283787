"""The plain data routing decides on, and what it proposes.

``selectors.routing_context`` reads a ``RoutingContext`` from the database (the item's
latest assessment and trace, the rules, the hotline directory, the police hold, the
partners that could receive it); ``engine.evaluate`` turns it into ``Proposal`` s without
any further query, so the decision is a pure function of what is written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class PartnerFacts:
    """A partner that could receive a notice. ``notice_problem`` says why a notice to it
    cannot be made now ("" when it can)."""

    id: int
    name: str
    kind: str
    country: str = ""
    active: bool = True
    notice_problem: str = ""


@dataclass(frozen=True)
class HotlineFacts:
    id: int
    country: str
    name: str
    website: str = ""
    inhope_member: bool = True
    partner: PartnerFacts | None = None


@dataclass(frozen=True)
class TraceFacts:
    """The item's latest hosting trace. ``country`` is set when every address agrees;
    ``contact_*`` is the abuse contact the trace found (any source)."""

    outcome: str
    country: str = ""
    countries: tuple[str, ...] = ()
    asn: int | None = None
    org: str = ""
    behind_cdn: bool = False
    cdn: str = ""
    cdn_name: str = ""
    traced_at: datetime | None = None
    contact_source: str = ""
    contact_email: str = ""
    contact_name: str = ""


@dataclass(frozen=True)
class AssessmentFacts:
    category: str
    legal_status: str
    age_band: str = "not_determined"
    flags: frozenset[str] = frozenset()
    id: int | None = None


@dataclass(frozen=True)
class RuleFacts:
    """A routing rule as the engine sees it (see ``models.RoutingRule``)."""

    name: str
    destination: str
    id: int | None = None
    position: int = 0
    legal_statuses: tuple[str, ...] = ()
    hosting: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    imminent_danger: str = "any"
    params: Mapping[str, Any] = field(default_factory=dict)

    def matches(
        self, *, hosting: str, assessment: AssessmentFacts | None, imminent_danger: bool
    ) -> bool:
        """Every condition the rule sets holds. A condition on the assessment never
        holds for an item not yet assessed."""
        if self.imminent_danger == "yes" and not imminent_danger:
            return False
        if self.imminent_danger == "no" and imminent_danger:
            return False
        if self.imminent_danger not in ("yes", "no", "any"):
            return False  # a broken rule matches nothing rather than everything
        if self.hosting and hosting not in self.hosting:
            return False
        if not (self.legal_statuses or self.flags or self.categories):
            return True
        if assessment is None:
            return False
        if self.legal_statuses and assessment.legal_status not in self.legal_statuses:
            return False
        if self.flags and not assessment.flags & set(self.flags):
            return False
        return not (self.categories and assessment.category not in self.categories)


@dataclass(frozen=True)
class OpenNotice:
    """A notice about the item that is not closed: another to the same partner and of
    the same kind would be refused."""

    partner_id: int
    kind: str
    reference: str
    status: str


@dataclass(frozen=True)
class PoliceApproval:
    """The case's request to forward to law enforcement, pending or approved."""

    id: int
    state: str


@dataclass(frozen=True)
class RoutingContext:
    """Everything routing decides on for one content item."""

    item_id: int
    case_id: int
    item_kind: str
    imminent_danger: bool
    home_country: str
    assessment: AssessmentFacts | None = None
    trace: TraceFacts | None = None
    # Why no notice can carry this item ("" when one can): a URL removed by retention,
    # a media item not hashed yet.
    item_problem: str = ""
    # The active hotlines of the trace's country.
    hotlines: tuple[HotlineFacts, ...] = ()
    # The partner the trace's abuse contact names (the host, or the CDN).
    contact_partner: PartnerFacts | None = None
    # Partners named by setting or rule parameter, by lower-cased name (None: none).
    named_partners: Mapping[str, PartnerFacts | None] = field(default_factory=dict)
    # The partner names the settings give ("ncmec" -> "NCMEC", "interpol" -> "INTERPOL").
    partner_names: Mapping[str, str] = field(
        default_factory=lambda: {"ncmec": "NCMEC", "interpol": "INTERPOL"}
    )
    no_hotline_destinations: tuple[str, ...] = ("ncmec",)
    # Why NCMEC's CyberTipline transport (routing.exchange) cannot be used ("" if it can).
    ncmec_transport_problem: str = ""
    hold_agency: str = ""  # the agency of the case's active police hold; "": none
    open_notices: tuple[OpenNotice, ...] = ()
    police_approval: PoliceApproval | None = None
    rules: tuple[RuleFacts, ...] = ()

    @property
    def held(self) -> bool:
        return bool(self.hold_agency)

    def open_notice(self, partner_id: int, kind: str) -> OpenNotice | None:
        return next(
            (n for n in self.open_notices if n.partner_id == partner_id and n.kind == kind),
            None,
        )


@dataclass(frozen=True)
class Proposal:
    """One destination the rules propose for an item. ``key`` names it in forms and in
    the person's choice; ``why`` says which rules proposed it; ``problem`` says why it
    cannot be confirmed (``can_confirm`` is then False). ``held``: a notice made from it
    now would be held for the police. ``suggested``: ticked on the form by default."""

    key: str
    plugin: str
    label: str
    target_kind: str  # partner, case or none
    target_id: int | None
    target_name: str
    why: str
    can_confirm: bool
    problem: str = ""
    notice_kind: str = ""  # takedown or forward for notices; "" otherwise
    rule_ids: tuple[int, ...] = ()
    rule_names: tuple[str, ...] = ()
    held: bool = False
    suggested: bool = False
    note: str = ""  # what a person should know (e.g. a website to forward by hand)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rule_ids"] = list(self.rule_ids)
        data["rule_names"] = list(self.rule_names)
        return data
