"""Partners and API keys for tests, made through the services (so audited and validated
like real ones). Kept small and stable: other apps' API tests use them."""

from __future__ import annotations

import itertools
from typing import Any

from tellsafe.core.audit import Actor
from tellsafe.partners import services
from tellsafe.partners.models import ALL_SCOPES, ApiKey, Partner

_numbers = itertools.count(1)

# Fields a test may set on a key after it is made, bypassing the services' checks (an
# expiry in the past, a key already revoked or used).
_KEY_OVERRIDES = {"expires_at", "revoked_at", "last_used_at", "created_at", "created_by"}


def partner(**kw: Any) -> Partner:
    """An active ISP in India unless ``kw`` says otherwise; ``active=False`` for an
    inactive one."""
    active = kw.pop("active", True)
    made = services.partner_create(
        name=kw.pop("name", f"Partner {next(_numbers)}"),
        kind=kw.pop("kind", Partner.Kind.ISP),
        country=kw.pop("country", "IN"),
        actor=kw.pop("actor", Actor.system()),
    )
    if kw:
        raise TypeError(f"unknown partner fields: {', '.join(sorted(kw))}")
    if not active:
        Partner.objects.filter(pk=made.pk).update(active=False)
        made.active = False
    return made


_new_partner = partner  # api_key's argument shadows the name


def api_key(
    partner: Partner | None = None, scopes: Any = ALL_SCOPES, **kw: Any
) -> tuple[ApiKey, str]:
    """A key (every scope by default) and its full text; ``partner`` may be inactive.
    ``label`` and ``requests_per_minute`` go through the service. ``expires_at`` (past
    or future), ``revoked_at``, ``last_used_at``, ``created_at`` and ``created_by`` are
    written afterwards, bypassing its checks."""
    owner = partner if partner is not None else _new_partner()
    overrides = {name: kw.pop(name) for name in list(kw) if name in _KEY_OVERRIDES}
    label = kw.pop("label", "test key")
    requests_per_minute = kw.pop("requests_per_minute", None)
    actor = kw.pop("actor", Actor.system())
    if kw:
        raise TypeError(f"unknown api key fields: {', '.join(sorted(kw))}")
    # The service refuses keys for inactive partners; a test may still want one (a key
    # made before its partner was deactivated).
    inactive = not Partner.objects.get(pk=owner.pk).active
    if inactive:
        Partner.objects.filter(pk=owner.pk).update(active=True)
    try:
        key, plaintext = services.api_key_create(
            partner=owner,
            label=label,
            scopes=list(scopes),
            requests_per_minute=requests_per_minute,
            actor=actor,
        )
    finally:
        if inactive:
            Partner.objects.filter(pk=owner.pk).update(active=False)
    if overrides:
        ApiKey.objects.filter(pk=key.pk).update(**overrides)
        for name, value in overrides.items():
            setattr(key, name, value)
    return key, plaintext
