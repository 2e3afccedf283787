"""``hotline_forward``: forward the report to the hotline of the hosting country.

Every active hotline the directory lists for the trace's country is proposed; one that
is linked to a partner gets a forward notice, one that is not must be sent by hand on
its website (INHOPE's ICCAM needs membership: until then a forward is "non-ICCAM").
Parameter ``inhope_only`` (true/false): propose only INHOPE members.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tellsafe.cases.models import ContentItem
from tellsafe.routing.notices.models import NoticeKind
from tellsafe.routing.rules.destinations.base import (
    Destination,
    make_notice,
    notice_proposal,
    param,
    why,
)
from tellsafe.routing.rules.facts import Proposal, RoutingContext, RuleFacts


class HotlineForward(Destination):
    name = "hotline_forward"
    label = "Forward to the hotline of the hosting country"
    description = "A forward notice to the hotline the directory lists for the country."
    params = {"inhope_only": (bool, "Only INHOPE member hotlines.")}

    def propose(self, ctx: RoutingContext, rule: RuleFacts, hosting: str) -> list[Proposal]:
        country = ctx.trace.country if ctx.trace is not None else ""
        inhope_only = param(rule, "inhope_only", bool, False)
        hotlines = [
            h
            for h in ctx.hotlines
            if country and h.country == country and (h.inhope_member or not inhope_only)
        ]
        if not hotlines:
            return [
                Proposal(
                    key=f"{self.name}:none",
                    plugin=self.name,
                    label=self.label,
                    target_kind="none",
                    target_id=None,
                    target_name=f"a hotline in {country or 'the hosting country'}",
                    why=why(rule),
                    can_confirm=False,
                    problem="The directory lists no active hotline for "
                    f"{country or 'an unknown country'}.",
                    rule_ids=(rule.id,) if rule.id is not None else (),
                    rule_names=(rule.name,) if rule.name else (),
                )
            ]
        proposals = []
        for hotline in hotlines:
            website = f" Its website: {hotline.website}" if hotline.website else ""
            proposals.append(
                notice_proposal(
                    self,
                    ctx,
                    rule,
                    partner=hotline.partner,
                    kind=NoticeKind.FORWARD,
                    missing=(
                        "This hotline is not linked to a partner: forward the report by hand "
                        "and record it as forwarded (non-ICCAM)." + website
                    ),
                    target_name=f"{hotline.name} ({hotline.country})",
                    none_key=f"hotline:{hotline.id}",
                )
            )
        return proposals

    def carry_out(
        self,
        *,
        item: ContentItem,
        proposal: Proposal,
        ctx: RoutingContext,
        actor: Any,
        now: datetime,
    ) -> dict[str, Any]:
        return make_notice(item=item, proposal=proposal, ctx=ctx, actor=actor, now=now)
