"""Banks, the change log, the matcher over the banks, negative banks and flood quarantine."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tellsafe.core.errors import ApplicationError
from tellsafe.core.models import AuditEvent
from tellsafe.matching import flood, services
from tellsafe.matching.formats import HashRecord
from tellsafe.matching.lookup import Query, Viewer, lookup
from tellsafe.matching.matcher import Matcher, get_matcher, reset_matcher
from tellsafe.matching.models import Bank, BankChange, BankHash, MatchTally
from tellsafe.matching.tests.factories import SYSTEM, add, bank, flip, pdq_hex

pytestmark = pytest.mark.django_db
STAFF = Viewer.staff()


def test_bank_create_validates_every_field():
    with pytest.raises(ApplicationError) as err:
        services.bank_create(
            name="Bad Name!", source="nope", legal_scope="x", kind="y", actor=SYSTEM
        )
    assert set(err.value.fields) == {"name", "source", "legal_scope", "kind"}
    bank("iwf-list")
    with pytest.raises(ApplicationError) as err:
        bank("iwf-list")
    assert "name" in err.value.fields
    with pytest.raises(ApplicationError):
        bank("harmless", kind=Bank.Kind.NEGATIVE, shareable=True)
    assert Bank.objects.count() == 1


def test_adding_is_all_or_nothing_and_audited():
    b = bank()
    good = HashRecord("md5", "d41d8cd98f00b204e9800998ecf8427e")
    bad = HashRecord("pdq", "zz")
    before = AuditEvent.objects.count()
    with pytest.raises(ApplicationError):
        services.hashes_add(bank=b, records=[good, bad], actor=SYSTEM)
    assert not BankHash.objects.exists() and not BankChange.objects.exists()
    assert AuditEvent.objects.count() == before
    result = services.hashes_add(bank=b, records=[good, good], actor=SYSTEM)
    assert (result.added, result.unchanged) == (1, 0)
    again = services.hashes_add(bank=b, records=[good], actor=SYSTEM)
    assert (again.added, again.unchanged) == (0, 1)
    assert AuditEvent.objects.filter(action="bank.hashes_add").count() == 2


def test_removed_hash_comes_back_with_a_change_each_time():
    b = bank()
    h = pdq_hex(random.Random(1))
    add(b, h)
    assert services.hashes_remove(bank=b, keys=[("pdq", h.upper())], actor=SYSTEM) == 1
    assert services.hashes_remove(bank=b, keys=[("pdq", h)], actor=SYSTEM) == 0
    row = BankHash.objects.get()
    assert row.status == BankHash.Status.REMOVED and row.removed_at
    add(b, h)
    row.refresh_from_db()
    assert row.status == BankHash.Status.ACTIVE and row.removed_at is None
    assert list(BankChange.objects.order_by("id").values_list("action", flat=True)) == [
        "add",
        "remove",
        "add",
    ]


def test_tombstones_in_a_file_remove_hashes():
    b = bank()
    h = pdq_hex(random.Random(2))
    add(b, h)
    result = services.hashes_add(
        bank=b, records=[HashRecord("pdq", h, 90, removed_at=timezone.now())], actor=SYSTEM
    )
    assert result.removed == 1
    assert BankHash.objects.get().status == BankHash.Status.REMOVED


def test_matcher_sees_adds_and_removes_at_the_next_lookup():
    b = bank()
    rng = random.Random(3)
    h = pdq_hex(rng)
    assert lookup([Query("pdq", h)], viewer=STAFF)[0].matches == []
    add(b, h)
    near = flip(h, [0, 7, 100])
    [answer] = lookup([Query("pdq", near)], viewer=STAFF)
    assert [(m.bank, m.distance, m.value, m.variant) for m in answer.matches] == [
        ("iwf-list", 3, h, "original")
    ]
    assert answer.actionable
    services.hashes_remove(bank=b, keys=[("pdq", h)], actor=SYSTEM)
    assert lookup([Query("pdq", near)], viewer=STAFF)[0].matches == []


def test_threshold_is_respected_and_capped():
    b = bank()
    h = pdq_hex(random.Random(4))
    add(b, h)
    far = flip(h, list(range(40)))
    assert lookup([Query("pdq", far)], viewer=STAFF)[0].matches == []
    assert lookup([Query("pdq", far)], viewer=STAFF, threshold=40)[0].matches
    # A threshold above the configured maximum is capped, not honoured.
    very_far = flip(h, list(range(100)))
    assert lookup([Query("pdq", very_far)], viewer=STAFF, threshold=200)[0].matches == []


def test_exact_hashes_match_exactly():
    b = bank()
    add(b, "d41d8cd98f00b204e9800998ecf8427e", hash_type="md5")
    [hit, miss] = lookup(
        [
            Query("md5", "d41d8cd98f00b204e9800998ecf8427e"),
            Query("md5", "d41d8cd98f00b204e9800998ecf8427f"),
        ],
        viewer=STAFF,
    )
    assert [m.distance for m in hit.matches] == [0] and miss.matches == []


def test_a_dihedral_variant_match_names_the_variant():
    b = bank()
    rng = random.Random(5)
    original, rotated = pdq_hex(rng), pdq_hex(rng)
    add(b, rotated)
    variants = (rotated, *tuple(pdq_hex(rng) for _ in range(6)))
    [answer] = lookup([Query("pdq", original, 90, variants)], viewer=STAFF)
    assert [(m.variant, m.distance) for m in answer.matches] == [("rotate90", 0)]


def test_negative_bank_suppresses_and_low_quality_is_never_actionable():
    positive, negative = bank(), bank("harmless", kind=Bank.Kind.NEGATIVE, legal_scope="none")
    rng = random.Random(6)
    logo, other, weak = pdq_hex(rng), pdq_hex(rng), pdq_hex(rng)
    add(positive, logo, other)
    add(positive, weak, quality=30)
    add(negative, flip(logo, [1, 2]))
    a_logo, a_other, a_weak, a_weak_query = lookup(
        [
            Query("pdq", logo),
            Query("pdq", other),
            Query("pdq", weak),
            Query("pdq", other, quality=20),
        ],
        viewer=STAFF,
    )
    assert a_logo.suppressed and not a_logo.actionable
    assert {m.bank for m in a_logo.matches} == {"iwf-list", "harmless"}
    assert a_other.actionable and not a_other.suppressed
    assert a_weak.matches and not a_weak.actionable
    assert a_weak_query.matches and not a_weak_query.actionable


def test_disabled_bank_stops_matching():
    b = bank()
    h = pdq_hex(random.Random(7))
    add(b, h)
    services.bank_update(bank=b, enabled=False, actor=SYSTEM)
    assert lookup([Query("pdq", h)], viewer=STAFF)[0].matches == []
    services.bank_update(bank=b, enabled=True, actor=SYSTEM)
    assert lookup([Query("pdq", h)], viewer=STAFF)[0].matches


def test_partner_sees_only_active_hashes_of_banks_shared_with_it():
    from tellsafe.partners.tests.factories import partner as make_partner

    isp = make_partner(name="Example ISP")
    shared = bank("shared", shareable=True)
    private = bank("private")
    pending = bank("pending", shareable=True, review_required=True)
    services.bank_share(bank=shared, partner=isp, actor=SYSTEM)
    services.bank_share(bank=pending, partner=isp, actor=SYSTEM)
    h = pdq_hex(random.Random(8))
    for b in (shared, private, pending):
        add(b, h)
    [staff_answer] = lookup([Query("pdq", h)], viewer=STAFF)
    assert {m.bank for m in staff_answer.matches} == {"shared", "private", "pending"}
    [partner_answer] = lookup([Query("pdq", h)], viewer=Viewer.partner(isp))
    assert [m.bank for m in partner_answer.matches] == ["shared"]
    with pytest.raises(ApplicationError):
        services.bank_share(bank=private, partner=isp, actor=SYSTEM)


@override_settings(FLOOD_MIN_MATCHES_PER_HOUR=5, FLOOD_FACTOR=10)
def test_a_flooding_hash_is_quarantined_then_released():
    b = bank()
    h = pdq_hex(random.Random(9))
    add(b, h)
    for _ in range(5):
        assert lookup([Query("pdq", h)], viewer=STAFF)[0].actionable
    [sixth] = lookup([Query("pdq", h)], viewer=STAFF)
    assert sixth.matches[0].quarantined and not sixth.actionable
    row = BankHash.objects.get()
    assert row.quarantined_at is not None
    assert AuditEvent.objects.filter(action="bank.quarantine").count() == 1
    with pytest.raises(ApplicationError):
        services.quarantine_release(bank_hash=row, actor=SYSTEM, reason=" ")
    services.quarantine_release(bank_hash=row, actor=SYSTEM, reason="a real series")
    # Released: acted on again, and not re-quarantined by the same burst.
    for _ in range(10):
        assert lookup([Query("pdq", h)], viewer=STAFF)[0].actionable


@override_settings(FLOOD_MIN_MATCHES_PER_HOUR=5, FLOOD_FACTOR=10, FLOOD_BASELINE_DAYS=1)
def test_flood_threshold_follows_the_hash_baseline():
    b = bank()
    h = pdq_hex(random.Random(10))
    add(b, h)
    row = BankHash.objects.get()
    now = timezone.now()
    # 24 matches an hour for the past day: a baseline of 24/h, threshold 240/h.
    for hours in range(1, 25):
        MatchTally.objects.create(
            bank_hash=row,
            hour=(now - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0),
            count=24,
        )
    assert flood.record_matches(Counter({row.pk: 200}), now=now) == []
    assert flood.record_matches(Counter({row.pk: 41}), now=now) == [row.pk]
    assert flood.threshold(24.0) == 240.0 and flood.threshold(0) == 5


def test_matcher_from_database_and_from_snapshot_agree(tmp_path):
    b = bank()
    rng = random.Random(11)
    values = [pdq_hex(rng) for _ in range(300)]
    add(b, *values)
    add(b, "d41d8cd98f00b204e9800998ecf8427e", hash_type="md5")
    from_db = Matcher.from_database()
    assert from_db.size() == {"pdq": 300, "md5": 1, "sha256": 0}
    from_db.save(tmp_path / "banks")
    # Changes after the snapshot are caught up from the change log.
    services.hashes_remove(bank=b, keys=[("pdq", values[0])], actor=SYSTEM)
    add(b, pdq_hex(rng))
    loaded = Matcher.from_snapshot(tmp_path / "banks")
    assert loaded.loaded_from == "snapshot"
    assert loaded.size() == {"pdq": 300, "md5": 1, "sha256": 0}
    assert loaded.watermark == BankChange.objects.order_by("-id").first().id
    for v in values[:20]:
        assert (
            lookup([Query("pdq", v)], viewer=STAFF, matcher=loaded, count=False)[0].matches
            == lookup([Query("pdq", v)], viewer=STAFF, count=False)[0].matches
        )


def test_process_matcher_starts_from_the_configured_snapshot(tmp_path, settings):
    b = bank()
    add(b, pdq_hex(random.Random(12)))
    Matcher.from_database().save(tmp_path / "banks")
    settings.MATCHER_SNAPSHOT_PATH = str(tmp_path / "banks")
    reset_matcher()
    assert get_matcher().loaded_from == "snapshot"
    (tmp_path / "banks.json").write_text("{not json")
    reset_matcher()
    assert get_matcher().loaded_from == "database"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    seed=st.integers(0, 2**32 - 1),
    ops=st.lists(st.tuples(st.sampled_from(["add", "remove"]), st.integers(0, 39)), max_size=30),
    threshold=st.integers(0, 63),
)
def test_lookup_equals_brute_force_over_the_banks(seed, ops, threshold):
    """Model-based: after any adds and removes in two banks, every lookup returns exactly
    the active hashes within the threshold, as a linear scan over the database finds."""
    BankChange.objects.all().delete()
    MatchTally.objects.all().delete()
    BankHash.objects.all().delete()
    Bank.objects.all().delete()
    reset_matcher()
    rng = random.Random(seed)
    banks = [bank("one"), bank("two", source=Bank.Source.NCMEC)]
    base = [pdq_hex(rng) for _ in range(8)]
    # Families of near-duplicates, as real banks have, and some far hashes.
    pool = [flip(rng.choice(base), rng.sample(range(256), rng.randint(0, 40))) for _ in range(40)]
    for op, i in ops:
        target = banks[i % 2]
        if op == "add":
            add(target, pool[i])
        else:
            services.hashes_remove(bank=target, keys=[("pdq", pool[i])], actor=SYSTEM)
    queries = [flip(rng.choice(pool), rng.sample(range(256), rng.randint(0, 35))) for _ in range(6)]
    answers = lookup(
        [Query("pdq", q) for q in queries], viewer=STAFF, threshold=threshold, count=False
    )
    active = BankHash.objects.filter(status=BankHash.Status.ACTIVE).select_related("bank")
    for q, answer in zip(queries, answers, strict=True):
        expected = sorted(
            (bin(int(q, 16) ^ int(r.value, 16)).count("1"), r.bank.name, r.value)
            for r in active
            if bin(int(q, 16) ^ int(r.value, 16)).count("1") <= threshold
        )
        got = sorted((m.distance, m.bank, m.value) for m in answer.matches)
        assert got == expected
