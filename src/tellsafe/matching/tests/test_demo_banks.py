"""The demo banks: a newcomer's key finds the demo picture, and a rerun adds nothing."""

from __future__ import annotations

import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tellsafe.matching.models import Bank, BankHash

pytestmark = pytest.mark.django_db


def test_demo_key_matches_the_demo_picture(client, settings, tmp_path):
    settings.DATA_DIR = tmp_path
    out = io.StringIO()
    call_command("demo", stdout=out)
    key = re.search(r"tsk_[a-z0-9]+_[A-Za-z0-9_-]+", out.getvalue()).group(0)
    picture = (tmp_path / "demo" / "demo-known.png").read_bytes()
    response = client.post(
        "/api/v1/hashes",
        {"file": SimpleUploadedFile("demo.png", picture), "match": "true"},
        HTTP_AUTHORIZATION=f"Bearer {key}",
    )
    matches = response.json()["match"]["matches"]
    assert {(m["bank"], m["type"], m["distance"]) for m in matches} == {
        ("demo-known", "pdq", 0),
        ("demo-known", "md5", 0),
    }
    count = BankHash.objects.count()
    call_command("demo", stdout=io.StringIO())
    assert BankHash.objects.count() == count and Bank.objects.count() == 2
