"""Chat media: nothing is ever written to disk, and the case page shows the hashes, the
matches and the errors."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tellsafe.accounts.tests.factories import login, staff
from tellsafe.cases.models import ContentItem
from tellsafe.intake import media
from tellsafe.intake.tasks import hash_chat_media
from tellsafe.intake.tests.media_helpers import (
    PDF,
    chat_report,
    demo,
    jpeg,
    media_items,
    pdq_of,
    wa_item,
)
from tellsafe.matching.tests.factories import add, flip
from tellsafe.matching.tests.factories import bank as make_bank

# --- nothing at rest ------------------------------------------------------------------------

_writes: list[tuple[str, ...]] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _writes is None:
        return
    if event.startswith("tempfile."):
        _writes.append((event,))
    elif event == "open":
        path, mode, flags = [*args, None, None, None][:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
        )
        # The SQLite write-queue lock (core.db) is an empty file that holds no data.
        if writing and not str(path).endswith(".write-lock"):
            _writes.append((event, str(path), str(mode)))


sys.addaudithook(_audit)  # watches only while a test sets _writes


@pytest.mark.django_db
def test_media_are_never_written_to_disk(apis):
    global _writes
    picture = jpeg(seed=10, size=(640, 480))
    apis.files["29"] = picture
    apis.files["30"] = PDF
    report = chat_report([wa_item("29"), wa_item("30", mime="application/pdf")])
    _writes = []
    try:
        assert hash_chat_media.call(report.pk)["hashed"] == 2
        seen = list(_writes)
    finally:
        _writes = None
    assert seen == []  # no file, no temporary file: the bytes lived in memory only
    for item in media_items(report):
        fields = ContentItem._meta.concrete_fields
        kept = json.dumps([getattr(item, f.attname) for f in fields], default=str)
        assert len(kept) < 4000 and "JFIF" not in kept and "PDF-" not in kept


# --- the case page ------------------------------------------------------------------------


def _case_page_queries(client, case_id: int) -> tuple[str, int]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/desk/cases/{case_id}/")
    assert response.status_code == 200
    count = len(
        [
            q
            for q in ctx.captured_queries
            if "django_session" not in q["sql"] and "SAVEPOINT" not in q["sql"]
        ]
    )
    return response.content.decode(), count


@pytest.mark.django_db
def test_the_case_page_shows_hashes_matches_and_errors(client, apis):
    picture = jpeg(seed=11)
    value = pdq_of(picture)
    add(make_bank("iwf-list"), flip(value, [1, 2]))
    apis.files["31"] = picture
    apis.files["32"] = jpeg(seed=12)
    report = chat_report([wa_item("31"), wa_item("32"), wa_item("33")])  # 33: expired
    login(client, staff("counsellor"))
    html, _count = _case_page_queries(client, report.case_id)
    assert html.count("waiting to be fetched and hashed") == 3
    hash_chat_media.call(report.pk)
    html, few = _case_page_queries(client, report.case_id)
    assert f'<code title="{value}">{value[:16]}…</code>' in html
    item = media_items(report)[0]
    assert f"quality {item.pdq_quality}" in html
    assert f'title="{item.sha256}"' in html and f'title="{item.md5}"' in html
    assert "matches bank <b>iwf-list</b> (PDQ, distance 2)" in html
    assert ">actionable</b>" in html
    assert "no match in any bank" in html
    assert "could not fetch or hash it (http_404)" in html
    assert "JFIF" not in html
    # More media, the same number of queries.
    apis.files.update({str(n): jpeg(seed=n) for n in range(40, 45)})
    media.media_received(
        report=report,
        channel_id=demo("whatsapp").pk,
        items=[wa_item(str(n)) for n in range(40, 45)],
    )
    hash_chat_media.call(report.pk)
    html, more = _case_page_queries(client, report.case_id)
    assert html.count("Image</b> sent in the chat") == 8
    assert more == few


@pytest.mark.django_db
def test_the_case_page_says_rotated_and_not_actionable(client, apis):
    square = (256, 256)
    add(make_bank("iwf-list"), pdq_of(jpeg(seed=13, size=square)), quality=30)  # too flat
    apis.files["34"] = jpeg(seed=13, rotate=True, size=square)
    report = chat_report([wa_item("34")])
    hash_chat_media.call(report.pk)
    login(client, staff("counsellor"))
    html, _count = _case_page_queries(client, report.case_id)
    assert "rotated/mirrored (" in html
    assert "not actionable" in html and ">actionable</b>" not in html
