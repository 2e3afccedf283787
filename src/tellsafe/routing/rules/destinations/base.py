"""The base of routing destination plugins, and what notice-making plugins share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tellsafe.cases.models import ContentItem
from tellsafe.core.errors import ApplicationError
from tellsafe.partners.models import Partner
from tellsafe.routing.notices.models import NoticeKind
from tellsafe.routing.notices.services import RECEIVERS, notice_create
from tellsafe.routing.rules.facts import PartnerFacts, Proposal, RoutingContext, RuleFacts


class Destination:
    """Base class of routing destination plugins. A plugin has a stable ``name`` (rules
    store it) and a ``label`` for people. ``propose`` is pure: it reads only the
    ``RoutingContext`` and never raises for any context; ``carry_out`` does what a
    person confirmed, inside ``services.routing_confirm``'s transaction, and raises
    ``ApplicationError`` to undo the whole confirmation."""

    name = ""
    label = ""
    description = ""
    # The rule parameters this plugin takes: name -> (type, what it means).
    params: dict[str, tuple[type, str]] = {}

    def param_errors(self, params: Any) -> dict[str, list[str]]:
        """Problems with a rule's ``params`` for this plugin, by field; empty if none."""
        if not isinstance(params, dict):
            return {"params": ["Must be a JSON object."]}
        problems: list[str] = []
        for key, value in params.items():
            if key not in self.params:
                known = ", ".join(sorted(self.params)) or "none"
                problems.append(f"Unknown parameter {str(key)[:40]!r} (this one takes: {known}).")
                continue
            kind, _meaning = self.params[key]
            if kind is bool and not isinstance(value, bool):
                problems.append(f"{key} must be true or false.")
            elif kind is str and (not isinstance(value, str) or not 0 < len(value.strip()) <= 200):
                problems.append(f"{key} must be text of 1 to 200 characters.")
        return {"params": problems} if problems else {}

    def propose(self, ctx: RoutingContext, rule: RuleFacts, hosting: str) -> list[Proposal]:
        """The proposals of ``rule`` for the item of ``ctx`` hosted as ``hosting``."""
        raise NotImplementedError

    def carry_out(
        self,
        *,
        item: ContentItem,
        proposal: Proposal,
        ctx: RoutingContext,
        actor: Any,
        now: datetime,
    ) -> dict[str, Any]:
        """Do what the person confirmed; returns ids and codes for the decision's
        ``results`` and the audit log (never content)."""
        raise NotImplementedError


def param(rule: RuleFacts, name: str, kind: type, default: Any) -> Any:
    """A rule parameter of the right type, else ``default`` (rules are checked when
    saved, but a rule written some other way must not break routing)."""
    params = rule.params if isinstance(rule.params, dict) else {}
    value = params.get(name, default)
    return value if isinstance(value, kind) else default


def why(rule: RuleFacts) -> str:
    return f"Rule “{rule.name}”." if rule.name else "Built in."


def notice_problem(
    ctx: RoutingContext, partner: PartnerFacts | None, kind: str, missing: str
) -> str:
    """Why a ``kind`` notice to ``partner`` about this item cannot be made now ("" when
    it can); ``missing`` is the reason when there is no partner."""
    if ctx.assessment is None:
        return "Assess the item first: a notice states its category and legal basis."
    if ctx.item_problem:
        return ctx.item_problem
    if partner is None:
        return missing
    if not partner.active:
        return f"The partner {partner.name} is inactive."
    if partner.kind not in RECEIVERS.get(NoticeKind(kind), set()):
        return f"A partner of kind {partner.kind} cannot receive a {kind} notice."
    if partner.notice_problem:
        return partner.notice_problem
    earlier = ctx.open_notice(partner.id, kind)
    if earlier is not None:
        return f"Already done: notice {earlier.reference} is {earlier.status}."
    return ""


def notice_proposal(
    plugin: Destination,
    ctx: RoutingContext,
    rule: RuleFacts,
    *,
    partner: PartnerFacts | None,
    kind: str,
    missing: str,
    target_name: str = "",
    note: str = "",
    none_key: str = "none",
) -> Proposal:
    """A proposal to send a ``kind`` notice to ``partner`` (or, with no partner, a
    proposal that says so and cannot be confirmed)."""
    problem = notice_problem(ctx, partner, kind, missing)
    if partner is not None:
        key = f"{plugin.name}:partner:{partner.id}"
        name = target_name or partner.name
    else:
        key = f"{plugin.name}:{none_key}"
        name = target_name or "nobody found"
    if ctx.held and not problem:
        note = (note + " " if note else "") + (
            f"The case is on police hold ({ctx.hold_agency}): the notice waits until the "
            "hold is released."
        )
    return Proposal(
        key=key,
        plugin=plugin.name,
        label=plugin.label,
        target_kind="partner" if partner is not None else "none",
        target_id=partner.id if partner is not None else None,
        target_name=name,
        why=why(rule),
        can_confirm=not problem,
        problem=problem,
        notice_kind=kind,
        rule_ids=(rule.id,) if rule.id is not None else (),
        rule_names=(rule.name,) if rule.name else (),
        held=ctx.held,
        note=note,
    )


def make_notice(
    *,
    item: ContentItem,
    proposal: Proposal,
    ctx: RoutingContext,
    actor: Any,
    now: datetime,
) -> dict[str, Any]:
    """Create the notice a confirmed notice proposal asks for (held while the case is
    on police hold)."""
    partner = (
        Partner.objects.filter(pk=proposal.target_id).first()
        if proposal.target_id is not None
        else None
    )
    if partner is None or ctx.assessment is None:
        raise ApplicationError(
            "routing_changed", "The proposal changed; look at the item again.", status=409
        )
    notice = notice_create(
        item=item,
        partner=partner,
        kind=proposal.notice_kind,
        category=ctx.assessment.category,
        legal_basis=ctx.assessment.legal_status,
        actor=actor,
        hold=ctx.held,
        now=now,
    )
    return {
        "key": proposal.key,
        "notice": notice.pk,
        "reference": notice.reference,
        "partner": partner.pk,
        "status": notice.status,
    }
