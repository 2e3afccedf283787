"""The known-content API: POST /hashes, POST /match, GET /banks/{name}/hashes."""

from __future__ import annotations

import hashlib
import json
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellsafe.accounts.models import Role
from tellsafe.accounts.tests.factories import login, staff
from tellsafe.core.models import AuditEvent
from tellsafe.matching import hashing, services
from tellsafe.matching.models import BankHash
from tellsafe.matching.tests import images
from tellsafe.matching.tests.factories import SYSTEM, add, bank, flip, pdq_hex
from tellsafe.partners.tests.factories import api_key, partner

pytestmark = pytest.mark.django_db

JPEG = images.encode(images.photo_like(320, 240, seed=1), "JPEG", quality=90)


def _bearer(key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def _match(client, body, **headers):
    return client.post(
        "/api/v1/match", data=json.dumps(body), content_type="application/json", **headers
    )


# -- POST /hashes -----------------------------------------------------------------------


def test_hashes_of_an_upload_equal_the_server_hashers(client):
    _, key = api_key(scopes=["hashes:compute"])
    response = client.post(
        "/api/v1/hashes", {"file": SimpleUploadedFile("a.jpg", JPEG)}, **_bearer(key)
    )
    assert response.status_code == 200, response.content
    body = response.json()
    expected = hashing.get("pdq").hash_bytes(JPEG)
    assert body["md5"] == hashlib.md5(JPEG).hexdigest()  # noqa: S324 - a file fingerprint
    assert body["sha256"] == hashlib.sha256(JPEG).hexdigest()
    assert body["pdq"]["value"] == expected.value
    assert body["pdq"]["quality"] == expected.quality
    assert list(body["pdq"]["variants"].values()) == list(expected.dihedral)
    assert body["size"] == len(JPEG) and body["match"] is None


def test_a_file_that_is_not_an_image_still_gets_exact_hashes(client):
    _, key = api_key(scopes=["hashes:compute"])
    response = client.post(
        "/api/v1/hashes", {"file": SimpleUploadedFile("a.txt", b"hello")}, **_bearer(key)
    )
    body = response.json()
    assert response.status_code == 200
    assert body["pdq"] is None and body["pdq_error"]["error"]
    assert body["md5"] == hashlib.md5(b"hello").hexdigest()  # noqa: S324


def test_hashes_without_a_file_or_with_match_but_no_scope(client):
    _, key = api_key(scopes=["hashes:compute"])
    response = client.post("/api/v1/hashes", {}, **_bearer(key))
    assert response.status_code == 400 and response.json()["error"] == "file_required"
    response = client.post(
        "/api/v1/hashes",
        {"file": SimpleUploadedFile("a.jpg", JPEG), "match": "true"},
        **_bearer(key),
    )
    assert response.status_code == 403


def test_hash_and_match_finds_a_rotated_copy(client):
    b = bank()
    rotated = images.encode(images.photo_like(320, 240, seed=1).rotate(90, expand=True), "PNG")
    add(b, hashing.get("pdq").hash_bytes(rotated).value)
    _, key = api_key(scopes=["hashes:compute", "match"])
    b.shareable = True
    b.save()
    services.bank_share(bank=b, partner=_.partner, actor=SYSTEM)
    response = client.post(
        "/api/v1/hashes",
        {
            "file": SimpleUploadedFile(
                "a.png", images.encode(images.photo_like(320, 240, seed=1), "PNG")
            ),
            "match": "true",
        },
        **_bearer(key),
    )
    matches = response.json()["match"]["matches"]
    assert [m["bank"] for m in matches] == ["iwf-list"]
    assert matches[0]["variant"] != "original" and matches[0]["distance"] <= 31


def test_upload_over_the_limit_is_refused_and_nothing_is_kept(client, settings, tmp_path):
    _, key = api_key(scopes=["hashes:compute"])
    settings.BODY_LIMITS_BY_PATH = {"/api/v1/hashes": 1000}
    response = client.post(
        "/api/v1/hashes", {"file": SimpleUploadedFile("a.jpg", JPEG)}, **_bearer(key)
    )
    assert response.status_code == 413


# -- POST /match ------------------------------------------------------------------------


def test_match_batch_answers_in_order_with_bank_distance_and_hash(client):
    isp = partner(name="ISP")
    b = bank(shareable=True)
    services.bank_share(bank=b, partner=isp, actor=SYSTEM)
    rng = random.Random(1)
    known = pdq_hex(rng)
    add(b, known)
    add(b, "d41d8cd98f00b204e9800998ecf8427e", hash_type="md5")
    _, key = api_key(partner=isp, scopes=["match"])
    response = _match(
        client,
        {
            "hashes": [
                {"type": "pdq", "value": flip(known, [3, 4]), "quality": 100},
                {"type": "pdq", "value": pdq_hex(rng)},
                {"type": "md5", "value": "D41D8CD98F00B204E9800998ECF8427E"},
            ]
        },
        **_bearer(key),
    )
    assert response.status_code == 200, response.content
    first, second, third = response.json()["results"]
    assert [(m["bank"], m["distance"], m["hash"]) for m in first["matches"]] == [
        ("iwf-list", 2, known)
    ]
    assert first["actionable"] and second["matches"] == [] and third["matches"]
    event = AuditEvent.objects.filter(action="matching.match").get()
    assert event.actor_kind == "partner" and event.data == {"queries": 3, "matched": 2}


def test_match_validates_every_item(client):
    _, key = api_key(scopes=["match"])
    response = _match(
        client,
        {
            "hashes": [
                {"type": "pdq", "value": "abc"},
                {"type": "sha1", "value": "00"},
                {"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e", "quality": 50},
                "nope",
            ],
            "threshold": 99,
        },
        **_bearer(key),
    )
    assert response.status_code == 422
    fields = response.json()["fields"]
    assert {"threshold", "hashes.0.value", "hashes.1.type", "hashes.2.quality"} <= set(fields)
    assert _match(client, {"hashes": []}, **_bearer(key)).status_code == 422
    bad = client.post("/api/v1/match", data=b"{", content_type="application/json", **_bearer(key))
    assert bad.status_code == 400 and bad.json()["error"] == "invalid_json"


def test_match_batch_limit(client, settings):
    settings.MATCH_BATCH_MAX = 2
    _, key = api_key(scopes=["match"])
    items = [{"type": "md5", "value": "d41d8cd98f00b204e9800998ecf8427e"}] * 3
    response = _match(client, {"hashes": items}, **_bearer(key))
    assert response.status_code == 422 and response.json()["error"] == "too_many_hashes"


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=70),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(["hashes", "type", "value", "quality", "variants", "threshold"]),
                children,
                max_size=4,
            )
        ),
        max_leaves=12,
    )
)
def test_match_never_fails_with_a_500(client, body):
    from django.core.cache import cache

    cache.clear()  # the key's rate limit
    _, key = api_key(scopes=["match"])
    response = _match(client, body, **_bearer(key))
    assert response.status_code in (200, 400, 422)
    assert set(response.json()) >= ({"results"} if response.status_code == 200 else {"error"})


# -- who may call -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ANALYST, True),
        (Role.SUPERVISOR, True),
        (Role.COUNSELLOR, False),
        (Role.ADMINISTRATOR, False),
        (Role.AUDITOR, False),
    ],
)
def test_role_matrix_for_staff(client, role, allowed):
    login(client, staff(role))
    client.handler.enforce_csrf_checks = False
    response = _match(client, {"hashes": [{"type": "md5", "value": "0" * 32}]})
    assert response.status_code == (200 if allowed else 403)
    download = client.get("/api/v1/banks/iwf-list/hashes")
    assert download.status_code == (404 if allowed else 403)


def test_no_credentials_and_wrong_scope(client):
    assert _match(client, {"hashes": []}).status_code == 401
    assert client.post("/api/v1/hashes").status_code == 401
    assert client.get("/api/v1/banks/x/hashes").status_code == 401
    _, key = api_key(scopes=["banks:read"])
    assert _match(client, {"hashes": []}, **_bearer(key)).status_code == 403


def test_revoked_key_is_refused(client):
    from tellsafe.partners import services as partner_services

    key_obj, key = api_key(scopes=["match"])
    partner_services.api_key_revoke(key=key_obj, actor=SYSTEM, reason="leaked")
    body = {"hashes": [{"type": "md5", "value": "0" * 32}]}
    assert _match(client, body, **_bearer(key)).status_code == 401


# -- GET /banks/{name}/hashes -----------------------------------------------------------


def _download(client, key, name="shared", **params):
    return client.get(f"/api/v1/banks/{name}/hashes", params, **_bearer(key))


def test_incremental_download_with_checkpoints(client):
    isp = partner(name="ISP")
    b = bank("shared", shareable=True)
    services.bank_share(bank=b, partner=isp, actor=SYSTEM)
    _, key = api_key(partner=isp, scopes=["banks:read"])
    rng = random.Random(2)
    first = [pdq_hex(rng) for _ in range(5)]
    add(b, *first)
    page1 = _download(client, key, limit=3).json()
    assert [h["value"] for h in page1["hashes"]] == first[:3] and page1["more"]
    page2 = _download(client, key, since=page1["checkpoint"], limit=3).json()
    assert [h["value"] for h in page2["hashes"]] == first[3:] and not page2["more"]
    # Later: one removed, one added; the next page says exactly that.
    services.hashes_remove(bank=b, keys=[("pdq", first[0])], actor=SYSTEM)
    later = pdq_hex(rng)
    add(b, later)
    page3 = _download(client, key, since=page2["checkpoint"]).json()
    assert [(h["value"], h["removed_at"] is not None) for h in page3["hashes"]] == [
        (first[0], True),
        (later, False),
    ]
    empty = _download(client, key, since=page3["checkpoint"]).json()
    assert empty["hashes"] == [] and not empty["more"]
    csv_page = _download(client, key, format="csv")
    assert csv_page["Content-Type"].startswith("text/csv")
    assert csv_page.content.decode().splitlines()[0].startswith("hash,type")
    assert AuditEvent.objects.filter(action="bank.download", actor_kind="partner").count() == 5


def test_download_refuses_banks_not_shared_and_foreign_checkpoints(client):
    isp = partner(name="ISP")
    shared = bank("shared", shareable=True)
    other = bank("other", shareable=True)
    bank("private")
    services.bank_share(bank=shared, partner=isp, actor=SYSTEM)
    services.bank_share(bank=other, partner=partner(name="Someone else"), actor=SYSTEM)
    _, key = api_key(partner=isp, scopes=["banks:read"])
    for name in ("private", "other", "missing"):
        assert _download(client, key, name=name).status_code == 404
    token = _download(client, key).json()["checkpoint"]
    login(client, staff(Role.ANALYST))
    staff_token = client.get("/api/v1/banks/other/hashes").json()["checkpoint"]
    client.logout()
    response = _download(client, key, since=staff_token)
    assert response.status_code == 400 and response.json()["error"] == "invalid_checkpoint"
    assert _download(client, key, since=token + "x").status_code == 400


def test_pending_hashes_are_never_offered_and_confirmed_ones_are(client):
    isp = partner(name="ISP")
    b = bank("shared", shareable=True, review_required=True)
    services.bank_share(bank=b, partner=isp, actor=SYSTEM)
    _, key = api_key(partner=isp, scopes=["banks:read"])
    rng = random.Random(3)
    kept, rejected = pdq_hex(rng), pdq_hex(rng)
    add(b, kept, rejected)
    page = _download(client, key).json()
    assert page["hashes"] == []
    services.hashes_review(
        bank_hashes=BankHash.objects.filter(value=kept), confirm=True, actor=SYSTEM
    )
    services.hashes_review(
        bank_hashes=BankHash.objects.filter(value=rejected), confirm=False, actor=SYSTEM
    )
    page = _download(client, key, since=page["checkpoint"]).json()
    # The rejected hash was never offered, so no withdrawal is sent for it either.
    assert [(h["value"], h["removed_at"]) for h in page["hashes"]] == [(kept, None)]
