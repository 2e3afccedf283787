import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from tellsafe.core import audit
from tellsafe.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _write(n):
    for i in range(n):
        with transaction.atomic():
            audit.record(
                actor=audit.Actor("staff", "7"),
                action="case.view",
                object_type="case",
                object_id=i,
                data={"n": i},
            )


def test_chain_verifies():
    _write(5)
    assert audit.verify() == (5, None)
    call_command("audit_verify")


def test_edited_event_is_found():
    _write(5)
    AuditEvent.objects.filter(seq=3).update(action="case.close")
    checked, broken = audit.verify()
    assert (checked, broken.seq) == (2, 3)
    with pytest.raises(CommandError, match="#3"):
        call_command("audit_verify")


def test_deleted_event_is_found():
    _write(5)
    AuditEvent.objects.filter(seq=2).delete()
    _, broken = audit.verify()
    assert broken.seq == 2 and "missing" in broken.problem


def test_rewritten_tail_is_found():
    _write(3)
    event = AuditEvent.objects.get(seq=3)
    event.data = {"n": 99}
    event.save()
    _, broken = audit.verify()
    assert broken.seq == 3


@pytest.mark.django_db(transaction=True)
def test_record_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError):
        audit.record(actor=audit.Actor.system(), action="x", object_type="y", object_id=1)


def test_data_with_non_string_keys_still_verifies():
    with transaction.atomic():
        audit.record(
            actor=audit.Actor.system(),
            action="x",
            object_type="y",
            object_id=1,
            data={2: "a", 10: ["b"]},
        )
    assert audit.verify() == (1, None)
