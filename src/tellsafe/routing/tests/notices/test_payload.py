"""A notice carries only URLs, hashes, the basis and our reference: never content, never
anything about the reporter or the case."""

from __future__ import annotations

import json

import pytest
from django.core import mail

from tellsafe.cases.models import ContentItem
from tellsafe.core import crypto
from tellsafe.intake.tests.factories import make_report
from tellsafe.routing.notices import payload
from tellsafe.routing.tests.notices import factories as f

pytestmark = pytest.mark.django_db

# Every key a payload may have, at every level. A new key must be added here on purpose.
ALLOWED = {
    "": {
        "schema",
        "id",
        "reference",
        "kind",
        "basis",
        "content",
        "sent_at",
        "reminders_sent",
        "earlier_notice",
        "status",
    },
    "basis": {"category", "category_name", "xarf_type", "legal_basis", "legal_reference"},
    "content": {"type", "url", "host", "media_type", "hashes"},
    "content.hashes": {"sha256", "md5", "pdq"},
}


def _keys(document, path=""):
    found = {path: set(document)}
    for key, value in document.items():
        if isinstance(value, dict):
            found.update(_keys(value, f"{path}.{key}".lstrip(".")))
    return found


def _item_of_a_report_with_everything(url="https://files.example.net/a/1.jpg"):
    """A URL item of a report that has a narrative, a contact and a reference."""
    created = make_report(
        details=f.NARRATIVE,
        contact={"kind": "email", "value": f.REPORTER_EMAIL},
        urls=[url],
    )
    report = created.report
    item = ContentItem.objects.create(
        case=report.case,
        report=report,
        url=url,
        url_hash=crypto.keyed_hash(url, "url"),
        host="files.example.net",
        created_at=f.T0,
    )
    return item, report


def _forbidden(report):
    return [f.NARRATIVE, "Zq7narrative", f.REPORTER_EMAIL, report.reference, "sextortion"]


def test_url_payload_has_only_the_allowed_keys_and_no_reporter_data():
    item, report = _item_of_a_report_with_everything()
    notice = f.notice(item)
    document = payload.notice_payload(notice)
    keys = _keys(document)
    for path, names in keys.items():
        assert names <= ALLOWED[path], (path, names - ALLOWED[path])
    assert document["content"] == {
        "type": "url",
        "url": "https://files.example.net/a/1.jpg",
        "host": "files.example.net",
    }
    assert document["reference"] == notice.reference
    assert document["basis"]["category"] == "csam"
    assert document["basis"]["legal_basis"] == "national"
    text = json.dumps(document)
    for secret in _forbidden(report):
        assert secret not in text
    # nothing of the case either: its id is not the notice's business
    assert '"case' not in text and "report" not in text


def test_media_payload_carries_hashes_only():
    item = f.media_item(sha256="ab" * 32, md5="cd" * 16, pdq="ef" * 32)
    document = payload.notice_payload(f.notice(item))
    assert document["content"] == {
        "type": "media",
        "media_type": "image",
        "hashes": {"sha256": "ab" * 32, "md5": "cd" * 16, "pdq": "ef" * 32},
    }
    assert item.url_hash not in json.dumps(document)  # the provider reference's hash


def test_email_and_webhook_carry_nothing_more(server):
    item, report = _item_of_a_report_with_everything()
    by_mail = f.sent_notice(item, f.partner("email"))
    by_hook = f.sent_notice(f.url_item("https://files.example.net/b.jpg"), f.partner("webhook"))
    message = mail.outbox[-1]
    attachment = json.loads(message.attachments[0][1])
    assert attachment == payload.notice_payload(by_mail)
    words = message.subject + message.body + json.dumps(attachment)
    for secret in _forbidden(report):
        assert secret not in words
    assert "https://files.example.net/a/1.jpg" in message.body
    assert payload.link_url(by_mail) in message.body
    body = server.bodies()[-1]
    assert set(body) == {"event", "sequence", "notice", "confirm_url"}
    assert body["notice"] == payload.notice_payload(by_hook)
    assert body["confirm_url"] == payload.link_url(by_hook)
    assert f.PartnerServer.signature_valid(server.requests[-1])


def test_the_secure_link_token_is_stored_only_as_a_hash():
    notice = f.notice()
    token = payload.link_token(notice)
    assert len(token) == 64
    assert notice.token_hash == payload.token_hash(token) != token
    stored = json.dumps(
        {k: str(v) for k, v in vars(type(notice).objects.get(pk=notice.pk)).items()}
    )
    assert token not in stored
