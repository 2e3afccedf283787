"""Pictures and files sent in chats: downloaded into memory from each provider's real
media API, hashed, dropped, looked up against the banks and attached to the case.

The providers are a transport double (core.http.set_transport) that records every request
with its headers and serves the media, so the tests check the URLs and credentials of
each exchange. The pictures are generated, never stored."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from django.test import override_settings

from tellsafe.core.models import AuditEvent
from tellsafe.intake import media
from tellsafe.intake.demo_channels import SIMULATOR
from tellsafe.intake.models import InboundMessage, Report
from tellsafe.intake.tasks import hash_chat_media
from tellsafe.intake.tests import channel_helpers as h
from tellsafe.intake.tests.factories import make_report
from tellsafe.intake.tests.media_helpers import (
    LOOKASIDE,
    PDF,
    SEQ,
    TG_TOKEN,
    TWILIO_CDN,
    TWILIO_SID,
    WA_TOKEN,
    chat_report,
    demo,
    jpeg,
    media_items,
    pdq_of,
    wa_item,
)
from tellsafe.matching.tests.factories import add, flip
from tellsafe.matching.tests.factories import bank as make_bank

# --- each provider, end to end ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_whatsapp_picture_is_hashed_matched_and_attached(client, apis):
    picture = jpeg(seed=1)
    value = pdq_of(picture)
    add(make_bank("iwf-list"), flip(value, [3, 70, 200]))
    apis.files["1234567890"] = picture
    assert h.wa_post(client, h.wa_text("hi")).status_code == 200
    h.drain()
    image = {
        "id": "1234567890",
        "mime_type": "image/jpeg",
        "sha256": base64.b64encode(hashlib.sha256(picture).digest()).decode(),
        "caption": "he keeps sending me this picture of me",
    }
    assert h.wa_post(client, h.wa_payload({"type": "image", "image": image})).status_code == 200
    h.drain()  # the flow makes the report; its media task runs after the commit

    report = Report.objects.get()
    [item] = media_items(report)
    assert item.case_id == report.case_id and item.url == "" and item.media_type == "image"
    assert item.pdq == value and 0 < item.pdq_quality <= 100
    assert item.md5 == hashlib.md5(picture, usedforsecurity=False).hexdigest()
    assert item.sha256 == hashlib.sha256(picture).hexdigest()
    assert item.fetch_error == "" and item.media_ref == ""
    [match] = item.match_summary["matches"]
    assert match["bank"] == "iwf-list" and match["hash_type"] == "pdq"
    assert match["distance"] == 3 and match["variant"] == "original"
    assert match["actionable"] is True and item.match_summary["actionable"] is True
    # The Graph API's two steps, both with the access token, for our number only.
    lookup_request, download_request = apis.requests
    assert lookup_request.method == "GET"
    assert lookup_request.url.path == "/v21.0/1234567890"
    assert str(lookup_request.url).startswith(SIMULATOR)
    assert lookup_request.url.params["phone_number_id"] == "100000000000001"
    assert lookup_request.headers["authorization"] == f"Bearer {WA_TOKEN}"
    assert str(download_request.url).startswith(LOOKASIDE + "?mid=1234567890")
    assert download_request.headers["authorization"] == f"Bearer {WA_TOKEN}"
    assert AuditEvent.objects.filter(
        action="content.media_hashed", object_id=str(report.case_id)
    ).exists()


@pytest.mark.django_db(transaction=True)
def test_twilio_mms_is_fetched_with_basic_auth_and_followed_without_it(client, apis):
    picture = jpeg(seed=2)
    apis.files["ME0123456789abcdef0123456789abcdef"] = picture
    h.twilio_post(client, h.sms("hi"))
    h.drain()
    media_url = (
        f"{SIMULATOR}/2010-04-01/Accounts/{TWILIO_SID}/Messages/"
        "MM0123456789abcdef0123456789abcdef/Media/ME0123456789abcdef0123456789abcdef"
    )
    mms = h.sms("he sent me this picture last night")
    mms.update(NumMedia="1", MediaContentType0="image/jpeg", MediaUrl0=media_url)
    assert h.twilio_post(client, mms).status_code == 200
    h.drain()

    [item] = media_items(Report.objects.get())
    assert item.pdq == pdq_of(picture) and item.sha256 == hashlib.sha256(picture).hexdigest()
    assert item.match_summary == {"matches": [], "actionable": False, "suppressed": False}
    api_request, store_request = apis.requests
    assert str(api_request.url) == media_url
    expected = base64.b64encode(f"{TWILIO_SID}:demo-auth-token".encode()).decode()
    assert api_request.headers["authorization"] == f"Basic {expected}"
    # The media store's signed link is another origin: the credentials stay home.
    assert str(store_request.url) == f"{TWILIO_CDN}ME0123456789abcdef0123456789abcdef"
    assert "authorization" not in store_request.headers


@pytest.mark.django_db(transaction=True)
def test_telegram_photo_uses_getfile_then_the_file_url(client, apis):
    picture = jpeg(seed=3)
    apis.files["photos/file_BIG1.jpg"] = picture
    h.tg_post(client, h.tg_text("hi"))
    h.drain()
    n = next(SEQ)
    update = h.tg_text("")
    del update["message"]["text"]
    update["message"].update(
        caption="someone posted this photo of me online",
        photo=[
            {"file_id": "AgACsmall", "file_unique_id": "AQADs", "file_size": 900},
            {
                "file_id": "AgACAgIAAxkBAAIBZ2BIG1",
                "file_unique_id": f"AQADbig{n}",
                "file_size": len(picture),
            },
        ],
    )
    assert h.tg_post(client, update).status_code == 200
    h.drain()

    [item] = media_items(Report.objects.get())
    assert item.pdq == pdq_of(picture) and item.media_type == "image"
    get_file, download_request = apis.requests
    assert get_file.method == "POST" and get_file.url.path == f"/bot{TG_TOKEN}/getFile"
    assert json.loads(get_file.content) == {"file_id": "AgACAgIAAxkBAAIBZ2BIG1"}  # the largest
    assert str(download_request.url) == f"{SIMULATOR}/file/bot{TG_TOKEN}/photos/file_BIG1.jpg"


@pytest.mark.django_db(transaction=True)
@override_settings(  # what an email hook must accept to receive attachments at all
    BODY_LIMITS_BY_PATH={"/hooks/email/demo/": 1024 * 1024},
    DATA_UPLOAD_MAX_MEMORY_SIZE=1024 * 1024,
)
def test_email_attachments_are_hashed_in_the_webhook_and_never_downloaded(client, apis):
    picture = jpeg(seed=4)
    add(
        make_bank("ncmec-md5"), hashlib.md5(PDF, usedforsecurity=False).hexdigest(), hash_type="md5"
    )
    mail = {
        "message_id": "<m1@mail.example>",
        "from": "Asha <asha@mail.example>",
        "subject": "help",
        "text": "Someone is sending these to everyone in my class.",
        "attachments": [
            {"content_type": "image/jpeg", "content": base64.b64encode(picture).decode()},
            {"content_type": "application/pdf", "content": base64.b64encode(PDF).decode()},
            {"content_type": "image/png", "content": "not base64 at all!"},
        ],
    }
    assert h.email_post(client, mail).status_code == 200
    # Only hashes went on: the recorded message holds none of the bytes.
    event = InboundMessage.objects.get().event
    assert base64.b64encode(picture).decode()[:200] not in event
    assert base64.b64encode(PDF).decode()[:40] not in event
    assert pdq_of(picture) in event
    h.drain()

    image, document, broken = media_items(Report.objects.get())
    assert apis.requests == []  # nothing to download
    assert image.pdq == pdq_of(picture) and image.media_type == "image"
    assert document.media_type == "document" and document.pdq == ""
    assert document.md5 == hashlib.md5(PDF, usedforsecurity=False).hexdigest()
    [match] = document.match_summary["matches"]
    assert match["bank"] == "ncmec-md5" and match["hash_type"] == "md5" and match["distance"] == 0
    assert broken.fetch_error == "unreadable" and broken.md5 == ""


# --- what comes back from the providers -------------------------------------------------------


@pytest.mark.django_db
def test_rotated_copy_of_a_bank_picture_matches_as_a_variant(apis):
    square = (256, 256)  # a square picture turned a quarter keeps its shape
    add(make_bank("iwf-list"), pdq_of(jpeg(seed=5, size=square)))
    apis.files["21"] = jpeg(seed=5, rotate=True, size=square)
    report = chat_report([wa_item("21")])
    assert hash_chat_media.call(report.pk) == {"hashed": 1, "failed": 0, "retry": 0}
    [match] = media_items(report)[0].match_summary["matches"]
    assert match["variant"] != "original" and match["distance"] <= 31
    assert match["actionable"] is True


@pytest.mark.django_db
def test_a_file_that_is_not_an_image_keeps_exact_hashes_only(apis):
    add(make_bank("ncmec-md5"), hashlib.sha256(PDF).hexdigest(), hash_type="sha256")
    apis.files["22"] = PDF
    report = chat_report([wa_item("22", mime="application/pdf")])
    hash_chat_media.call(report.pk)
    [item] = media_items(report)
    assert item.media_type == "document" and item.pdq == "" and item.pdq_quality is None
    assert item.md5 == hashlib.md5(PDF, usedforsecurity=False).hexdigest()
    assert item.sha256 == hashlib.sha256(PDF).hexdigest()
    [match] = item.match_summary["matches"]
    assert match["hash_type"] == "sha256" and match["bank"] == "ncmec-md5"


@pytest.mark.django_db
@override_settings(HASH_UPLOAD_MAX_BYTES=10_000)
def test_an_oversized_file_is_refused_without_reading_it_all(apis):
    apis.files["23"] = PDF * 500  # about 45 KB, streamed with no length given
    apis.chunk = 1000
    report = chat_report([wa_item("23", mime="video/mp4")])
    apis.declared_size = 5_000  # the provider understates the size: the stream is capped
    assert hash_chat_media.call(report.pk)["failed"] == 1
    [item] = media_items(report)
    assert item.fetch_error == "too_large" and item.md5 == "" and item.match_summary is None
    assert apis.chunks_sent <= 11  # stopped just past the cap, not at the end
    # A size the provider declares too big is refused before any download.
    apis.declared_size = 50_000
    apis.requests.clear()
    second = chat_report([wa_item("23")])
    hash_chat_media.call(second.pk)
    assert media_items(second)[0].fetch_error == "too_large"
    assert [r.url.path for r in apis.requests] == ["/v21.0/23"]


@pytest.mark.django_db
def test_a_provider_error_is_retried_then_recorded(apis):
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    apis.files["24"] = jpeg(seed=6)
    apis.failures = [503]
    report = chat_report([wa_item("24")])
    assert hash_chat_media.call(report.pk) == {"hashed": 0, "failed": 0, "retry": 1}
    assert media_items(report)[0].media_pending
    retry = DBTaskResult.objects.get(status="READY", task_path__endswith="hash_chat_media")
    assert retry.run_after > timezone.now() and retry.args_kwargs["kwargs"] == {"attempt": 2}
    # The provider is back for the second attempt.
    assert hash_chat_media.call(report.pk, attempt=2)["hashed"] == 1

    apis.failures = [503] * 10
    down = chat_report([wa_item("25")])
    apis.files["25"] = jpeg(seed=7)
    assert hash_chat_media.call(down.pk, attempt=media.ATTEMPTS) == {
        "hashed": 0,
        "failed": 1,
        "retry": 0,
    }
    [item] = media_items(down)
    assert item.fetch_error == "http_503" and not item.media_pending and item.media_ref == ""
    assert AuditEvent.objects.filter(action="content.media_failed").count() == 1


@pytest.mark.django_db
def test_an_unreachable_provider_is_retried_like_an_error(apis):
    apis.unreachable = True
    report = chat_report([wa_item("35")])
    assert hash_chat_media.call(report.pk) == {"hashed": 0, "failed": 0, "retry": 1}
    hash_chat_media.call(report.pk, attempt=media.ATTEMPTS)
    assert media_items(report)[0].fetch_error == "network_error"


@pytest.mark.django_db
def test_telegram_refuses_files_over_its_bot_limit(apis):
    apis.failures = [400]
    report = chat_report(
        [{"provider_media_id": "AQADx", "mime": "video/mp4", "file_id": "BAACAgI", "size": 0}],
        plugin="telegram",
    )
    hash_chat_media.call(report.pk)
    assert media_items(report)[0].fetch_error == "too_large"  # over the Bot API's 20 MB
    too_big = chat_report(
        [{"provider_media_id": "AQADy", "mime": "video/mp4", "file_id": "BAACAgJ", "size": 10**9}],
        plugin="telegram",
    )
    hash_chat_media.call(too_big.pk)
    assert media_items(too_big)[0].fetch_error == "too_large"
    assert len(apis.requests) == 1  # the declared size was enough to refuse it


@pytest.mark.django_db
def test_expired_media_is_recorded_at_once_without_retrying(apis):
    report = chat_report([wa_item("26")])  # the double has no such media: 404
    assert hash_chat_media.call(report.pk) == {"hashed": 0, "failed": 1, "retry": 0}
    assert media_items(report)[0].fetch_error == "http_404"


@pytest.mark.django_db
def test_a_bad_reference_never_sends_the_credentials_anywhere(apis):
    report = chat_report(
        [
            {"provider_media_id": "../../me/accounts", "mime": "image/jpeg", "sha256": ""},
            {"provider_media_id": "https://evil.example/x", "mime": "image/jpeg"},
        ]
    )
    hash_chat_media.call(report.pk)
    assert [i.fetch_error for i in media_items(report)] == ["bad_media_reference"] * 2
    twilio = chat_report(
        [{"provider_media_id": "ME2", "mime": "image/jpeg", "url": "https://evil.example/x"}],
        plugin="twilio",
    )
    hash_chat_media.call(twilio.pk)
    assert media_items(twilio)[0].fetch_error == "bad_media_reference"
    assert apis.requests == []


@pytest.mark.django_db
def test_hashing_is_idempotent(apis, django_capture_on_commit_callbacks):
    apis.files["27"] = jpeg(seed=8)
    report = make_report(channel="whatsapp").report
    channel_id = demo("whatsapp").pk
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert media.media_received(report=report, channel_id=channel_id, items=[wa_item("27")])
    assert len(queued) == 1  # the task is queued when the report's transaction commits
    # The same media again (a redelivery, a second call) is not a second item.
    assert media.media_received(report=report, channel_id=channel_id, items=[wa_item("27")]) == 0
    hash_chat_media.call(report.pk)
    before = len(apis.requests)
    assert hash_chat_media.call(report.pk) == {"hashed": 0, "failed": 0, "retry": 0}
    assert len(apis.requests) == before  # nothing fetched twice
    assert len(media_items(report)) == 1
    assert AuditEvent.objects.filter(action="content.media_hashed").count() == 1


@pytest.mark.django_db
def test_lost_tasks_are_swept_up(apis):
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    apis.files["28"] = jpeg(seed=9)
    report = chat_report([wa_item("28")])
    assert media.sweep_pending() == 0  # still fresh: its own task will come
    later = timezone.now() + media.SWEEP_AFTER + timedelta(minutes=1)
    assert media.sweep_pending(now=later) == 1
    queued = DBTaskResult.objects.get(task_path__endswith="hash_chat_media")
    assert queued.args_kwargs == {"args": [report.pk], "kwargs": {"attempt": media.ATTEMPTS}}
    hash_chat_media.call(report.pk, attempt=media.ATTEMPTS)
    assert media_items(report)[0].match_summary is not None
    assert media.sweep_pending(now=later) == 0
