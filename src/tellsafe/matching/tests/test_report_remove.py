"""Report Remove without a browser: the pages, the service, withdrawal, and sharing."""

from __future__ import annotations

import random
import re

import pytest
from django.urls import reverse

from tellsafe.core.models import AuditEvent
from tellsafe.intake.models import Channel, Report
from tellsafe.matching import services
from tellsafe.matching.lookup import Query, Viewer, lookup
from tellsafe.matching.models import Bank, BankHash
from tellsafe.matching.report_remove import BANK_NAME
from tellsafe.matching.tests.factories import SYSTEM, add, bank, pdq_hex

pytestmark = pytest.mark.django_db

URL = "/remove/"


def _hashes(seed: int = 1) -> dict[str, str]:
    rng = random.Random(seed)
    return {
        "pdq": pdq_hex(rng),
        "quality": "100",
        "md5": f"{rng.getrandbits(128):032x}",
        "sha256": f"{rng.getrandbits(256):064x}",
    }


def _submit(client, audience="13_15", **hashes):
    return client.post(URL, {"for": audience, **(hashes or _hashes())})


def test_the_page_asks_who_first_and_works_without_javascript(client):
    page = client.get(URL).content.decode()
    assert 'name="for"' in page and 'value="helper"' in page
    page = client.get(URL, {"for": "9_12"}).content.decode()
    # Without JavaScript: the explanation and other ways to get help, never an upload.
    assert "<noscript>" in page and reverse("intake:who") in page
    [file_input] = re.findall(r"<input[^>]*type=\"file\"[^>]*>", page)
    assert " name=" not in file_input
    assert 'enctype="multipart/form-data"' not in page
    assert "hash.js" in page


def test_submitting_hashes_makes_a_report_and_pending_bank_entries(client):
    hashes = _hashes()
    response = _submit(client, **hashes)
    assert response.status_code == 302 and response["Location"] == reverse("matching:remove_done")
    done = client.get(response["Location"]).content.decode()
    report = Report.objects.get()
    assert report.channel == Channel.REPORT_REMOVE and report.reference in done
    assert report.age_band == "13_15" and report.reporter_kind == "child"
    assert list(report.categories.values_list("code", flat=True)) == ["self_generated"]
    rows = {r.hash_type: r for r in BankHash.objects.filter(report=report)}
    assert {t: r.value for t, r in rows.items()} == {t: hashes[t] for t in ("pdq", "md5", "sha256")}
    assert all(r.status == BankHash.Status.PENDING for r in rows.values())
    assert rows["pdq"].quality == 100
    bank_ = Bank.objects.get(name=BANK_NAME)
    assert bank_.review_required and bank_.source == Bank.Source.SELF_REPORTED


def test_self_reported_hashes_match_at_once_but_are_not_actionable(client):
    hashes = _hashes(2)
    known = bank()
    add(known, hashes["pdq"])
    _submit(client, **hashes)
    [answer] = lookup([Query("pdq", hashes["pdq"])], viewer=Viewer.staff(), count=False)
    by_bank = {m.bank: m for m in answer.matches}
    assert by_bank[BANK_NAME].status == "pending" and not by_bank[BANK_NAME].actionable
    assert by_bank["iwf-list"].actionable


@pytest.mark.parametrize(
    "bad",
    [
        {"pdq": "123"},
        {"md5": "not hex at all"},
        {"sha256": ""},
        {"quality": "101"},
        {"quality": "lots"},
    ],
)
def test_bad_hashes_are_refused_with_a_kind_message_and_nothing_saved(client, bad):
    response = _submit(client, **{**_hashes(), **bad})
    assert response.status_code == 422
    assert "choose it again" in response.content.decode()
    assert not Report.objects.exists() and not BankHash.objects.exists()


def test_posting_without_hashes_as_a_browser_without_javascript_would(client):
    response = client.post(URL, {"for": "9_12"})
    assert response.status_code == 422 and not Report.objects.exists()


def test_withdrawal_removes_hashes_from_matching_and_downloads(client):
    from tellsafe.partners.tests.factories import api_key, partner

    _submit(client, **_hashes(3))
    report = Report.objects.get()
    codes = client.session["report_remove_done"]
    # An analyst confirms; the partner downloads it; the child withdraws.
    isp = partner(name="ISP")
    services.bank_share(bank=Bank.objects.get(name=BANK_NAME), partner=isp, actor=SYSTEM)
    services.hashes_review(
        bank_hashes=BankHash.objects.filter(report=report), confirm=True, actor=SYSTEM
    )
    _, key = api_key(partner=isp, scopes=["banks:read"])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    first = client.get(f"/api/v1/banks/{BANK_NAME}/hashes", **auth).json()
    assert len(first["hashes"]) == 3
    wrong = client.post(
        reverse("matching:remove_withdraw"),
        {"reference": codes["reference"], "passphrase": "WRONG-WORDS-HERE"},
    )
    assert wrong.status_code == 404
    assert BankHash.objects.filter(status="active").count() == 3
    right = client.post(
        reverse("matching:remove_withdraw"),
        {"reference": codes["reference"], "passphrase": codes["passphrase"]},
    )
    assert right.status_code == 200 and "stopped using" in right.content.decode()
    assert set(BankHash.objects.values_list("status", flat=True)) == {"removed"}
    pdq = BankHash.objects.get(hash_type="pdq").value
    assert lookup([Query("pdq", pdq)], viewer=Viewer.staff(), count=False)[0].matches == []
    later = client.get(
        f"/api/v1/banks/{BANK_NAME}/hashes", {"since": first["checkpoint"]}, **auth
    ).json()
    assert len(later["hashes"]) == 3 and all(h["removed_at"] for h in later["hashes"])
    event = AuditEvent.objects.get(action="bank.self_report_withdraw")
    assert event.actor_kind == "reporter"


def test_the_pages_speak_the_chosen_language(client):
    client.get("/lang/ur/")
    page = client.get(URL, {"for": "9_12"}).content.decode()
    assert 'dir="rtl"' in page


def test_the_self_reported_bank_made_by_someone_else_meanwhile_is_used(monkeypatch):
    from tellsafe.matching import report_remove
    from tellsafe.matching.tests.factories import bank as make_bank

    existing = make_bank(BANK_NAME, source=Bank.Source.SELF_REPORTED, legal_scope="none")
    real_filter = Bank.objects.filter
    calls = []

    def first_lookup_misses(*args, **kwargs):
        calls.append(kwargs)
        return Bank.objects.none() if len(calls) == 1 else real_filter(*args, **kwargs)

    monkeypatch.setattr(Bank.objects, "filter", first_lookup_misses)
    assert report_remove.self_reported_bank() == existing
