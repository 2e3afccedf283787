from __future__ import annotations

import logging

from tellsafe.cases.notifiers import Escalation, Notifier

log = logging.getLogger("tellsafe.escalation")


class ConsoleNotifier(Notifier):
    """Writes the escalation to the log (for a wallboard or a log-based alert)."""

    name = "console"

    def send(self, escalation: Escalation) -> None:
        log.warning(
            "case overdue",
            extra={
                "case_id": escalation.case_id,
                "urgency": escalation.urgency,
                "count": escalation.minutes_overdue,
            },
        )
