"""Start-up checks: a misconfigured notifier must stop the start, not every sweep."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def notifiers_exist(app_configs: Any, **kwargs: Any) -> list[Error]:
    from tellsafe.cases.notifiers import registry

    known = registry()
    return [
        Error(
            f"TELLSAFE_ESCALATION_NOTIFIERS names an unknown notifier {name!r}.",
            hint=f"Known notifiers: {', '.join(sorted(known))}.",
            id="tellsafe.E001",
        )
        for name in settings.ESCALATION_NOTIFIERS
        if name not in known
    ]
