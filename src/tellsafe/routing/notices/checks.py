"""Start-up checks of the notice plugins: transport and checker names must be unique,
and the notice settings must have the right types. A mistake stops the start, not the
first delivery."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register


@register()
def notice_plugins(app_configs: Any, **kwargs: Any) -> list[Error]:
    from tellsafe.routing.notices import checkers, transports

    errors: list[Error] = []
    for what, build in (("transport", transports.registry), ("checker", checkers.registry)):
        try:
            build()
        except RuntimeError as exc:
            errors.append(Error(f"Notice {what} plugins: {exc}", id="tellsafe.E101"))
    if not isinstance(getattr(settings, "NOTICE_HTTP_HEAD_CHECKS", False), bool):
        errors.append(Error("NOTICE_HTTP_HEAD_CHECKS must be True or False.", id="tellsafe.E102"))
    references = getattr(settings, "NOTICE_LEGAL_REFERENCES", None)
    if references is not None and not isinstance(references, dict):
        errors.append(
            Error(
                "NOTICE_LEGAL_REFERENCES must map a legal basis to the text it cites.",
                id="tellsafe.E103",
            )
        )
    return errors
