from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from tellsafe.accounts.roles import Perm, has_perm


def desk(request: HttpRequest) -> dict[str, Any]:
    """Which desk sections the signed-in user may use, for the navigation."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"perms_for": {}}
    return {
        "perms_for": {
            "queue": has_perm(user, Perm.QUEUE_VIEW),
            "phone": has_perm(user, Perm.PHONE_REPORT),
            "approve": has_perm(user, Perm.APPROVE),
            "audit": has_perm(user, Perm.AUDIT_VIEW),
            "configure": has_perm(user, Perm.CONFIGURE),
            "banks": has_perm(user, Perm.BANK_VIEW),
        }
    }
