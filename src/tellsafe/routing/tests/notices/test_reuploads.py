"""Re-uploads: the same URL or media hash after a partner removed it."""

from __future__ import annotations

import pytest

from tellsafe.cases.models import ContentItem
from tellsafe.core.models import AuditEvent
from tellsafe.routing.notices import payload, reuploads, services
from tellsafe.routing.notices.models import Reupload
from tellsafe.routing.tests.notices import factories as f
from tellsafe.routing.tests.notices.factories import T0, hours

pytestmark = pytest.mark.django_db
URL = "https://files.example.net/album/again.jpg"


def _removed(item, to=None):
    notice = f.sent_notice(item, to)
    return services.notice_record_response(
        notice=notice, outcome="removed", reason="", via="api", actor=f.STAFF, now=T0 + hours(5)
    )


def test_same_url_after_removal_is_flagged_once():
    to = f.partner()
    earlier = _removed(f.url_item(URL), to)
    again = f.url_item(URL)
    assert reuploads.check_reupload(again, now=T0 + hours(48)) == earlier
    flag = Reupload.objects.get(content_item=again)
    assert (flag.partner_id, flag.host, flag.detected_at) == (
        to.pk,
        "files.example.net",
        T0 + hours(48),
    )
    assert reuploads.check_reupload(again) == earlier  # idempotent
    assert Reupload.objects.count() == 1
    assert AuditEvent.objects.filter(action="content.reupload").count() == 1
    # the notice about the new item points to the earlier one, and says so
    later = f.notice(again, to)
    assert later.earlier_notice == earlier
    assert payload.notice_payload(later)["earlier_notice"] == earlier.reference


def test_nothing_when_the_earlier_notice_did_not_end_removed():
    refused = f.sent_notice(f.url_item(URL))
    services.notice_record_response(
        notice=refused, outcome="refused", reason="lawful", via="api", actor=f.STAFF
    )
    f.sent_notice(f.url_item("https://files.example.net/other.jpg"))  # still open
    assert reuploads.check_reupload(f.url_item(URL)) is None
    assert reuploads.check_reupload(f.url_item("https://files.example.net/other.jpg")) is None
    assert not Reupload.objects.exists()


def test_the_item_itself_is_not_its_own_reupload():
    item = f.url_item(URL)
    _removed(item)
    assert reuploads.check_reupload(item) is None


def test_media_hashes():
    digest = "ab" * 32
    earlier = _removed(f.media_item(sha256=digest, md5="cd" * 16))
    assert reuploads.check_reupload(f.media_item(sha256=digest.upper())) == earlier
    # an earlier item known by MD5 only is found by a new item's MD5
    md5_only = _removed(f.media_item(sha256="", md5="ee" * 16))
    assert md5_only.content_key == "md5:" + "ee" * 16
    assert reuploads.check_reupload(f.media_item(md5="ee" * 16)) == md5_only
    assert reuploads.check_reupload(f.media_item()) is None


def test_a_media_item_and_a_link_never_match():
    link = f.url_item(URL)
    _removed(link)
    media = f.media_item()
    ContentItem.objects.filter(pk=media.pk).update(url_hash=link.url_hash)
    media.refresh_from_db()
    assert reuploads.check_reupload(media) is None


def test_only_stored_items():
    with pytest.raises(TypeError):
        reuploads.check_reupload("https://files.example.net/x")
