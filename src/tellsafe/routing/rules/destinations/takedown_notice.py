"""``takedown_notice``: ask the host to take the content down.

The target is the partner the item's hosting trace names as abuse contact: the host's
network or domain, or the CDN in front of it (the CDN is who can act, or tell us the
origin). With no such partner the proposal says who the IP registry lists, and cannot be
confirmed: a person writes by hand, or registers the host as a partner first.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tellsafe.cases.models import ContentItem
from tellsafe.routing.notices.models import NoticeKind
from tellsafe.routing.rules.destinations.base import Destination, make_notice, notice_proposal
from tellsafe.routing.rules.facts import Proposal, RoutingContext, RuleFacts


def _missing(ctx: RoutingContext) -> str:
    trace = ctx.trace
    if trace is None or trace.outcome != "ok":
        return "No usable hosting trace: trace the item first."
    if trace.contact_email and trace.contact_source != "partner":
        who = f" ({trace.contact_name})" if trace.contact_name else ""
        return (
            "The host is not a cooperating partner. The IP registry lists the abuse "
            f"mailbox {trace.contact_email}{who}: write to it by hand, or register the "
            "host as a partner with its networks."
        )
    return (
        "The trace found no cooperating partner and no abuse mailbox for this host: find "
        "the host's contact by hand, or register it as a partner with its networks."
    )


class TakedownNotice(Destination):
    name = "takedown_notice"
    label = "Takedown notice to the host"
    description = "A takedown notice to the partner the trace names (the host or its CDN)."

    def propose(self, ctx: RoutingContext, rule: RuleFacts, hosting: str) -> list[Proposal]:
        partner = ctx.contact_partner
        note = ""
        if partner is not None and ctx.trace is not None and ctx.trace.behind_cdn:
            note = "The content is behind a CDN: the notice asks the CDN to act."
        return [
            notice_proposal(
                self,
                ctx,
                rule,
                partner=partner,
                kind=NoticeKind.TAKEDOWN,
                missing=_missing(ctx),
                note=note,
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
