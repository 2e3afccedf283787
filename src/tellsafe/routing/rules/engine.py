"""The rule engine: where an item should go. It proposes; a person confirms
(``services.routing_confirm``).

``classify`` places the item's hosting (domestic, abroad with or without a hotline,
behind a CDN, unknown) from its latest trace. ``evaluate`` runs every active rule whose
conditions hold through its destination plugin and merges what they propose: one
proposal per destination and target, naming every rule that asked for it. A child in
danger now always gets the law-enforcement proposal, whatever the rules say. Both are
pure functions of a ``RoutingContext``; ``propose`` reads one from the database first.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from tellsafe.cases.models import ContentItem
from tellsafe.routing.rules.destinations import registry
from tellsafe.routing.rules.facts import Proposal, RoutingContext, RuleFacts, TraceFacts
from tellsafe.routing.rules.models import Hosting

log = logging.getLogger(__name__)

_COUNTRY = re.compile(r"[A-Z]{2}")
BUILT_IN_DANGER = RuleFacts(
    name="Built in: the child is in danger now", destination="law_enforcement"
)


def classify(trace: TraceFacts | None, *, home_country: str, hotline_countries: set[str]) -> str:
    """Where the traced item is hosted, as a ``Hosting`` value.

    Unknown without a trace that found hosting in one country; behind a CDN when the
    trace says so (the edge's country says nothing of the origin's); domestic at home;
    else abroad, with or without an active hotline in the directory for that country."""
    if trace is None or trace.outcome != "ok":
        return Hosting.UNKNOWN
    if trace.behind_cdn:
        return Hosting.BEHIND_CDN
    country = trace.country if isinstance(trace.country, str) else ""
    if not _COUNTRY.fullmatch(country):
        return Hosting.UNKNOWN  # not located, or split between countries
    if home_country and country == home_country:
        return Hosting.DOMESTIC
    if country in hotline_countries:
        return Hosting.FOREIGN_WITH_HOTLINE
    return Hosting.FOREIGN_WITHOUT_HOTLINE


def hosting_of(ctx: RoutingContext) -> str:
    return classify(
        ctx.trace,
        home_country=ctx.home_country,
        hotline_countries={h.country for h in ctx.hotlines},
    )


def _unknown_destination(ctx: RoutingContext, rule: RuleFacts) -> Proposal:
    name = str(rule.destination)[:32]
    return Proposal(
        key=f"unknown:{rule.id if rule.id is not None else name}",
        plugin=name,
        label=f"Unknown destination {name!r}",
        target_kind="none",
        target_id=None,
        target_name="",
        why=f"Rule “{rule.name}”.",
        can_confirm=False,
        problem="This rule names a destination that does not exist: an administrator "
        "must correct it.",
        rule_ids=(rule.id,) if rule.id is not None else (),
        rule_names=(rule.name,),
    )


def _merge(found: dict[str, Proposal], proposal: Proposal) -> None:
    earlier = found.get(proposal.key)
    if earlier is None:
        found[proposal.key] = proposal
        return
    ids = earlier.rule_ids + tuple(i for i in proposal.rule_ids if i not in earlier.rule_ids)
    names = earlier.rule_names + tuple(
        n for n in proposal.rule_names if n not in earlier.rule_names
    )
    found[proposal.key] = replace(
        earlier,
        rule_ids=ids,
        rule_names=names,
        why=" ".join(f"Rule “{n}”." for n in names) if names else earlier.why,
    )


def evaluate(ctx: RoutingContext) -> list[Proposal]:
    """The proposals for the item of ``ctx``, in rule order (see the module
    docstring). Pure, and never raises: a plugin that fails on a rule is logged and
    that rule proposes a destination that cannot be confirmed."""
    hosting = hosting_of(ctx)
    plugins = registry()
    found: dict[str, Proposal] = {}
    rules = sorted(
        ctx.rules, key=lambda r: (r.position if isinstance(r.position, int) else 0, r.id or 0)
    )
    for rule in rules:
        if not rule.matches(
            hosting=hosting, assessment=ctx.assessment, imminent_danger=ctx.imminent_danger
        ):
            continue
        plugin = plugins.get(rule.destination) if isinstance(rule.destination, str) else None
        if plugin is None:
            _merge(found, _unknown_destination(ctx, rule))
            continue
        try:
            proposals = plugin.propose(ctx, rule, hosting)
        except Exception:
            # A bug in one plugin must not hide the other destinations from the person.
            log.exception(
                "routing plugin failed", extra={"code": plugin.name, "case_id": ctx.case_id}
            )
            proposals = [
                replace(
                    _unknown_destination(ctx, rule),
                    key=f"{plugin.name}:error",
                    plugin=plugin.name,
                    label=plugin.label,
                    problem="This destination failed to propose; the error is logged.",
                )
            ]
        for proposal in proposals:
            _merge(found, proposal)
    if ctx.imminent_danger and not any(p.plugin == "law_enforcement" for p in found.values()):
        for proposal in plugins["law_enforcement"].propose(ctx, BUILT_IN_DANGER, hosting):
            _merge(found, replace(proposal, why="Built in: the child is in danger now."))
    return _suggest(list(found.values()))


def _suggest(proposals: list[Proposal]) -> list[Proposal]:
    """Tick the confirmable proposals, but only the first of one plugin's alternatives
    (a country with three hotlines needs one forward, not three)."""
    seen: set[str] = set()
    out = []
    for proposal in proposals:
        suggested = proposal.can_confirm and proposal.plugin not in seen
        if proposal.can_confirm:
            seen.add(proposal.plugin)
        out.append(replace(proposal, suggested=suggested))
    return out


def propose(item: ContentItem) -> list[Proposal]:
    """The proposals for ``item`` now: its context read from the database, then
    ``evaluate``."""
    from tellsafe.routing.rules.selectors import routing_context

    return evaluate(routing_context(item=item))


__all__ = ["classify", "evaluate", "hosting_of", "propose"]
