"""Routing destination plugins, by stable name: one module each, and ``registry()``,
whose names ``checks`` verifies at start-up. Rules store a plugin's name."""

from __future__ import annotations

import functools

from tellsafe.routing.rules.destinations.base import Destination


def check_names(plugins: tuple[Destination, ...]) -> dict[str, Destination]:
    """The plugins by name; RuntimeError when a name is empty or used twice."""
    names = [plugin.name for plugin in plugins]
    if len(set(names)) != len(names) or not all(names):
        raise RuntimeError(f"routing destination names must be unique and non-empty: {names}")
    return {plugin.name: plugin for plugin in plugins}


@functools.cache
def registry() -> dict[str, Destination]:
    from tellsafe.routing.rules.destinations.hotline_forward import HotlineForward
    from tellsafe.routing.rules.destinations.interpol_forward import InterpolForward
    from tellsafe.routing.rules.destinations.law_enforcement import LawEnforcement
    from tellsafe.routing.rules.destinations.ncmec_forward import NcmecForward
    from tellsafe.routing.rules.destinations.takedown_notice import TakedownNotice

    return check_names(
        (TakedownNotice(), HotlineForward(), NcmecForward(), InterpolForward(), LawEnforcement())
    )


def get(name: str) -> Destination | None:
    """The plugin called ``name``, or None."""
    return registry().get(name) if isinstance(name, str) else None


__all__ = ["Destination", "check_names", "get", "registry"]
