from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail

from tellsafe.cases.notifiers import Escalation, Notifier


class EmailNotifier(Notifier):
    """Emails the on-call supervisor address (TELLSAFE_ONCALL_EMAIL) a link to the case.
    The mail holds the case number and urgency only: nothing about the child."""

    name = "email"

    def send(self, escalation: Escalation) -> None:
        if not settings.ONCALL_EMAIL:
            raise RuntimeError("TELLSAFE_ONCALL_EMAIL is not set")
        send_mail(
            subject=f"[tellsafe] Case {escalation.case_id} is overdue ({escalation.urgency})",
            message=(
                f"Case {escalation.case_id} ({escalation.urgency}) has had no first response "
                f"for {escalation.minutes_overdue} minutes past its due time.\n\n"
                f"Open it: {escalation.desk_url}\n"
            ),
            from_email=None,
            recipient_list=[settings.ONCALL_EMAIL],
        )
