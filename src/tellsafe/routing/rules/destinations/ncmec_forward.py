"""``ncmec_forward``: forward to NCMEC, the US clearinghouse (by default, where content
is hosted in a country with no hotline).

The forward is a notice to the partner named by ``ROUTING_NCMEC_PARTNER`` (default
"NCMEC"). With no such partner the proposal cannot be confirmed here, and says whether
the exchange's CyberTipline transport (``routing.exchange``, destination ``ncmec``) is
configured to file the case by that route instead.
"""

from __future__ import annotations

from tellsafe.routing.rules.destinations.forward import NamedPartnerForward
from tellsafe.routing.rules.facts import RoutingContext


class NcmecForward(NamedPartnerForward):
    name = "ncmec_forward"
    label = "Forward to NCMEC"
    description = "A forward notice to NCMEC (the partner named by ROUTING_NCMEC_PARTNER)."
    which = "ncmec"

    def missing(self, ctx: RoutingContext, name: str) -> str:
        base = super().missing(ctx, name)
        if ctx.ncmec_transport_problem:
            return f"{base} NCMEC's CyberTipline transport is not configured either: " + (
                ctx.ncmec_transport_problem
            )
        return (
            f"{base} NCMEC's CyberTipline transport is configured: file the case from the "
            "exchange (tellsafe exchange export CASE --format ncmec)."
        )
