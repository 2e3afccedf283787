"""``interpol_forward``: forward to INTERPOL (for ICSE), where content is hosted in a
country with no hotline and the operator chose it in ``ROUTING_NO_HOTLINE_DESTINATIONS``.

The forward is a notice to the partner named by ``ROUTING_INTERPOL_PARTNER`` (default
"INTERPOL"), usually the national central bureau that relays it.
"""

from __future__ import annotations

from tellsafe.routing.rules.destinations.forward import NamedPartnerForward


class InterpolForward(NamedPartnerForward):
    name = "interpol_forward"
    label = "Forward to INTERPOL"
    description = "A forward notice to INTERPOL (the partner named by ROUTING_INTERPOL_PARTNER)."
    which = "interpol"
