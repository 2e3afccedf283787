"""``law_enforcement``: ask to forward the case to the police. Always proposed when the
child is in danger now, whatever the rules say.

Confirming never sends anything: it asks a supervisor for approval (an ``Approval`` of
kind ``forward_police`` on the case), as everything that leaves the service for the
police does.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tellsafe.cases.models import Approval, ContentItem
from tellsafe.cases.services import approval_request
from tellsafe.core.errors import ApplicationError
from tellsafe.routing.rules.destinations.base import Destination, why
from tellsafe.routing.rules.facts import Proposal, RoutingContext, RuleFacts


class LawEnforcement(Destination):
    name = "law_enforcement"
    label = "Forward to law enforcement (needs a supervisor's approval)"
    description = "Asks a supervisor to approve forwarding the case to the police."

    def propose(self, ctx: RoutingContext, rule: RuleFacts, hosting: str) -> list[Proposal]:
        earlier = ctx.police_approval
        problem = f"Already asked: approval #{earlier.id} is {earlier.state}." if earlier else ""
        return [
            Proposal(
                key=f"{self.name}:case:{ctx.case_id}",
                plugin=self.name,
                label=self.label,
                target_kind="case",
                target_id=ctx.case_id,
                target_name="the police, after a supervisor approves",
                why=why(rule),
                can_confirm=not problem,
                problem=problem,
                rule_ids=(rule.id,) if rule.id is not None else (),
                rule_names=(rule.name,) if rule.name else (),
                note="Confirming asks a supervisor; nothing is sent before they approve.",
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
        if not hasattr(actor, "pk"):
            raise ApplicationError(
                "staff_only", "Only a staff member can ask for an approval.", status=403
            )
        reason = f"Routing of content item {item.pk}: {proposal.why}"
        if ctx.imminent_danger:
            reason += " The child is in danger now."
        approval = approval_request(
            case=item.case, kind=Approval.Kind.FORWARD_POLICE, reason=reason[:500], actor=actor
        )
        return {"key": proposal.key, "approval": approval.pk, "state": approval.state}
