"""Reminders and escalation on a frozen clock (``now=`` passed through the services).

The default schedule (SCART): first reminder 24 h after sending, then every 24 h; after
3 reminders the 4th also goes to the partner's escalation contact; after 6, the 7th
takes the MoU path (its contact, and a person on the desk)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail

from tellsafe.core.models import AuditEvent
from tellsafe.routing.notices import delivery, partner_settings, services
from tellsafe.routing.notices.models import Attention, Notice, NoticeEvent, ReminderSchedule
from tellsafe.routing.tests.notices import factories as f
from tellsafe.routing.tests.notices.factories import T0, hours

pytestmark = pytest.mark.django_db
ESCALATION = "head.of.abuse@isp.example"
MOU = "ceo.office@isp.example"


def _partner(**kw):
    return f.partner(
        "email",
        email="abuse@isp.example",
        escalation_name="Asha Rao",
        escalation_email=ESCALATION,
        mou_email=MOU,
        **kw,
    )


def _state(notice):
    row = Notice.objects.get(pk=notice.pk)
    return row.reminders_sent, row.escalation_level, row.next_reminder_at, row.attention


def test_default_schedule_is_seeded():
    default = ReminderSchedule.objects.get(is_default=True)
    assert (default.first_after_hours, default.every_hours) == (24, 24)
    assert (default.escalate_after, default.mou_after) == (3, 6)


def test_24h_then_every_24h_then_escalation_then_mou():
    notice = f.sent_notice(to=_partner())
    mail.outbox.clear()
    assert delivery.send_due_reminders(now=T0 + hours(23)) == {}
    assert _state(notice) == (0, 0, T0 + hours(24), "")
    expected = {
        24: (1, 0, ""),
        48: (2, 0, ""),
        72: (3, 0, ""),
        96: (4, 1, ""),  # the 4th reminder also goes to the escalation contact
        120: (5, 1, ""),
        144: (6, 1, ""),
        168: (7, 2, Attention.MOU_ESCALATION),  # 7 days: the MoU path, and a person
        192: (8, 2, Attention.MOU_ESCALATION),
    }
    for at, (sent, level, attention) in expected.items():
        assert delivery.send_due_reminders(now=T0 + hours(at - 1)) == {}, at
        result = delivery.send_due_reminders(now=T0 + hours(at))
        assert sum(result.values()) == 1, at
        assert _state(notice) == (sent, level, T0 + hours(at + 24), attention), at
        # a second sweep at the same moment sends nothing more
        assert delivery.send_due_reminders(now=T0 + hours(at)) == {}
    to_desk = f.outbox_to("abuse@isp.example")
    assert [m.subject for m in to_desk] == [
        f"Reminder {n}: takedown notice {notice.reference}" for n in range(1, 9)
    ]
    assert "REMINDER 3." in to_desk[2].body
    escalations = f.outbox_to(ESCALATION)
    assert len(escalations) == 1 and "ESCALATION" in escalations[0].body
    assert "has had 4 reminders" in escalations[0].body
    assert "You (Asha Rao) are named by" in escalations[0].body
    assert len(f.outbox_to(MOU)) == 1 and "cooperation agreement (MoU)" in f.outbox_to(MOU)[0].body
    levels = list(
        NoticeEvent.objects.filter(notice=notice, kind="escalation").values_list("data", flat=True)
    )
    assert levels == [{"level": 1, "after": 3}, {"level": 2, "after": 6}]
    audited = AuditEvent.objects.filter(object_id=str(notice.pk), object_type="notice")
    assert audited.filter(action="notice.reminder").count() == 8
    assert audited.filter(action="notice.escalate").count() == 2


def test_an_answer_stops_the_reminders():
    notice = f.sent_notice(to=_partner())
    delivery.send_due_reminders(now=T0 + hours(24))
    services.notice_record_response(
        notice=notice, outcome="removed", reason="", via="link", actor=f.STAFF, now=T0 + hours(30)
    )
    mail.outbox.clear()
    for at in (48, 72, 96, 500):
        assert delivery.send_due_reminders(now=T0 + hours(at)) == {}
    assert mail.outbox == []
    assert Notice.objects.get(pk=notice.pk).reminders_sent == 1


def test_acknowledged_notices_are_still_chased():
    notice = f.sent_notice(to=f.partner("api_pull"))
    services.notice_acknowledge(notices=[notice], actor=f.STAFF, now=T0 + hours(1))
    assert delivery.send_due_reminders(now=T0 + hours(24)) == {"reminded": 1}
    event = NoticeEvent.objects.get(notice=notice, kind="reminder")
    assert event.data == {"pulled": True} and event.attempt == 1


def test_a_partner_with_its_own_schedule():
    fast = partner_settings.reminder_schedule_save(
        name="fast",
        first_after_hours=4,
        every_hours=12,
        escalate_after=1,
        mou_after=2,
        max_reminders=3,
        actor=f.STAFF,
    )
    to = _partner()
    partner_settings.notice_settings_save(
        partner=to,
        transport="email",
        email="abuse@isp.example",
        escalation_email=ESCALATION,
        schedule=fast,
        actor=f.STAFF,
    )
    notice = f.sent_notice(to=to)
    assert Notice.objects.get(pk=notice.pk).next_reminder_at == T0 + hours(4)
    assert delivery.send_due_reminders(now=T0 + hours(4)) == {"reminded": 1}
    assert delivery.send_due_reminders(now=T0 + hours(16)) == {"escalated": 1}
    assert _state(notice)[:2] == (2, 1)
    # no MoU contact: the MoU step still goes to a person
    assert delivery.send_due_reminders(now=T0 + hours(28)) == {"escalated": 1}
    assert _state(notice)[1:] == (2, T0 + hours(40), Attention.MOU_ESCALATION)
    assert delivery.send_due_reminders(now=T0 + hours(40)) == {"exhausted": 1}
    assert _state(notice)[2] is None  # at most 3 reminders


def test_no_escalation_contact_goes_to_a_person():
    notice = f.sent_notice(to=f.partner("email"))
    for at in (24, 48, 72, 96):
        delivery.send_due_reminders(now=T0 + hours(at))
    assert _state(notice)[1:] == (1, T0 + hours(120), Attention.NO_ESCALATION_CONTACT)
    assert NoticeEvent.objects.get(notice=notice, kind="escalation").code == "no_contact"


def test_failing_reminders_back_off_and_then_go_to_a_person(flaky_mail):
    notice = f.sent_notice(to=_partner())
    flaky_mail.failures = 5
    at = T0 + hours(24)
    waits = []
    for _ in range(5):
        assert delivery.send_due_reminders(now=at) == {"failed": 1}
        due = Notice.objects.get(pk=notice.pk).next_reminder_at
        waits.append(due - at)
        at = due
    assert waits == [timedelta(minutes=m) for m in (15, 30, 60, 120, 240)]
    row = Notice.objects.get(pk=notice.pk)
    assert row.attention == Attention.REMINDER_FAILED and row.reminders_sent == 0
    assert delivery.send_due_reminders(now=at) == {"reminded": 1}  # the mail server is back
    row = Notice.objects.get(pk=notice.pk)
    assert row.reminders_sent == 1 and row.failures_in_a_row == 0
    assert len(NoticeEvent.objects.filter(notice=notice, kind="reminder_failed")) == 5


def test_a_worker_away_for_days_sends_one_reminder_not_a_burst():
    notice = f.sent_notice(to=_partner())
    assert delivery.send_due_reminders(now=T0 + hours(24 * 5)) == {"reminded": 1}
    assert _state(notice)[0] == 1
    assert _state(notice)[2] == T0 + hours(24 * 6)


def test_reminders_through_the_webhook(server):
    notice = f.sent_notice(to=f.partner("webhook"))
    delivery.send_due_reminders(now=T0 + hours(24))
    reminder = server.bodies()[-1]
    assert reminder["event"] == "reminder" and reminder["sequence"] == 1
    assert reminder["notice"]["reminders_sent"] == 0
    assert server.requests[-1].headers["Idempotency-Key"] == f"{notice.reference}:reminder:1"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"first_after_hours": 0}, "first_after_hours"),
        ({"every_hours": "24"}, "every_hours"),
        ({"escalate_after": 5, "mou_after": 5}, "mou_after"),
        ({"max_reminders": 0}, "max_reminders"),
        ({"name": "Has Spaces"}, "name"),
    ],
)
def test_schedules_are_validated(changes, field):
    from tellsafe.core.errors import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        partner_settings.reminder_schedule_save(**{"name": "x", "actor": f.STAFF, **changes})
    assert field in caught.value.fields


def test_a_new_default_schedule_replaces_the_old():
    partner_settings.reminder_schedule_save(
        name="weekly", every_hours=168, is_default=True, actor=f.STAFF
    )
    assert list(
        ReminderSchedule.objects.filter(is_default=True).values_list("name", flat=True)
    ) == ["weekly"]
    assert partner_settings.schedule_for(None).every_hours == 168
