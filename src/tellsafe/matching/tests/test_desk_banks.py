"""The banks in the desk: who may see and decide, and the review decisions."""

from __future__ import annotations

import random

import pytest
from django.urls import reverse

from tellsafe.accounts.tests.factories import login, staff
from tellsafe.core.models import AuditEvent
from tellsafe.matching.models import BankHash
from tellsafe.matching.tests.factories import add, bank, pdq_hex

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "counsellor", "analyst", "supervisor", "administrator", "auditor"]
VIEW = {"analyst", "supervisor"}


def _hash():
    b = bank("self", review_required=True)
    add(b, pdq_hex(random.Random(1)))
    return BankHash.objects.get()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("name", "method"), [("banks:list", "get"), ("banks:review", "get"), ("banks:decide", "post")]
)
def test_bank_desk_matrix(client, role, name, method):
    row = _hash()
    url = reverse(name, args=[row.pk]) if name == "banks:decide" else reverse(name)
    if role != "anonymous":
        login(client, staff(role))
    response = getattr(client, method)(url, {"action": "confirm"} if method == "post" else None)
    if role == "anonymous":
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif role in VIEW:
        assert response.status_code in (200, 302)
    else:
        assert response.status_code == 403
        row.refresh_from_db()
        assert row.status == BankHash.Status.PENDING


def test_review_page_lists_pending_hashes_with_other_matches_and_decides(client):
    row = _hash()
    other = bank("iwf-list")
    add(other, row.value)
    login(client, staff("analyst"))
    page = client.get(reverse("banks:review")).content.decode()
    assert row.value in page and "iwf-list" in page
    url = reverse("banks:decide", args=[row.pk])
    client.post(url, {"action": "reject"})  # no reason: refused
    row.refresh_from_db()
    assert row.status == BankHash.Status.PENDING
    client.post(url, {"action": "confirm"})
    row.refresh_from_db()
    assert row.status == BankHash.Status.ACTIVE and row.confirmed_at
    assert AuditEvent.objects.filter(action="bank.hashes_confirm", actor_kind="staff").exists()
    assert row.value not in client.get(reverse("banks:review")).content.decode()


def test_bank_list_shows_counts(client):
    _hash()
    login(client, staff("supervisor"))
    page = client.get(reverse("banks:list")).content.decode()
    assert "self" in page and "Pending" in page
