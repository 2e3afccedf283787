"""Writes of how partners receive notices and when they are reminded: a partner's
``PartnerNoticeSettings`` and the ``ReminderSchedule`` rows. Administrators change them
from the shell (``tellsafe shell``) until the desk has a screen for them. Audit events
say what changed, never an address or a secret."""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from typing import Any

from tellsafe.core import audit
from tellsafe.core.db import write_transaction
from tellsafe.core.errors import ApplicationError
from tellsafe.partners.models import Partner
from tellsafe.routing.notices import transports
from tellsafe.routing.notices.models import PartnerNoticeSettings, ReminderSchedule
from tellsafe.routing.notices.services import audit_actor, clean_reason, clock
from tellsafe.routing.notices.transports.email import email_errors

DEFAULT_SCHEDULE = "scart-default"
MAX_HOURS = 24 * 30
MAX_REMINDERS = 200
_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,47}")


def builtin_default() -> ReminderSchedule:
    """The SCART default, used when no schedule row is the default (not saved)."""
    return ReminderSchedule(
        name=DEFAULT_SCHEDULE, first_after_hours=24, every_hours=24, escalate_after=3, mou_after=6
    )


def schedule_for(config: PartnerNoticeSettings | None) -> ReminderSchedule:
    """The partner's own schedule, else the default row, else the built-in default."""
    if config is not None and config.schedule_id is not None:
        return config.schedule  # type: ignore[return-value]
    return ReminderSchedule.objects.filter(is_default=True).first() or builtin_default()


def schedule_text(schedule: ReminderSchedule) -> str:
    """The schedule in words, as notices and reminders state it."""
    text = (
        f"if we have no answer, we remind you {schedule.first_after_hours} h after sending, "
        f"then every {schedule.every_hours} h; after {schedule.escalate_after} reminders we "
        f"also write to your escalation contact, and after {schedule.mou_after} we follow "
        "the escalation path of our cooperation agreement (MoU)"
    )
    if schedule.max_reminders:
        text += f"; at most {schedule.max_reminders} reminders"
    return text + "."


def _whole(value: Any, field: str, low: int, high: int, errors: dict[str, list[str]]) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        errors[field] = [f"A whole number from {low} to {high}."]
        return low
    return value


def reminder_schedule_save(
    *,
    name: str,
    actor: Any,
    first_after_hours: int = 24,
    every_hours: int = 24,
    escalate_after: int = 3,
    mou_after: int = 6,
    max_reminders: int | None = None,
    is_default: bool = False,
    now: datetime | None = None,
) -> ReminderSchedule:
    """Create or change the schedule called ``name``. Making it the default takes that
    from the schedule that had it."""
    who, at = audit_actor(actor), clock(now)
    errors: dict[str, list[str]] = {}
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        errors["name"] = ["Lower-case letters, digits, - and _, at most 48."]
    values: dict[str, Any] = {
        "first_after_hours": _whole(first_after_hours, "first_after_hours", 1, MAX_HOURS, errors),
        "every_hours": _whole(every_hours, "every_hours", 1, MAX_HOURS, errors),
        "escalate_after": _whole(escalate_after, "escalate_after", 1, MAX_REMINDERS, errors),
        "mou_after": _whole(mou_after, "mou_after", 2, MAX_REMINDERS, errors),
        "max_reminders": None
        if max_reminders is None
        else _whole(max_reminders, "max_reminders", 1, MAX_REMINDERS, errors),
    }
    if "mou_after" not in errors and values["mou_after"] <= values["escalate_after"]:
        errors["mou_after"] = ["Must be more than escalate_after."]
    if not isinstance(is_default, bool):
        errors["is_default"] = ["Must be true or false."]
    if errors:
        raise ApplicationError("invalid_schedule", "The schedule is not valid.", errors)
    with write_transaction():
        if is_default:
            ReminderSchedule.objects.filter(is_default=True).exclude(name=name).update(
                is_default=False
            )
        schedule, created = ReminderSchedule.objects.update_or_create(
            name=name, defaults={**values, "is_default": is_default, "updated_at": at}
        )
        audit.record(
            actor=who,
            action="notice.schedule_save",
            object_type="reminder_schedule",
            object_id=schedule.pk,
            data={"name": name, "created": created, "is_default": is_default, **values},
        )
    return schedule


def notice_settings_save(
    *,
    partner: Partner,
    transport: str,
    actor: Any,
    email: str = "",
    webhook_url: str = "",
    webhook_secret: str | None = None,
    escalation_name: str = "",
    escalation_email: str = "",
    mou_email: str = "",
    schedule: ReminderSchedule | None = None,
    now: datetime | None = None,
) -> tuple[PartnerNoticeSettings, str]:
    """Set how ``partner`` receives notices. For a webhook without a secret (given or
    stored) a new one is made. Returns the settings and that new secret, to hand to the
    partner once ("" when none was made): it is stored encrypted and never shown again."""
    who, at = audit_actor(actor), clock(now)
    if not isinstance(partner, Partner) or partner.pk is None:
        raise ApplicationError("invalid_settings", "Not a partner.", {"partner": ["Required."]})
    config = PartnerNoticeSettings.objects.filter(partner=partner).first()
    config = config or PartnerNoticeSettings(partner=partner)
    made_secret = ""
    if transport == "webhook" and not webhook_secret and not config.webhook_secret:
        made_secret = webhook_secret = secrets.token_urlsafe(32)
    errors: dict[str, list[str]] = {}
    texts = {"email": email, "webhook_url": webhook_url, "escalation_email": escalation_email}
    for field, value in {**texts, "mou_email": mou_email}.items():
        if not isinstance(value, str):
            errors[field] = ["Must be text."]
    if errors:
        raise ApplicationError("invalid_settings", "The notice settings are not valid.", errors)
    config.transport = transport if isinstance(transport, str) else ""
    config.email = email.strip()
    config.webhook_url = webhook_url.strip()
    if webhook_secret:
        config.webhook_secret = str(webhook_secret)
    config.escalation_email = escalation_email.strip()
    config.mou_email = mou_email.strip()
    try:
        config.escalation_name = clean_reason(escalation_name, required=False)[:200]
    except ApplicationError:
        errors["escalation_name"] = ["Must be one line of printable text."]
    if config.transport not in transports.registry():
        errors["transport"] = [f"Must be one of: {', '.join(sorted(transports.registry()))}."]
    else:
        errors.update(transports.get(config.transport).configuration_errors(config))
    for field in ("escalation_email", "mou_email"):
        errors.update(email_errors(getattr(config, field), field, required=False))
    if config.email and "email" not in errors:
        errors.update(email_errors(config.email, "email", required=False))
    if schedule is not None and (not isinstance(schedule, ReminderSchedule) or not schedule.pk):
        errors["schedule"] = ["Must be a saved reminder schedule, or none for the default."]
    if errors:
        raise ApplicationError("invalid_settings", "The notice settings are not valid.", errors)
    config.schedule = schedule
    config.updated_at = at
    with write_transaction():
        config.save()
        audit.record(
            actor=who,
            action="notice.settings_save",
            object_type="partner",
            object_id=partner.pk,
            data={
                "transport": config.transport,
                "schedule": config.schedule_id,
                "has_escalation_contact": bool(config.escalation_email),
                "has_mou_contact": bool(config.mou_email),
                "new_webhook_secret": bool(made_secret),
            },
        )
    return config, made_secret
