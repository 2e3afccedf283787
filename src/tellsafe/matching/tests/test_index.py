"""The PDQ index against a brute-force oracle; updates, snapshots; the exact-digest index.

Hypothesis draws sizes, layouts, seeds and thresholds; numpy draws the hashes from the
seed (fast, and still shrinkable through the seed). The oracle is numpy's own popcount,
independent of the compiled kernels.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from tellsafe.matching.index import (
    ExactIndex,
    PdqIndex,
    SnapshotError,
    as_words,
    snapshot,
    to_hex,
)
from tellsafe.matching.index.segment import Layout, Segment, choose_layout, plan_radii

BRIDGE = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
BRIDGE_ROT90 = "30a10efd71cc3d429013d48d0ffffc52e34e0e17ada952a9d29685211ea9e5af"
BRIDGE_SHRUNK = "d0f8f1ccc0f4a84d0a370a3a228f67f0b36e2ed5b6623e1d33e6339c4e9c9b22"

# -- helpers -------------------------------------------------------------------------


def random_words(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)


def flip(rng: np.random.Generator, words: np.ndarray, k: int) -> np.ndarray:
    """A copy of one hash (4 words) with ``k`` distinct random bits flipped."""
    out = words.copy()
    for bit in rng.choice(256, size=k, replace=False):
        out[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


def clustered_words(rng: np.random.Generator, n: int) -> np.ndarray:
    """Near-duplicate families: a few centres, each copy 0–12 bits away (exact copies too)."""
    if n == 0:
        return np.empty((0, 4), np.uint64)
    centres = random_words(rng, max(1, n // 20))
    picks = rng.integers(0, len(centres), n)
    return np.stack([flip(rng, centres[c], int(rng.integers(0, 13))) for c in picks])


def brute_force(ids, words, q, threshold) -> list[tuple[int, int]]:
    d = np.bitwise_count(np.asarray(words, np.uint64) ^ q).sum(axis=1)
    hit = np.flatnonzero(d <= threshold)
    return sorted((int(d[i]), int(ids[i])) for i in hit)


def unpack(packed: np.ndarray, b: int) -> list[list[tuple[int, int]]]:
    """A segment's packed answer (counts, ids, distances) as ``(distance, id)`` lists."""
    flat = packed.tolist()
    total = (len(flat) - b) // 2
    out, at = [], b
    for c in flat[:b]:
        out.append(list(zip(flat[at + total : at + total + c], flat[at : at + c], strict=True)))
        at += c
    return out


def as_pairs(matches: list[tuple[int, int]]) -> list[tuple[int, int]]:
    return [(distance, id) for id, distance in matches]


def queries_for(rng: np.random.Generator, words: np.ndarray, count: int) -> np.ndarray:
    """Stored hashes moved 0–40 bits, plus hashes far from everything."""
    out = []
    for k in range(count):
        if len(words) and k % 4:
            out.append(flip(rng, words[rng.integers(len(words))], int(rng.integers(0, 41))))
        else:
            out.append(random_words(rng, 1)[0])
    return np.array(out, np.uint64).reshape(-1, 4)


def forced_layout(m: int, pbits: int):
    """A layout policy that indexes even tiny segments, so small tests reach the tables."""

    def policy(n: int) -> Layout:
        widths = Layout.split(m)
        row_bits = max(1, (max(n, 2) - 1).bit_length())
        p = min(max(pbits, max(widths) - (32 - row_bits)), min(widths))
        return Layout(widths, p, row_bits, always_probe=True)

    return policy


# -- exactness of one segment ----------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(0, 700),
    m=st.integers(8, 16),
    pbits=st.integers(1, 16),
    threshold=st.integers(0, 63),
    clustered=st.booleans(),
)
def test_segment_search_equals_brute_force(seed, n, m, pbits, threshold, clustered):
    rng = np.random.default_rng(seed)
    words = clustered_words(rng, n) if clustered else random_words(rng, n)
    ids = rng.permutation(n).astype(np.int64) * 7 - 1000
    seg = Segment.build(ids, words, forced_layout(m, pbits)(n))
    queries = queries_for(rng, words, 12)
    for q, got in zip(queries, unpack(seg.search(queries, threshold), len(queries)), strict=True):
        assert got == brute_force(ids, words, q, threshold)


@pytest.mark.parametrize("threshold", [0, 1, 15, 16, 31, 32, 47, 63, 64, 100, 256])
def test_every_threshold_is_exact_on_an_automatic_layout(threshold):
    rng = np.random.default_rng(threshold)
    words = np.concatenate([random_words(rng, 15_000), clustered_words(rng, 5_000)])
    ids = np.arange(len(words), dtype=np.int64)
    index = PdqIndex.build(ids, words)
    assert index._state.segments[0].layout is not None  # the tables, not a scan
    for q in queries_for(rng, words, 24):
        assert as_pairs(index.query(q, threshold)) == brute_force(ids, words, q, threshold)


@settings(max_examples=200, deadline=None)
@given(
    m=st.integers(8, 16),
    pbits=st.integers(4, 24),
    threshold=st.integers(0, 63),
    n=st.sampled_from([10_000, 1_000_000, 10_000_000]),
)
def test_every_plan_satisfies_the_pigeonhole_bound(m, pbits, threshold, n):
    widths = Layout.split(m)
    layout = Layout(widths, min(pbits, min(widths)), 24)
    radii, cost = plan_radii(layout, threshold, n)
    if cost != float("inf"):
        assert sum(int(r) + 1 for r in radii) >= threshold + 1
        assert all(-1 <= r <= 4 for r in radii)


def tight_queries(rng, seg: Segment, word: np.ndarray, threshold: int):
    """Queries exactly ``threshold`` bits from ``word`` that only one probe can reach.

    Every probed substring but one gets ``radius + 1`` flips (out of its reach); the one
    left gets exactly ``radius`` flips, split every possible way between the bits that
    address its table (prefix) and the bits filtered inline (suffix). This is the edge
    of the pigeonhole bound: an off-by-one anywhere loses the match.
    """
    layout, radii = seg.layout, seg.radii(threshold)
    if layout is None or radii is None:
        return
    starts = layout.starts
    for j, rj in enumerate(radii.tolist()):
        if rj < 0:
            continue
        for in_prefix in range(rj + 1):
            prefix_bits = list(range(starts[j], starts[j] + layout.pbits))
            suffix_bits = list(range(starts[j] + layout.pbits, starts[j] + layout.widths[j]))
            if rj - in_prefix > len(suffix_bits) or in_prefix > len(prefix_bits):
                continue
            bits = list(rng.choice(prefix_bits, in_prefix, replace=False))
            bits += list(rng.choice(suffix_bits, rj - in_prefix, replace=False))
            for i, ri in enumerate(radii.tolist()):
                if i != j and ri >= 0:
                    span = range(starts[i], starts[i] + layout.widths[i])
                    bits += list(rng.choice(span, ri + 1, replace=False))
            assert len(bits) == threshold
            q = word.copy()
            for bit in bits:
                q[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
            yield q


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    m=st.integers(8, 16),
    pbits=st.integers(1, 16),
    threshold=st.integers(0, 63),
)
def test_matches_at_the_edge_of_the_pigeonhole_bound_are_found(seed, m, pbits, threshold):
    rng = np.random.default_rng(seed)
    words = random_words(rng, 300)
    ids = np.arange(300, dtype=np.int64)
    seg = Segment.build(ids, words, forced_layout(m, pbits)(300))
    assume(seg.radii(threshold) is not None)  # else too many bits to probe: a scan
    queries = list(tight_queries(rng, seg, words[7], threshold))
    assert queries
    for q in queries:
        assert (threshold, 7) in unpack(seg.search(q.reshape(1, 4), threshold), 1)[0]


@pytest.mark.parametrize("m", [14, 16])
@pytest.mark.parametrize("suffix_bits", [0, 1, 2, 3, 6])
def test_edge_of_the_bound_with_short_suffixes(m, suffix_bits):
    # Short suffixes are where a radius can cover every suffix bit: the bucket bitmaps
    # must then admit every suffix the remaining radius reaches.
    rng = np.random.default_rng(m * 10 + suffix_bits)
    words = random_words(rng, 300)
    widths = Layout.split(m)
    layout = Layout(widths, min(widths) - suffix_bits, 9, always_probe=True)
    seg = Segment.build(np.arange(300), words, layout)
    for threshold in range(64):
        queries = list(tight_queries(rng, seg, words[5], threshold))
        assert queries or seg.radii(threshold) is None
        for q in queries:
            assert (threshold, 5) in unpack(seg.search(q.reshape(1, 4), threshold), 1)[0]


@pytest.mark.parametrize("threshold", [10, 31, 47])
def test_edge_of_the_bound_on_an_automatic_layout(threshold):
    rng = np.random.default_rng(threshold)
    words = random_words(rng, 40_000)
    index = PdqIndex.build(np.arange(40_000), words)
    seg = index._state.segments[0]
    queries = list(tight_queries(rng, seg, words[11], threshold))
    assert len(queries) >= int((seg.radii(threshold) >= 0).sum())
    for q in queries:
        assert (11, threshold) in index.query(q, threshold)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), m=st.integers(8, 16))
def test_substrings_are_the_bits_the_layout_names(seed, m):
    # Keys that dropped bits would stay exact (verification uses the whole hash) but
    # would silently slow every query down; check the extraction against integers.
    from tellsafe.matching.index import kernels

    w = random_words(np.random.default_rng(seed), 1)[0]
    value = sum(int(x) << (64 * k) for k, x in enumerate(w))
    layout = Layout(Layout.split(m), 1, 1)
    for start, width in zip(layout.starts, layout.widths, strict=True):
        expected = (value >> start) & ((1 << width) - 1)
        assert int(kernels._substring(w[0], w[1], w[2], w[3], start, width)) == expected


def test_layouts_chosen_for_the_target_sizes():
    assert choose_layout(1000) is None  # scanned
    big = choose_layout(10_000_000)
    assert big is not None and big.row_bits == 24 and 10 <= len(big.widths) <= 11


# -- the index API ---------------------------------------------------------------------


def test_empty_index_answers_nothing():
    index = PdqIndex()
    assert len(index) == 0
    assert index.query(BRIDGE) == []
    assert index.query_batch([BRIDGE, BRIDGE_ROT90], 63) == [[], []]
    assert 5 not in index
    assert PdqIndex.build([], np.empty((0, 32), np.uint8)).query(BRIDGE, 256) == []


def test_golden_distances_between_published_pdq_hashes():
    # bridge-1 vs its 90° rotation is 120 bits in ThreatExchange's Java PDQHasherTest.
    index = PdqIndex.build([1, 2, 3], [BRIDGE, BRIDGE_ROT90, BRIDGE_SHRUNK])
    assert index.query(BRIDGE, 256) == [(1, 0), (3, 16), (2, 120)]
    assert index.query(BRIDGE) == [(1, 0), (3, 16)]
    assert index.query(BRIDGE, 15) == [(1, 0)]


def test_every_hash_form_means_the_same_hash():
    raw = bytes.fromhex(BRIDGE)
    forms = [
        BRIDGE,
        BRIDGE.upper(),
        raw,
        np.frombuffer(raw, np.uint8),
        np.frombuffer(raw, np.uint8).reshape(1, 32),
        np.frombuffer(raw, "<u8"),
    ]
    for form in forms:
        assert as_words(form).tolist() == as_words(raw).tolist()
    assert to_hex(as_words(BRIDGE)[0]) == BRIDGE
    index = PdqIndex.build([7], [raw])
    for form in forms:
        assert index.query(form, 0) == [(7, 0)]


@pytest.mark.parametrize("bad", ["abc", b"\x00" * 31, np.zeros((2, 31), np.uint8)])
def test_malformed_hashes_are_refused(bad):
    with pytest.raises(ValueError):
        as_words(bad)


def test_thresholds_out_of_range_and_mismatched_lengths_are_refused():
    index = PdqIndex.build([1], [BRIDGE])
    for threshold in (-1, 257):
        with pytest.raises(ValueError):
            index.query(BRIDGE, threshold)
    with pytest.raises(TypeError):
        index.query(BRIDGE, 31.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        index.add([1, 2], [BRIDGE])
    with pytest.raises(ValueError):
        PdqIndex.build([1, 2], [BRIDGE])


def test_a_repeated_id_keeps_its_last_hash():
    index = PdqIndex.build([5, 5, 6], [BRIDGE, BRIDGE_ROT90, BRIDGE])
    assert len(index) == 2
    assert index.query(BRIDGE, 0) == [(6, 0)]
    assert index.query(BRIDGE_ROT90, 0) == [(5, 0)]
    index.add([6, 6], [BRIDGE_SHRUNK, BRIDGE_ROT90])  # upsert, last wins again
    assert len(index) == 2
    assert index.query(BRIDGE_ROT90, 0) == [(5, 0), (6, 0)]
    assert index.query(BRIDGE, 31) == []


def test_equal_hashes_under_different_ids_all_match():
    index = PdqIndex.build(range(50), [BRIDGE] * 50)
    assert [id for id, _ in index.query(BRIDGE, 0)] == list(range(50))


def test_add_and_remove_are_visible_to_the_next_query_without_a_rebuild():
    rng = np.random.default_rng(1)
    words = random_words(rng, 20_000)
    index = PdqIndex.build(np.arange(20_000), words, auto_compact=False)
    main = index._state.segments[0]
    new = flip(rng, words[3], 5)
    index.add([99_999], new.reshape(1, 4))
    assert (99_999, 0) in index.query(new, 0)
    assert index.remove([3, 99_999, 123_456_789]) == 2
    assert index.query(words[3], 0) == []
    assert index.query(new, 0) == []
    assert index._state.segments[0] is main  # nothing was rebuilt
    assert len(index) == 19_999 and 3 not in index and 4 in index


def test_batch_results_equal_single_queries_for_eight_dihedral_variants():
    rng = np.random.default_rng(2)
    words = np.concatenate([random_words(rng, 8_000), clustered_words(rng, 8_000)])
    index = PdqIndex.build(np.arange(len(words)), words)
    variants = queries_for(rng, words, 8)
    assert index.query_batch(variants) == [index.query(v) for v in variants]
    assert index.query_batch(variants, 45) == [index.query(v, 45) for v in variants]


def test_memory_is_counted_and_stays_near_the_budget():
    rng = np.random.default_rng(3)
    index = PdqIndex.build(np.arange(200_000), random_words(rng, 200_000))
    per_row = index.memory_bytes() / len(index)
    assert 40 < per_row < 150


# -- compaction, concurrency -----------------------------------------------------------


def test_compaction_drops_tombstones_and_keeps_answers():
    rng = np.random.default_rng(4)
    words = random_words(rng, 6_000)
    index = PdqIndex.build(np.arange(6_000), words, auto_compact=False, tail_capacity=16)
    index.remove(np.arange(0, 6_000, 3))
    index.add(np.arange(10_000, 10_040), words[:40])
    before = [index.query(q, 40) for q in words[:60]]
    index.compact()
    assert index.segment_sizes == [len(index)]
    assert [index.query(q, 40) for q in words[:60]] == before


def test_writes_made_during_a_compaction_survive_it():
    rng = np.random.default_rng(8)
    words = random_words(rng, 6_000)
    index = PdqIndex.build(np.arange(6_000), words, auto_compact=False)
    build = index._segment

    def build_while_others_write(ids, hashes):
        # Another writer gets in while the compaction merges (it holds no lock then).
        if len(ids) > 1_000:
            index.remove([10, 11])
            index.add([11, 7_000], words[20:22])
        return build(ids, hashes)

    index._segment = build_while_others_write
    index.compact()
    assert index.query(words[10], 0) == []
    assert index.query(words[20], 0) == [(11, 0), (20, 0)]
    assert index.query(words[21], 0) == [(21, 0), (7_000, 0)]
    assert len(index) == 6_000


def test_background_compaction_never_hides_a_stable_hash():
    rng = np.random.default_rng(5)
    stable = random_words(rng, 300)
    index = PdqIndex.build(np.arange(300), stable, tail_capacity=8, delta_min=64, delta_ratio=0.05)
    failures: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            for i in range(0, 300, 17):
                if (i, 0) not in index.query(stable[i], 0):
                    failures.append(f"id {i} missing")

    thread = threading.Thread(target=reader)
    thread.start()
    model = {i: stable[i] for i in range(300)}
    for round_ in range(60):
        batch = random_words(rng, 25)
        ids = np.arange(1_000 + round_ * 25, 1_025 + round_ * 25)
        index.add(ids, batch)
        model.update(zip(ids.tolist(), batch, strict=True))
        gone = ids[::3]
        index.remove(gone)
        for i in gone.tolist():
            del model[i]
    index.wait_for_compaction()
    stop.set()
    thread.join()
    assert failures == []
    assert len(index) == len(model)
    ids = np.array(list(model), np.int64)
    words = np.array(list(model.values()), np.uint64)
    for q in queries_for(rng, words, 30):
        assert as_pairs(index.query(q, 31)) == brute_force(ids, words, q, 31)


# -- snapshots -------------------------------------------------------------------------


@pytest.mark.parametrize("mmap", [False, True])
def test_snapshot_round_trip(tmp_path: Path, mmap: bool):
    rng = np.random.default_rng(6)
    words = np.concatenate([random_words(rng, 9_000), clustered_words(rng, 3_000)])
    index = PdqIndex.build(np.arange(12_000), words, auto_compact=False, tail_capacity=64)
    index.add(np.arange(20_000, 20_100), random_words(rng, 100))  # a delta
    index.add([30_000, 30_001], random_words(rng, 2))  # and a tail
    index.remove([1, 2, 20_005])
    path = tmp_path / "pdq.idx"
    index.save(path)
    loaded = PdqIndex.load(path, mmap=mmap)
    assert len(loaded) == len(index)
    assert 1 not in loaded and 30_001 in loaded
    for q in queries_for(rng, words, 40):
        assert loaded.query(q, 40) == index.query(q, 40)
    loaded.add([1], words[1:2])  # a loaded index keeps taking updates
    loaded.remove([3])
    loaded.compact()
    assert loaded.query(words[1], 0) == [(1, 0)]
    assert loaded.query(words[3], 0) == []


@pytest.mark.parametrize("mmap", [False, True])
def test_snapshot_of_an_empty_index_and_of_empty_segments(tmp_path: Path, mmap: bool):
    path = tmp_path / "empty.idx"
    PdqIndex().save(path)
    assert len(PdqIndex.load(path, mmap=mmap)) == 0
    index = PdqIndex.build([1, 2], [BRIDGE, BRIDGE_ROT90])
    index.remove([1, 2])  # a segment with no live row
    index.add([3], [BRIDGE])
    index.remove([3])  # and a tail with none
    index.save(path)
    loaded = PdqIndex.load(path, mmap=mmap)
    assert len(loaded) == 0 and loaded.query(BRIDGE, 256) == []


def test_damaged_snapshots_are_refused(tmp_path: Path):
    path = tmp_path / "pdq.idx"
    PdqIndex.build(np.arange(5_000), random_words(np.random.default_rng(7), 5_000)).save(path)
    data = bytearray(path.read_bytes())
    data[-100] ^= 0xFF
    path.write_bytes(bytes(data))
    with pytest.raises(SnapshotError):
        snapshot.read(path, verify=True)
    path.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(SnapshotError):
        PdqIndex.load(path)
    path.write_bytes(b"not an index")
    with pytest.raises(SnapshotError):
        PdqIndex.load(path)


# -- a model-based test: random adds, removes, compactions, snapshots ------------------


class IndexMachine(RuleBasedStateMachine):
    """Every query agrees with a dict of id -> hash, whatever happened before it."""

    def __init__(self) -> None:
        super().__init__()
        self.rng = np.random.default_rng(0)
        self.model: dict[int, np.ndarray] = {}
        self.options = {
            "tail_capacity": 4,
            "delta_min": 12,
            "delta_ratio": 0.5,
            "auto_compact": False,
            "layout": forced_layout(11, 6),
        }
        self.index = PdqIndex(**self.options)
        self.saves = 0

    def _hash(self, near: bool) -> np.ndarray:
        if near and self.model:
            keys = list(self.model)
            base = self.model[keys[self.rng.integers(len(keys))]]
            return flip(self.rng, base, int(self.rng.integers(0, 32)))
        return random_words(self.rng, 1)[0]

    @rule(ids=st.lists(st.integers(0, 60), min_size=1, max_size=12), near=st.booleans())
    def add(self, ids, near):
        words = np.array([self._hash(near) for _ in ids], np.uint64)
        self.index.add(ids, words)
        self.model.update(zip(ids, words, strict=True))

    @rule(ids=st.lists(st.integers(0, 70), max_size=8))
    def remove(self, ids):
        expected = len(set(ids) & set(self.model))
        assert self.index.remove(ids) == expected
        for i in ids:
            self.model.pop(i, None)

    @rule()
    def compact(self):
        self.index.compact()

    @rule()
    def snapshot_round_trip(self):
        import tempfile

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / f"idx{self.saves}"
            self.saves += 1
            self.index.save(path)
            self.index = PdqIndex.load(path, **self.options)

    @rule(threshold=st.integers(0, 63), near=st.booleans(), batch=st.booleans())
    def query(self, threshold, near, batch):
        ids = np.array(list(self.model), np.int64)
        words = np.array(list(self.model.values()), np.uint64).reshape(-1, 4)
        queries = np.array([self._hash(near) for _ in range(8 if batch else 1)], np.uint64)
        answers = (
            self.index.query_batch(queries, threshold)
            if batch
            else [self.index.query(queries[0], threshold)]
        )
        for q, got in zip(queries, answers, strict=True):
            assert as_pairs(got) == brute_force(ids, words, q, threshold)

    @invariant()
    def sizes_agree(self):
        assert len(self.index) == len(self.model)


TestIndexMachine = IndexMachine.TestCase
TestIndexMachine.settings = settings(
    max_examples=40,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


# -- exact digests ---------------------------------------------------------------------


def test_exact_index_adds_replaces_and_removes():
    md5_a, md5_b = "0a21c8f85a55a9e276ffc2c53f6887c4", "00" * 16
    index = ExactIndex(digest_size=16)
    index.add([1, 2, 3], [md5_a, bytes.fromhex(md5_a), md5_b])
    assert index.query(md5_a) == [1, 2]
    assert index.query(bytes.fromhex(md5_b)) == [3]
    index.add([2], [md5_b])  # replaces id 2's digest
    assert index.query(md5_a) == [1] and index.query(md5_b) == [2, 3]
    assert index.remove([1, 99]) == 1
    assert index.query(md5_a) == [] and len(index) == 2 and 2 in index
    with pytest.raises(ValueError):
        index.add([4], ["ab" * 32])  # a SHA-256 in an MD5 index
