"""The notice services: validation, the status machine, holds, answers and closing,
each with its audit event and timeline."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult

from tellsafe.core.audit import Actor, verify
from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.partners.models import Partner
from tellsafe.routing.notices import delivery, services
from tellsafe.routing.notices.models import Attention, Notice, NoticeEvent
from tellsafe.routing.tests.notices import factories as f
from tellsafe.routing.tests.notices.factories import T0, hours

pytestmark = pytest.mark.django_db
PARTNER = Actor("partner", "1")


def _kinds(notice):
    return list(
        NoticeEvent.objects.filter(notice=notice).order_by("id").values_list("kind", flat=True)
    )


def _actions(notice):
    return list(
        AuditEvent.objects.filter(object_type="notice", object_id=str(notice.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def test_create_queues_delivery_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = f.notice()
    assert notice.status == "queued"
    assert notice.reference.startswith("N-") and len(notice.reference) == 12
    assert notice.created_at == T0 and notice.sent_at is None
    assert notice.basis_reference == "Illegal under national law"
    assert _kinds(notice) == ["created", "queued"]
    assert _actions(notice) == ["notice.create", "notice.queue"]
    queued = _deliveries().get()
    assert queued.args_kwargs["args"] == [notice.pk]
    assert verify() == (AuditEvent.objects.count(), None)


def _deliveries():
    return DBTaskResult.objects.filter(task_path__endswith="tasks.deliver_notice")


def test_nothing_is_queued_when_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    item, to = f.url_item(), f.partner()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        f.notice(item, to)
    assert len(callbacks) == 1  # runs only on commit
    assert not _deliveries().exists()


def test_every_field_is_validated_at_once():
    with pytest.raises(ApplicationError) as caught:
        services.notice_create(
            item="not an item",
            partner=f.partner(),
            kind="shout",
            category="nonsense",
            legal_basis="because",
            actor=f.STAFF,
            hold="yes",
        )
    assert caught.value.code == "invalid_notice" and caught.value.status == 422
    assert set(caught.value.fields) == {"item", "kind", "category", "legal_basis", "hold"}
    assert not Notice.objects.exists()


@pytest.mark.parametrize(
    ("kind", "partner_kind", "ok"),
    [
        ("takedown", Partner.Kind.ISP, True),
        ("takedown", Partner.Kind.HOTLINE, False),
        ("forward", Partner.Kind.HOTLINE, True),
        ("forward", Partner.Kind.ISP, False),
        ("forward", Partner.Kind.LAW_ENFORCEMENT, True),
    ],
)
def test_who_may_receive_which_kind(kind, partner_kind, ok):
    to = f.partner(kind=partner_kind)
    if ok:
        assert f.notice(to=to, kind=kind).kind == kind
    else:
        with pytest.raises(ApplicationError) as caught:
            f.notice(to=to, kind=kind)
        assert "partner" in caught.value.fields


def test_a_partner_without_settings_or_inactive_is_refused():
    from tellsafe.partners.tests.factories import partner as bare_partner

    with pytest.raises(ApplicationError) as caught:
        f.notice(to=bare_partner())
    assert caught.value.fields["partner"] == ["This partner has no notice settings yet."]
    inactive = f.partner()
    Partner.objects.filter(pk=inactive.pk).update(active=False)
    with pytest.raises(ApplicationError) as caught:
        f.notice(to=inactive)
    assert caught.value.fields["partner"][0] == "This partner is inactive."


def test_items_without_url_or_hash_are_refused():
    gone = f.url_item()
    type(gone).objects.filter(pk=gone.pk).update(url="")
    gone.refresh_from_db()
    with pytest.raises(ApplicationError) as caught:
        f.notice(gone)
    assert "item" in caught.value.fields
    unhashed = f.media_item(sha256="")
    with pytest.raises(ApplicationError):
        f.notice(unhashed)


def test_one_open_notice_per_item_partner_and_kind():
    item, to = f.url_item(), f.partner()
    first = f.notice(item, to)
    with pytest.raises(ApplicationError) as caught:
        f.notice(item, to)
    assert caught.value.code == "notice_exists" and caught.value.status == 409
    services.notice_close(notice=first, actor=f.STAFF, reason="sent to the wrong network")
    assert f.notice(item, to).pk != first.pk  # closed: a new one may go


def test_held_notice_waits_for_release(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        held = f.notice(hold=True)
    assert held.status == "held"
    assert not _deliveries().exists()
    assert delivery.notice_deliver(notice_id=held.pk, now=T0) == "skipped"
    with pytest.raises(ApplicationError) as caught:
        services.notice_send(notice=held, actor=f.STAFF)
    assert caught.value.code == "notice_not_sendable"
    with django_capture_on_commit_callbacks(execute=True):
        released = services.notice_release(notice=held, actor=f.STAFF, now=T0 + hours(5))
    assert released.status == "queued"
    assert _deliveries().count() == 1
    assert _kinds(held) == ["created", "held", "released", "queued"]
    assert "notice.release" in _actions(held)
    with pytest.raises(ApplicationError) as caught:
        services.notice_release(notice=held, actor=f.STAFF)
    assert caught.value.code == "notice_not_held"


def test_response_stops_the_clock_and_is_idempotent():
    notice = f.sent_notice()
    assert notice.sent_at == T0 and notice.next_reminder_at == T0 + hours(24)
    answered = services.notice_record_response(
        notice=notice, outcome="removed", reason="", via="api", actor=PARTNER, now=T0 + hours(3)
    )
    assert answered.status == answered.outcome == "removed"
    assert answered.removed_at == answered.responded_at == answered.acknowledged_at == T0 + hours(3)
    assert answered.next_reminder_at is None
    again = services.notice_record_response(
        notice=notice, outcome="removed", reason="", via="link", actor=PARTNER, now=T0 + hours(9)
    )
    assert again.removed_at == T0 + hours(3) and again.response_via == "api"
    assert _kinds(notice).count("response") == 1
    with pytest.raises(ApplicationError) as caught:
        services.notice_record_response(
            notice=notice, outcome="not_found", reason="", via="api", actor=PARTNER
        )
    assert caught.value.code == "outcome_conflict" and caught.value.status == 409


def test_refusal_needs_a_reason_then_may_become_a_removal():
    notice = f.sent_notice()
    with pytest.raises(ApplicationError) as caught:
        services.notice_record_response(
            notice=notice, outcome="refused", reason="  ", via="link", actor=PARTNER
        )
    assert caught.value.code == "reason_required"
    refused = services.notice_record_response(
        notice=notice,
        outcome="refused",
        reason="Not  our customer\n(reseller)",
        via="link",
        actor=PARTNER,
        now=T0 + hours(2),
    )
    assert refused.response_reason == "Not our customer (reseller)"
    assert refused.attention == Attention.REFUSED and refused.removed_at is None
    removed = services.notice_record_response(
        notice=notice, outcome="removed", reason="", via="staff", actor=f.STAFF, now=T0 + hours(30)
    )
    assert removed.removed_at == T0 + hours(30) and removed.responded_at == T0 + hours(2)
    assert removed.attention == ""


@pytest.mark.parametrize(
    ("outcome", "via", "reason", "field"),
    [
        ("gone", "api", "", "outcome"),
        ("removed", "pigeon", "", "via"),
        ("refused", "api", "x" * 1001, "reason"),
        ("refused", "api", "bad\x00char", "reason"),
        ("removed", "api", 42, "reason"),
    ],
)
def test_bad_answers_are_refused_clearly(outcome, via, reason, field):
    notice = f.sent_notice()
    with pytest.raises(ApplicationError) as caught:
        services.notice_record_response(
            notice=notice, outcome=outcome, reason=reason, via=via, actor=PARTNER
        )
    assert field in caught.value.fields and caught.value.status == 422
    assert Notice.objects.get(pk=notice.pk).outcome == ""


def test_unsent_and_closed_notices_take_no_answer():
    draft = f.notice()
    with pytest.raises(ApplicationError) as caught:
        services.notice_record_response(
            notice=draft, outcome="removed", reason="", via="api", actor=PARTNER
        )
    assert caught.value.code == "notice_not_sent"
    sent = f.sent_notice()
    services.notice_close(notice=sent, actor=f.STAFF, reason="content moved host")
    with pytest.raises(ApplicationError) as caught:
        services.notice_record_response(
            notice=sent, outcome="removed", reason="", via="api", actor=PARTNER
        )
    assert caught.value.code == "notice_closed"


def test_close_needs_a_reason_without_an_answer_and_happens_once():
    notice = f.sent_notice()
    with pytest.raises(ApplicationError) as caught:
        services.notice_close(notice=notice, actor=f.STAFF)
    assert caught.value.code == "reason_required"
    services.notice_record_response(
        notice=notice, outcome="not_found", reason="", via="api", actor=PARTNER, now=T0 + hours(1)
    )
    closed = services.notice_close(notice=notice, actor=f.STAFF, now=T0 + hours(2))
    assert closed.status == "closed" and closed.closed_at == T0 + hours(2)
    assert closed.outcome == "not_found"  # kept for the statistics
    with pytest.raises(ApplicationError) as caught:
        services.notice_close(notice=notice, actor=f.STAFF, reason="again")
    assert caught.value.code == "notice_closed"
    assert _actions(notice)[-1] == "notice.close"


def test_actor_must_be_an_actor_or_staff():
    notice = f.notice()
    with pytest.raises(TypeError):
        services.notice_close(notice=notice, actor="bob", reason="x")
