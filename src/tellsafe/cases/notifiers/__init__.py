"""Notifiers tell the on-call supervisor that a case is overdue. Each is a plugin with a
stable name in a file of its own; TELLSAFE_ESCALATION_NOTIFIERS lists the ones to use.
A notifier gets ids and codes only, never case content."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Escalation:
    case_id: int
    urgency: str
    minutes_overdue: int
    desk_url: str


class Notifier:
    """Base class: ``name`` is the stable plugin name; ``send`` raises on failure, so the
    task retries and, in the end, the failure shows on the attention-needed list."""

    name = ""

    def send(self, escalation: Escalation) -> None:
        raise NotImplementedError


def registry() -> dict[str, type[Notifier]]:
    from tellsafe.cases.notifiers.console import ConsoleNotifier
    from tellsafe.cases.notifiers.email import EmailNotifier

    plugins = [ConsoleNotifier, EmailNotifier]
    names = [p.name for p in plugins]
    if len(set(names)) != len(names) or not all(names):
        raise RuntimeError(f"notifier names must be unique and non-empty: {names}")
    return {p.name: p for p in plugins}


def configured() -> list[Notifier]:
    plugins = registry()
    return [plugins[name]() for name in settings.ESCALATION_NOTIFIERS]
