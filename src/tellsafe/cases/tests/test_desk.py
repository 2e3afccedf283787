"""The case desk worked as counsellors and supervisors work it."""

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from tellsafe.accounts.tests.factories import login, staff
from tellsafe.cases import escalation, services
from tellsafe.cases.models import Approval, Case, Contact, ContentItem, Message, Note
from tellsafe.core import audit
from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.intake.models import Report
from tellsafe.intake.tests.factories import make_report

pytestmark = pytest.mark.django_db


@pytest.fixture
def counsellor():
    return staff("counsellor", team="north")


@pytest.fixture
def supervisor():
    return staff("supervisor", team="north")


def desk(client, user):
    return login(client, user)


def test_queue_orders_by_urgency_then_age(client, counsellor):
    normal_old = make_report(categories=["cyberbullying"]).report.case
    imminent = make_report(categories=["cyberbullying"], safe_now=False).report.case
    high = make_report(categories=["sextortion"]).report.case
    normal_new = make_report(categories=["other"]).report.case
    Case.objects.filter(pk=normal_old.pk).update(created_at=timezone.now() - timedelta(hours=5))
    html = desk(client, counsellor).get("/desk/").content.decode()
    order = [html.index(f"#{c.pk}<") for c in (imminent, high, normal_old, normal_new)]
    assert order == sorted(order)


def test_queue_filters(client, counsellor):
    grooming = make_report(categories=["grooming"], age_band="9_12").report.case
    bullying = make_report(categories=["cyberbullying"], age_band="16_17").report.case
    phone = make_report(channel="phone", categories=["other"]).report.case
    desk(client, counsellor)

    def shown(query):
        html = client.get("/desk/?" + query).content.decode()
        return {c.pk for c in (grooming, bullying, phone) if f"#{c.pk}<" in html}

    assert shown("category=grooming") == {grooming.pk}
    assert shown("age_band=16_17") == {bullying.pk}
    assert shown("channel=phone") == {phone.pk}
    services.case_claim(case=bullying, actor=counsellor)
    assert shown("assignee=me") == {bullying.pk}
    assert shown("assignee=none") == {grooming.pk, phone.pk}
    assert shown("status=in_review") == {bullying.pk}
    Case.objects.filter(pk=phone.pk).update(
        first_response_due=timezone.now() - timedelta(minutes=1)
    )
    assert shown("overdue=1") == {phone.pk}


def test_queue_highlights_clocks():
    now = timezone.now()
    case = make_report(categories=["other"]).report.case  # normal: 72 hours
    assert escalation.clock_state(case, case.created_at + timedelta(hours=10)) == ""
    assert escalation.clock_state(case, case.created_at + timedelta(hours=60)) == "due_soon"
    assert escalation.clock_state(case, case.created_at + timedelta(hours=73)) == "overdue"
    imminent = make_report(safe_now=False).report.case
    assert imminent.first_response_due - imminent.created_at == timedelta(minutes=15)
    assert escalation.clock_state(imminent, now + timedelta(minutes=16)) == "overdue"


@override_settings(FIRST_RESPONSE_MINUTES={"imminent": 5, "high": 60, "normal": 120})
def test_clocks_are_configurable():
    case = make_report(safe_now=False).report.case
    assert case.first_response_due - case.created_at == timedelta(minutes=5)


@override_settings(ESCALATION_NOTIFIERS=["console", "email"], ONCALL_EMAIL="oncall@example.org")
def test_overdue_cases_are_escalated_once():
    case = make_report(safe_now=False).report.case
    later = case.created_at + timedelta(minutes=20)
    assert escalation.escalate_overdue(now=case.created_at + timedelta(minutes=5)) == []
    assert escalation.escalate_overdue(now=later) == [case.pk]
    assert escalation.escalate_overdue(now=later + timedelta(minutes=5)) == []
    assert len(mail.outbox) == 1
    assert f"Case {case.pk}" in mail.outbox[0].subject
    assert "sextortion" not in mail.outbox[0].body  # ids and codes only
    assert AuditEvent.objects.filter(action="case.escalate", object_id=str(case.pk)).count() == 1


def test_answered_cases_are_not_escalated(counsellor):
    case = make_report(safe_now=False).report.case
    services.case_claim(case=case, actor=counsellor)
    assert escalation.escalate_overdue(now=case.created_at + timedelta(hours=1)) == []


@override_settings(ESCALATION_NOTIFIERS=["email"], ONCALL_EMAIL="")
def test_a_failing_notifier_retries_then_shows_on_the_attention_list(client, supervisor):
    from django_tasks_db.models import DBTaskResult

    from tellsafe.cases.escalation import escalate_overdue_task

    Case.objects.filter(pk=make_report(safe_now=False).report.case_id).update(
        first_response_due=timezone.now() - timedelta(minutes=1)
    )
    escalate_overdue_task.call()  # attempt 1 fails: a retry is queued, deferred
    retry = DBTaskResult.objects.get()
    assert retry.run_after > timezone.now()
    assert retry.args_kwargs["kwargs"] == {"attempt": 2}
    assert Case.objects.get().escalated_at is None  # not marked: it will be sent again
    with pytest.raises(RuntimeError):
        escalate_overdue_task.call(attempt=5)  # the last attempt fails for good
    DBTaskResult.objects.update(
        status="FAILED", finished_at=timezone.now(), exception_class_path="builtins.RuntimeError"
    )
    html = desk(client, supervisor).get("/desk/attention/").content.decode()
    assert "tellsafe.cases.escalation.escalate_overdue_task" in html


def test_claim_next_takes_the_most_urgent_unassigned(client, counsellor):
    make_report(categories=["other"])
    urgent = make_report(safe_now=False).report.case
    response = desk(client, counsellor).post("/desk/claim-next/")
    assert response["Location"] == f"/desk/cases/{urgent.pk}/"
    urgent.refresh_from_db()
    assert urgent.assignee == counsellor and urgent.status == "in_review"
    assert urgent.first_response_at is not None


def test_two_counsellors_claiming_next_get_different_cases(counsellor):
    other = staff("counsellor", team="north")
    first = make_report().report.case
    second = make_report().report.case
    from tellsafe.cases.access import queue_cases

    a = services.case_claim_next(actor=counsellor, queue=queue_cases(counsellor))
    b = services.case_claim_next(actor=other, queue=queue_cases(other))
    assert {a.pk, b.pk} == {first.pk, second.pk}
    assert services.case_claim_next(actor=other, queue=queue_cases(other)) is None


def test_work_a_case_end_to_end_and_the_child_sees_it(client, counsellor, supervisor):
    created = make_report(age_band="9_12")
    case = created.report.case
    desk(client, counsellor)
    page = client.get(f"/desk/cases/{case.pk}/").content.decode()
    assert "He says he will send my photos" in page
    client.post(f"/desk/cases/{case.pk}/claim/", {"version": case.version})
    client.post(f"/desk/cases/{case.pk}/note/", {"body": "Called back, spoke to the child."})
    client.post(
        f"/desk/cases/{case.pk}/message/",
        {"report": created.report.pk, "template": "reading", "body": ""},
    )
    case.refresh_from_db()
    client.post(
        f"/desk/cases/{case.pk}/status/",
        {"version": case.version, "status": "action_taken", "action": "notice_sent"},
    )
    # The child sees the change and the message.
    child = type(client)()
    child.post(
        "/status/", {"reference": created.report.reference, "passphrase": created.passphrase}
    )
    status_page = child.get("/status/view/").content.decode()
    assert "We asked the website to remove it." in status_page
    assert "Someone from our team is reading your report now." in status_page
    assert Note.objects.get().body == "Called back, spoke to the child."
    # Closing with an outcome does not need approval...
    case.refresh_from_db()
    response = client.post(
        f"/desk/cases/{case.pk}/status/",
        {"version": case.version, "status": "closed", "outcome_codes": ["removal_requested"]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at
    assert "We have finished" in child.get("/status/view/").content.decode()
    # ...and it can be reopened.
    client.post(f"/desk/cases/{case.pk}/status/", {"version": case.version, "status": "in_review"})
    case.refresh_from_db()
    assert case.status == "in_review" and case.closed_at is None


def test_closing_with_no_action_needs_a_supervisors_approval(client, counsellor, supervisor):
    case = make_report().report.case
    services.case_claim(case=case, actor=counsellor)
    desk(client, counsellor)
    blocked = client.post(
        f"/desk/cases/{case.pk}/status/",
        {"version": case.version, "status": "closed", "outcome_codes": ["no_action_possible"]},
    )
    assert blocked.status_code == 409
    case.refresh_from_db()
    assert case.status != "closed"
    client.post(
        f"/desk/cases/{case.pk}/approval/",
        {"kind": "close_no_action", "reason": "Content already gone, child is safe."},
    )
    approval = Approval.objects.get()
    assert approval.state == "pending"
    # The requester cannot approve; a counsellor has no approval page at all.
    assert client.get("/desk/approvals/").status_code == 403
    with pytest.raises(ApplicationError) as refused:
        services.approval_decide(approval=approval, approve=True, note="", actor=counsellor)
    assert refused.value.code == "own_approval"
    desk(client, supervisor)
    client.post(f"/desk/approvals/{approval.pk}/", {"decision": "approve", "note": "ok"})
    approval.refresh_from_db()
    assert approval.state == "approved" and approval.decided_by == supervisor
    desk(client, counsellor)
    client.post(
        f"/desk/cases/{case.pk}/status/",
        {"version": case.version, "status": "closed", "outcome_codes": ["no_action_possible"]},
    )
    case.refresh_from_db()
    assert case.status == "closed"


def test_concurrent_edits_are_detected(client, counsellor):
    other = staff("counsellor", team="north")
    case = make_report().report.case
    stale_version = case.version
    services.case_set_status(case=case, status="in_review", actor=other, version=stale_version)
    desk(client, counsellor)
    response = client.post(
        f"/desk/cases/{case.pk}/status/",
        {"version": stale_version, "status": "action_taken", "action": "referred"},
    )
    assert response.status_code == 409
    assert "Someone else changed this case" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "in_review"


def test_merge_keeps_every_report_and_its_history(client, counsellor):
    target = make_report(categories=["other"]).report
    source = make_report(safe_now=False, urls=["https://x.example/1"]).report
    Message.objects.create(
        case=source.case, report=source, direction="in", body="more", created_at=timezone.now()
    )
    desk(client, counsellor)
    client.post(f"/desk/cases/{source.case_id}/merge/", {"target": target.case_id})
    merged = Case.objects.get(pk=target.case_id)
    assert set(merged.reports.values_list("pk", flat=True)) == {target.pk, source.pk}
    assert ContentItem.objects.filter(case=merged).count() == 2
    assert Message.objects.get().case_id == merged.pk
    assert merged.urgency == "imminent"  # the more urgent of the two
    old = Case.objects.get(pk=source.case_id)
    assert old.merged_into_id == merged.pk and old.status == "closed"
    page = client.get(f"/desk/cases/{merged.pk}/").content.decode()
    assert "case.merge" in page and "report.create" in page  # both histories
    assert Report.objects.count() == 2


def test_split_moves_a_report_to_a_new_case(client, counsellor):
    first = make_report().report
    second = make_report(urls=["https://y.example/2"]).report
    services.case_merge(source=second.case, target=first.case, actor=counsellor)
    desk(client, counsellor)
    response = client.post(f"/desk/cases/{first.case_id}/move-report/", {"report": second.pk})
    second.refresh_from_db()
    assert second.case_id not in (first.case_id,)
    assert response["Location"] == f"/desk/cases/{second.case_id}/"
    assert ContentItem.objects.get(report=second).case_id == second.case_id


def test_phone_report_creates_an_assigned_case(client, counsellor):
    response = desk(client, counsellor).post(
        "/desk/phone-report/",
        {
            "reporter": "caregiver",
            "age_band": "9_12",
            "language": "hi",
            "categories": ["grooming"],
            "details": "Caller says a stranger messages her son.",
            "urls": "chat.example/u/1\n",
            "safe_now": "",
            "contact_kind": "sms",
            "contact_value": "98765 43210",
        },
    )
    report = Report.objects.get()
    assert report.channel == "phone" and report.contact_value == "+919876543210"
    assert response["Location"] == f"/desk/cases/{report.case_id}/"
    assert report.case.assignee == counsellor
    assert report.case.urgency == "high"  # grooming of a child under 13


def test_phone_report_validates_like_the_web(client, counsellor):
    response = desk(client, counsellor).post(
        "/desk/phone-report/",
        {"reporter": "caregiver", "age_band": "9_12", "categories": ["nope"], "urls": "not a link"},
    )
    assert response.status_code == 422
    assert Report.objects.count() == 0


def test_non_case_contacts_are_counted_not_queued(client, counsellor):
    desk(client, counsellor).post("/desk/contacts/new/", {"kind": "silent", "channel": "phone"})
    assert Contact.objects.get().kind == "silent"
    assert Case.objects.count() == 0


def test_repeat_reporters_are_linked(client, counsellor):
    contact = {"kind": "sms", "value": "+919876543210"}
    first = make_report(contact=contact).report
    second = make_report(contact=contact).report
    page = desk(client, counsellor).get(f"/desk/cases/{second.case_id}/").content.decode()
    assert "Reported before" in page and f"/desk/cases/{first.case_id}/" in page


def test_contact_details_only_on_own_or_team_cases(client, counsellor):
    report = make_report(contact={"kind": "sms", "value": "+919876543210"}).report
    desk(client, counsellor)
    assert "+919876543210" not in client.get(f"/desk/cases/{report.case_id}/").content.decode()
    services.case_claim(case=report.case, actor=counsellor)
    assert "+919876543210" in client.get(f"/desk/cases/{report.case_id}/").content.decode()


def test_auditor_sees_the_trail_but_never_narratives(client):
    auditor = staff("auditor", team="")
    report = make_report(contact={"kind": "sms", "value": "+919876543210"}).report
    page = desk(client, auditor).get(f"/desk/cases/{report.case_id}/").content.decode()
    assert "report.create" in page
    assert "He says he will send my photos" not in page and "+919876543210" not in page
    assert client.get("/desk/audit/").status_code == 200
    export = b"".join(client.get("/desk/audit/export.csv").streaming_content).decode()
    assert "report.create" in export and "He says" not in export


def test_opening_another_teams_case_needs_a_reason(client, counsellor, supervisor):
    south = staff("counsellor", team="south")
    case = make_report().report.case
    services.case_claim(case=case, actor=south)
    desk(client, counsellor)
    refused = client.get(f"/desk/cases/{case.pk}/")
    assert refused.status_code == 403 and "belongs to another team" in refused.content.decode()
    assert "He says" not in refused.content.decode()
    client.post(f"/desk/cases/{case.pk}/", {"reason": "too short"})
    assert not AuditEvent.objects.filter(action="case.break_glass").exists()
    client.post(
        f"/desk/cases/{case.pk}/", {"reason": "Caller says this is her case, on the phone now."}
    )
    assert client.get(f"/desk/cases/{case.pk}/").status_code == 200
    event = AuditEvent.objects.get(action="case.break_glass")
    assert event.actor_id == str(counsellor.pk) and "on the phone" in event.reason
    page = desk(client, supervisor).get("/desk/approvals/").content.decode()
    assert "on the phone now" in page


def test_every_case_read_is_audited(client, counsellor):
    case = make_report().report.case
    desk(client, counsellor)
    client.get(f"/desk/cases/{case.pk}/")
    client.get(f"/desk/cases/{case.pk}/")
    assert AuditEvent.objects.filter(action="case.view", object_id=str(case.pk)).count() == 2
    assert audit.verify()[1] is None


def test_message_templates_exist_in_every_language_and_band():
    from django.conf import settings

    from tellsafe.cases import message_templates
    from tellsafe.intake.wording import AUDIENCES

    for key, _label in message_templates.choices():
        english = {message_templates.render(key, audience=a, language="en") for a in AUDIENCES}
        for code, _name in settings.LANGUAGES:
            if code == "en":
                continue
            for audience in AUDIENCES:
                text = message_templates.render(key, audience=audience, language=code)
                assert text and text not in english, (key, code, audience)


def test_administrator_edits_urgency_rules_and_new_reports_follow(client):
    from tellsafe.cases.models import UrgencyRule

    admin = staff("administrator", team="")
    desk(client, admin)
    response = client.post(
        "/desk/settings/urgency/new/",
        {
            "position": "5",
            "name": "Bullying of young children",
            "urgency": "high",
            "categories": ["cyberbullying"],
            "age_bands": ["under_9"],
            "active": "on",
        },
    )
    assert response.status_code == 302
    rule = UrgencyRule.objects.get(name="Bullying of young children")
    assert AuditEvent.objects.filter(action="config.urgency_rule", object_id=str(rule.pk)).exists()
    assert (
        make_report(categories=["cyberbullying"], age_band="under_9").report.case.urgency == "high"
    )
    assert (
        make_report(categories=["cyberbullying"], age_band="13_15").report.case.urgency == "normal"
    )
    # The administrator configures but never reads cases.
    case = Case.objects.first()
    assert client.get(f"/desk/cases/{case.pk}/").status_code == 403


def test_queue_loads_in_a_constant_number_of_queries(client, counsellor):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    desk(client, counsellor)

    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/desk/").status_code == 200
        # The idle clock saves the session now and then; that is not the queue's work.
        return len(
            [
                q
                for q in ctx.captured_queries
                if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]
            ]
        )

    for _ in range(3):
        make_report(urls=["https://a.example/1"])
    queries()  # the first request of a session does one-time work (sign-in bookkeeping)
    few = queries()
    for _ in range(25):
        make_report(categories=["grooming", "csam"])
    assert queries() == few
    assert few <= 12


def test_supervisor_assigns_only_to_case_workers(client, supervisor):
    case = make_report().report.case
    auditor = staff("auditor", team="")
    counsellor = staff("counsellor", team="north")
    desk(client, supervisor)
    page = client.get(f"/desk/cases/{case.pk}/").content.decode()
    assert f'value="{counsellor.pk}"' in page and f'value="{auditor.pk}"' not in page
    refused = client.post(
        f"/desk/cases/{case.pk}/assign/", {"assignee": auditor.pk, "version": case.version}
    )
    assert refused.status_code == 422
    client.post(
        f"/desk/cases/{case.pk}/assign/", {"assignee": counsellor.pk, "version": case.version}
    )
    case.refresh_from_db()
    assert case.assignee == counsellor


def test_unknown_notifier_fails_the_start_up_check():
    from django.core.management import call_command
    from django.core.management.base import SystemCheckError

    with override_settings(ESCALATION_NOTIFIERS=["pager"]), pytest.raises(SystemCheckError):
        call_command("check")
