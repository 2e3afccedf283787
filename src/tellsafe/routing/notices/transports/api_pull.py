"""``api_pull``: nothing is pushed. The partner fetches its open notices with an API key
holding the ``notices`` scope (``GET /api/v1/notices?since=``) and answers each one
(``POST /api/v1/notices/{id}/response``). A notice counts as sent when it becomes
available to fetch, and as acknowledged when the partner first fetches it. Reminders
show in the listing's ``reminders_sent``; escalations still go by e-mail.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from tellsafe.routing.notices.transports import Delivery, Message, Transport

SCOPE = "notices"  # partners.models.Scope.NOTICES, named by its value


def has_usable_key(partner_id: int) -> bool:
    from tellsafe.partners.models import ApiKey

    now = timezone.now()
    keys = ApiKey.objects.filter(partner_id=partner_id, revoked_at__isnull=True).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now)
    )
    return any(SCOPE in (scopes or []) for scopes in keys.values_list("scopes", flat=True))


class ApiPullTransport(Transport):
    """The partner's system polls the API for its notices."""

    name = "api_pull"
    label = "API (the partner fetches)"

    def configuration_errors(self, config: Any) -> dict[str, list[str]]:
        if not has_usable_key(config.partner_id):
            return {"transport": [f'The partner needs an API key with the scope "{SCOPE}".']}
        return {}

    def deliver(self, config: Any, message: Message) -> Delivery:
        return Delivery(pulled=True)
