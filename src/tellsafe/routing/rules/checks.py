"""Start-up checks of routing: destination plugin names are unique, and the routing
settings have the right form. A mistake stops the start, not the first routing."""

from __future__ import annotations

from typing import Any

from django.core.checks import Error, register


@register()
def routing_plugins(app_configs: Any, **kwargs: Any) -> list[Error]:
    from tellsafe.routing.rules import config
    from tellsafe.routing.rules.destinations import registry

    errors: list[Error] = []
    try:
        registry()
    except RuntimeError as exc:
        errors.append(Error(f"Routing destination plugins: {exc}", id="tellsafe.E111"))
    for problem in config.problems():
        errors.append(Error(problem, id="tellsafe.E112"))
    return errors
