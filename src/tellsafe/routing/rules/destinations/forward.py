"""What ``ncmec_forward`` and ``interpol_forward`` share: a forward notice to a partner
known by name (a setting, or the rule's ``partner`` parameter).

For content hosted where no hotline works, ``ROUTING_NO_HOTLINE_DESTINATIONS`` says which
of the two are proposed; for any other hosting, a rule naming one always proposes it.
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
)
from tellsafe.routing.rules.facts import Proposal, RoutingContext, RuleFacts
from tellsafe.routing.rules.models import Hosting


class NamedPartnerForward(Destination):
    which = ""  # "ncmec" or "interpol": its key in the settings
    params = {"partner": (str, "The name of the partner that receives the forward.")}

    def partner_name(self, ctx: RoutingContext, rule: RuleFacts) -> str:
        default = ctx_default_name(ctx, self.which)
        return " ".join(str(param(rule, "partner", str, default)).split()) or default

    def missing(self, ctx: RoutingContext, name: str) -> str:
        return f"No active partner named {name} is registered to receive forwards."

    def propose(self, ctx: RoutingContext, rule: RuleFacts, hosting: str) -> list[Proposal]:
        if (
            hosting == Hosting.FOREIGN_WITHOUT_HOTLINE
            and self.which not in ctx.no_hotline_destinations
        ):
            return []  # the operator chose the other destination(s) for this case
        name = self.partner_name(ctx, rule)
        partner = ctx.named_partners.get(name.lower())
        return [
            notice_proposal(
                self,
                ctx,
                rule,
                partner=partner,
                kind=NoticeKind.FORWARD,
                missing=self.missing(ctx, name),
                target_name=partner.name if partner is not None else name,
            )
        ]

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


def ctx_default_name(ctx: RoutingContext, which: str) -> str:
    """The partner name the settings give for ``which`` (kept in the context so that
    proposing reads no settings)."""
    return str(ctx.partner_names.get(which, which.upper()))
