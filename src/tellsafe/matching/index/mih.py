"""Exact in-memory PDQ index: multi-index hashing with inline suffix filters, in numba.

Design notes (for the ADR)
--------------------------
*Problem.* Find every stored 256-bit PDQ hash within Hamming distance ``t`` (31 by
default; any ``t`` up to 256 works) of a query, exactly (100 % recall against brute
force), for 1–10 M hashes on one core, with adds and removals visible to the next query
and a start from a snapshot file in well under a second.

*Why not faiss / python-threatexchange.* pytx's ``PDQIndex`` (what HMA uses) wraps faiss
``IndexBinaryMultiHash`` with 16 tables of 16 bits and one flip: ~4 000 candidates per
query at 1 M, each a random 32-byte read plus hash-map bookkeeping, a Python dict of
every id, pickle snapshots, no removal and a full rebuild for any change. Measured side
by side in ``bench/matcher_bench.py``.

*What we do.* Multi-index hashing (Norouzi, Punjani, Fleet 2012) with three changes:

1. **Generalised pigeonhole plan.** The 256 bits are cut into ``m`` contiguous
   substrings (11 of 23–24 bits at 1 M rows, 10 of 25–26 at 10 M). If two hashes are
   within ``t``, then for any radii with ``sum(r_i + 1) > t`` some substring ``i`` is
   within ``r_i`` (a radius of -1 skips a substring). Radii are chosen per threshold by
   a convex cost model (``segment.plan_radii``): at ``t = 31`` and 1 M, ten substrings
   at radius 2 and one at 1. One index serves every threshold; where probing would cost
   more than reading everything (``t`` above ~50 at 1 M) the same call scans, exactly.
2. **Short tables, suffix inline, suffix bitmaps.** A substring's table is a CSR keyed
   only by its low ``pbits`` bits (17 at 1 M, 21 at 10 M: one slot per 8 rows). Each
   posting is one ``uint32`` holding the row number *and* the substring's remaining
   bits (the suffix), and each table slot carries, beside the bucket's start, a 32-bit
   bitmap of the suffixes in the bucket. Most probes end at the slot (no suffix close
   enough); a bucket that may hold one is filtered by a sequential, branch-free scan of
   the inline suffixes; only hashes whose whole substring is within the radius are read
   in full (~300 per query at 1 M, where pytx verifies ~4 000). Memory: 4 bytes per row per
   substring for postings, ~1 for tables, the hash (32 B), the id (8 B) and a tombstone
   byte: ~97 B per row at 1 M and at 10 M.
3. **Memory-level parallelism.** Every step is a cache miss, so a query runs in phases
   (list the slots; read slots and keep the live ones; filter postings; verify rows),
   each a loop of independent loads with software prefetch some iterations ahead.
   Duplicates (a near match is reached through several substrings) go away in one sort
   of the few hits, which also orders the answer.

What bounds it: per query at 1 M, ~1 600 table-slot reads (11.5 MB of tables), ~430
bucket reads (44 MB of postings) and ~300 row reads (32 MB), all random and near DRAM
latency even with prefetch, plus ~3 µs in Python around the kernel. At 10 M (~5 000
slot, ~1 100 bucket and ~1 500 row reads over 1 GB) the suffixes are shorter, as the
row number takes more of each posting, so the bitmaps filter less. Fewer, longer
substrings trade slot reads for candidate reads and memory; the cost model picks the
balance per size.

*Why numba.* The per-query loops cannot be vectorised across buckets in numpy (the
numpy prototype in the research notes reached 639 q/s); they need a compiler. Numba is
a maintained, widely packaged JIT: no C toolchain at install, kernels readable beside
the Python, ``nogil`` so reader threads run in parallel. Costs: ~10 s of compilation the
first time on a machine (cached on disk afterwards, ~0.5 s to load; ``warm_up()`` at
deploy fills the cache; set ``NUMBA_CACHE_DIR`` if the package directory is
read-only), and no control over SIMD: the suffix filter stays scalar, where a C
extension could use AVX-512 compress (not measured; it would add a compiled build).

*Incremental updates.* An LSM in miniature: a main segment, young delta segments, and a
tail buffer scanned linearly. ``add`` appends to the tail (visible to the next query);
a full tail (2 048 rows) is merged into the young delta, rebuilt in milliseconds; when
the deltas outgrow max(65 536, 1/16 of the main segment), or a quarter of the main
segment is tombstoned, ``compact`` builds a new main segment in a background thread
while queries and writes go on, then replays the removals made meanwhile. ``remove``
sets a tombstone byte, checked on every match: a removed id never comes back.

*Snapshots* (``snapshot.py``) store every segment's arrays, tables included, page
aligned: loading reads them straight into memory (1 M in ~0.03 s) or maps them.

*Thread-safety.* Many readers, any number of writers: writers serialise on an internal
lock; readers take no lock, they read one immutable ``_State`` (the segments and the
tail length) published by a single reference assignment; tombstones are bytes written
in place. The kernels release the GIL, so readers in several threads run in parallel.

*Ids.* Each row carries an ``int64`` id chosen by the bank layer, unique across the
index: adding an id that is present replaces its hash (an upsert); a batch naming an id
twice keeps the last. Bank ids are not stored: matches are rare, and the bank layer
resolves an id to its bank and metadata.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tellsafe.matching.index import kernels
from tellsafe.matching.index.segment import Layout, Segment, choose_layout

DEFAULT_THRESHOLD = 31
MAX_THRESHOLD = 256

HashLike = bytes | str | np.ndarray
HashesLike = np.ndarray | Sequence[bytes | str]


# One stored hash within the threshold: ``(id, distance)``. Plain tuples, because a
# clustered query can return dozens and building named tuples costs more than the rest
# of the Python layer.
Match = tuple[int, int]


def as_words(hashes: HashesLike | HashLike) -> np.ndarray:
    """Hashes as a C-contiguous ``(N, 4) uint64`` array (the little-endian view of the
    32 bytes, so ``uint8[N, 32]`` converts without copying).

    Accepts ``uint8[N, 32]``, ``uint64[N, 4]``, one hash as 32 bytes, 64 hex digits or a
    1-D array, or a sequence of bytes / hex strings.
    """
    if isinstance(hashes, bytes | str):
        return as_words([hashes])
    if isinstance(hashes, np.ndarray):
        arr = hashes
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        if arr.dtype == np.uint8 and arr.shape[1:] == (32,):
            return _for_kernels(arr).view("<u8")
        if arr.dtype == np.uint64 and arr.shape[1:] == (4,):
            return _for_kernels(arr)
        raise ValueError(f"expected uint8[N, 32] or uint64[N, 4], got {arr.dtype}{arr.shape}")
    raw = bytearray()
    for h in hashes:
        b = bytes.fromhex(h) if isinstance(h, str) else bytes(h)
        if len(b) != 32:
            raise ValueError(f"a PDQ hash is 32 bytes (64 hex digits), got {len(b)} bytes")
        raw += b
    return np.frombuffer(bytes(raw), "<u8").reshape(-1, 4).copy()


def _for_kernels(arr: np.ndarray) -> np.ndarray:
    # Numba compiles one version of each kernel per array kind; keep to one kind
    # (C-contiguous, writable) rather than paying a compile for read-only or strided input.
    if arr.flags.c_contiguous and arr.flags.writeable:
        return arr
    return np.array(arr, order="C")


def to_hex(words: np.ndarray) -> str:
    """The 64-hex-digit form of one hash given as 4 words (inverse of ``as_words``)."""
    return np.ascontiguousarray(words, dtype="<u8").tobytes().hex()


def _as_ids(ids: Iterable[int] | np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.asarray(ids, dtype=np.int64).reshape(-1))


def _check_threshold(threshold: int) -> int:
    if isinstance(threshold, bool) or not isinstance(threshold, int | np.integer):
        raise TypeError(f"threshold must be an integer, got {threshold!r}")
    if not 0 <= threshold <= MAX_THRESHOLD:
        raise ValueError(f"threshold must be in 0..{MAX_THRESHOLD}, got {threshold}")
    return int(threshold)


def _last_wins(ids: np.ndarray, words: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # A batch naming one id twice means the later hash replaces the earlier one.
    _, first_from_end = np.unique(ids[::-1], return_index=True)
    if len(first_from_end) == len(ids):
        return ids, words
    keep = np.sort(len(ids) - 1 - first_from_end)
    return ids[keep], words[keep]


class _Tail:
    """Fixed-capacity append buffer scanned by brute force; written by one writer."""

    def __init__(self, capacity: int) -> None:
        self.words = np.zeros((capacity, 4), np.uint64)
        self.ids = np.zeros(capacity, np.int64)
        self.alive = np.zeros(capacity, np.uint8)
        self.slots: dict[int, int] = {}

    @property
    def capacity(self) -> int:
        return len(self.ids)


@dataclass(frozen=True)
class _State:
    # Everything a reader needs, published atomically. Segments: main first, then deltas.
    segments: tuple[Segment, ...]
    tail: _Tail
    tail_n: int


class PdqIndex:
    """Exact Hamming-distance index of 256-bit PDQ hashes keyed by ``int64`` ids.

    ``threshold`` is inclusive: a hash at distance ``threshold`` matches.
    """

    def __init__(
        self,
        *,
        tail_capacity: int = 2048,
        delta_ratio: float = 1 / 16,
        delta_min: int = 65536,
        auto_compact: bool = True,
        layout: Callable[[int], Layout | None] = choose_layout,
    ) -> None:
        """Options tune the update path; the defaults suit 1–10 M hashes.

        ``tail_capacity``: adds buffered (and scanned) before they are indexed.
        ``delta_ratio``/``delta_min``: how large the young segments may grow, relative
        to the main one, before a compaction. ``auto_compact``: run compactions in a
        background thread when needed (else call ``compact``). ``layout``: chooses a
        segment's layout from its row count (tests use it to force small tables).
        """
        self._layout_for = layout
        self._tail_capacity = tail_capacity
        self._delta_ratio = delta_ratio
        self._delta_min = delta_min
        self._auto_compact = auto_compact
        self._lock = threading.RLock()
        self._compact_lock = threading.Lock()
        self._state = _State((), _Tail(tail_capacity), 0)
        self._count = 0
        # While a compaction runs: the segments it is merging, and removals to replay.
        self._sealed: tuple[Segment, ...] = ()
        self._removed_during: list[np.ndarray] | None = None
        self._compactor: threading.Thread | None = None

    # -- building ------------------------------------------------------------------

    @classmethod
    def build(
        cls, ids: Iterable[int] | np.ndarray, hashes: HashesLike, **options: object
    ) -> PdqIndex:
        """A new index holding ``hashes`` under ``ids`` (a repeated id keeps its last hash)."""
        index = cls(**options)  # type: ignore[arg-type]
        id_arr, words = _as_ids(ids), as_words(hashes)
        if len(id_arr) != len(words):
            raise ValueError(f"{len(id_arr)} ids for {len(words)} hashes")
        id_arr, words = _last_wins(id_arr, words)
        if len(id_arr):
            index._state = _State((index._segment(id_arr, words),), index._state.tail, 0)
        index._count = len(id_arr)
        return index

    @classmethod
    def _from_segments(cls, segments: Sequence[Segment], **options: object) -> PdqIndex:
        index = cls(**options)  # type: ignore[arg-type]
        index._state = _State(tuple(segments), index._state.tail, 0)
        index._count = sum(s.n_alive for s in segments)
        return index

    def _segment(self, ids: np.ndarray, words: np.ndarray) -> Segment:
        return Segment.build(ids, words, self._layout_for(len(ids)))

    # -- writing -------------------------------------------------------------------

    def add(self, ids: Iterable[int] | np.ndarray, hashes: HashesLike) -> None:
        """Add or replace hashes; they match from the next query on."""
        id_arr, words = _as_ids(ids), as_words(hashes)
        if len(id_arr) != len(words):
            raise ValueError(f"{len(id_arr)} ids for {len(words)} hashes")
        if not len(id_arr):
            return
        id_arr, words = _last_wins(id_arr, words)
        with self._lock:
            replaced = self._remove_locked(id_arr)
            state = self._state
            tail, n = state.tail, state.tail_n
            if n + len(id_arr) <= tail.capacity:
                # Fill the rows beyond what readers can see, then publish the new length.
                tail.words[n : n + len(id_arr)] = words
                tail.ids[n : n + len(id_arr)] = id_arr
                tail.alive[n : n + len(id_arr)] = 1
                for k, i in enumerate(id_arr.tolist()):
                    tail.slots[i] = n + k
                self._state = _State(state.segments, tail, n + len(id_arr))
            else:
                self._flush_locked(id_arr, words)
            self._count += len(id_arr) - replaced
            start = self._auto_compact and self._needs_compaction_locked()
        if start:
            self._start_background_compaction()

    def remove(self, ids: Iterable[int] | np.ndarray) -> int:
        """Remove ids (absent ones are ignored); returns how many were present."""
        id_arr = np.unique(_as_ids(ids))
        with self._lock:
            removed = self._remove_locked(id_arr)
            self._count -= removed
            start = self._auto_compact and self._needs_compaction_locked()
        if start:
            self._start_background_compaction()
        return removed

    def _remove_locked(self, ids: np.ndarray) -> int:
        state = self._state
        removed = 0
        for seg in state.segments:
            if seg.n_alive:
                rows = seg.find(ids)
                removed += seg.kill(rows[rows >= 0])
        tail = state.tail
        for i in ids.tolist():
            slot = tail.slots.pop(i, None)
            if slot is not None:
                tail.alive[slot] = 0
                removed += 1
        if self._removed_during is not None:
            self._removed_during.append(ids)
        return removed

    def _flush_locked(self, ids: np.ndarray, words: np.ndarray) -> None:
        # Merge the tail (and the batch) into the young delta: O(delta), never O(index).
        state = self._state
        parts_ids = [ids]
        parts_words = [words]
        tail, n = state.tail, state.tail_n
        live = tail.alive[:n] != 0
        parts_ids.append(tail.ids[:n][live])
        parts_words.append(tail.words[:n][live])
        segments = list(state.segments)
        young = segments[-1] if len(segments) >= 2 else None
        if young is not None and young not in self._sealed:
            young_ids, young_words = young.live()
            parts_ids.append(young_ids)
            parts_words.append(young_words)
            segments.pop()
        delta = self._segment(np.concatenate(parts_ids), np.concatenate(parts_words))
        segments.append(delta)
        self._state = _State(tuple(segments), _Tail(self._tail_capacity), 0)

    # -- compaction ----------------------------------------------------------------

    def _needs_compaction_locked(self) -> bool:
        segments = self._state.segments
        if self._removed_during is not None or not segments:
            return False
        main, deltas = segments[0], segments[1:]
        delta_rows = sum(len(s) for s in deltas)
        limit = max(self._delta_min, int(len(main) * self._delta_ratio))
        dead = sum(len(s) - s.n_alive for s in segments)
        return delta_rows > limit or dead > max(len(main) // 4, 1024)

    def _start_background_compaction(self) -> None:
        with self._lock:
            if self._compactor is not None and self._compactor.is_alive():
                return
            self._compactor = threading.Thread(
                target=self.compact, name="pdq-index-compact", daemon=True
            )
            self._compactor.start()

    def wait_for_compaction(self, timeout: float | None = None) -> None:
        """Block until a background compaction (if any) has finished."""
        compactor = self._compactor
        if compactor is not None:
            compactor.join(timeout)

    def compact(self) -> None:
        """Rebuild everything live into one segment, dropping tombstones.

        Safe alongside queries and writes: the merge runs without the writer lock, and
        removals made meanwhile are replayed on the new segment before it is published.
        """
        with self._compact_lock:
            with self._lock:
                state = self._state
                tail, n = state.tail, state.tail_n
                sealed = list(state.segments)
                if n:
                    live = tail.alive[:n] != 0
                    sealed.append(self._segment(tail.ids[:n][live], tail.words[:n][live]))
                self._sealed = tuple(sealed)
                self._removed_during = []
                self._state = _State(self._sealed, _Tail(self._tail_capacity), 0)
            try:
                lives = [seg.live() for seg in self._sealed]
                ids = np.concatenate([i for i, _ in lives]) if lives else np.empty(0, np.int64)
                words = (
                    np.concatenate([w for _, w in lives]) if lives else np.empty((0, 4), np.uint64)
                )
                main = self._segment(ids, words) if len(ids) else None
            except BaseException:
                with self._lock:
                    self._sealed, self._removed_during = (), None
                raise
            with self._lock:
                if main is not None:
                    for removed in self._removed_during:
                        rows = main.find(removed)
                        main.kill(rows[rows >= 0])
                current = self._state
                rest = tuple(s for s in current.segments if s not in self._sealed)
                head = (main,) if main is not None and main.n_alive else ()
                self._state = _State(head + rest, current.tail, current.tail_n)
                self._sealed, self._removed_during = (), None

    # -- reading -------------------------------------------------------------------

    def query(self, hash: HashLike, threshold: int = DEFAULT_THRESHOLD) -> list[Match]:
        """``(id, distance)`` of every stored hash within ``threshold`` of ``hash``,
        nearest first, then by id."""
        if isinstance(hash, np.ndarray) and hash.dtype == np.uint64 and hash.shape == (4,):
            # The common case, without as_words' checks. Contiguity matters: numba
            # would compile a second version of every kernel for strided arrays.
            queries = _for_kernels(hash).reshape(1, 4)
        else:
            queries = as_words(hash)[:1]
        return self._search(queries, _check_threshold(threshold))[0]

    def query_batch(
        self, hashes: HashesLike, threshold: int = DEFAULT_THRESHOLD
    ) -> list[list[Match]]:
        """``query`` for each hash (e.g. the 8 dihedral variants of one image) in one call."""
        return self._search(as_words(hashes), _check_threshold(threshold))

    def _search(self, queries: np.ndarray, threshold: int) -> list[list[Match]]:
        state = self._state
        b = len(queries)
        parts = []  # packed kernel outputs with at least one match
        for seg in state.segments:
            if seg.n_alive:
                packed = seg.search(queries, threshold)
                if len(packed) > b:
                    parts.append(packed)
        # Each part is nearest first then by id, except the tail's (insertion order).
        ordered = True
        if state.tail_n:
            tail = state.tail
            packed = kernels.scan_batch(
                queries, threshold, tail.words, tail.ids, tail.alive, state.tail_n
            )
            if len(packed) > b:
                parts.append(packed)
                ordered = False
        if not parts:
            return [[] for _ in range(b)]
        if b == 1 and len(parts) == 1 and ordered:
            flat = parts[0].tolist()
            return [list(zip(flat[1 : 1 + flat[0]], flat[1 + flat[0] :], strict=True))]
        found: list[list[Match]] = [[] for _ in range(b)]
        for packed in parts:
            flat = packed.tolist()
            total = (len(flat) - b) // 2
            at = b
            for k, c in enumerate(flat[:b]):
                if c:
                    ids, dists = flat[at : at + c], flat[at + total : at + total + c]
                    found[k].extend(zip(ids, dists, strict=True))
                    at += c
        if len(parts) > 1 or not ordered:
            for matches in found:
                matches.sort(key=_nearest_first)
        return found

    def __len__(self) -> int:
        return self._count

    def __contains__(self, id: object) -> bool:
        if not isinstance(id, int | np.integer):
            return False
        state = self._state
        key = np.array([id], np.int64)
        if int(id) in state.tail.slots:
            return True
        return any(seg.n_alive and seg.find(key)[0] >= 0 for seg in state.segments)

    def memory_bytes(self) -> int:
        """Bytes held in arrays (hashes, ids, tables, tombstones, tail buffer)."""
        state = self._state
        tail = state.tail
        total = tail.words.nbytes + tail.ids.nbytes + tail.alive.nbytes
        return total + sum(seg.nbytes() for seg in state.segments)

    @property
    def segment_sizes(self) -> list[int]:
        """Rows per segment, main first (tombstoned rows included); for monitoring."""
        return [len(s) for s in self._state.segments]

    # -- snapshots -----------------------------------------------------------------

    def save(self, path: str | Path) -> None:
        """Write a snapshot atomically (see ``snapshot.py`` for the format)."""
        from tellsafe.matching.index import snapshot

        with self._lock:
            state = self._state
            segments = list(state.segments)
            tail, n = state.tail, state.tail_n
            live = tail.alive[:n] != 0
            if live.any():
                segments.append(self._segment(tail.ids[:n][live], tail.words[:n][live]))
            snapshot.write(path, segments)

    @classmethod
    def load(
        cls, path: str | Path, *, mmap: bool = False, verify: bool = False, **options: object
    ) -> PdqIndex:
        """Open a snapshot. ``mmap=True`` maps the file instead of reading it: pages are
        shared between processes, at some query speed (no huge pages). ``verify`` checks
        every array's CRC-32 (a full read of the file)."""
        from tellsafe.matching.index import snapshot

        return cls._from_segments(snapshot.read(path, mmap=mmap, verify=verify), **options)


def _nearest_first(match: Match) -> tuple[int, int]:
    return match[1], match[0]


def warm_up() -> None:
    """Load every compiled kernel (from numba's disk cache, ~0.5 s; compiling them the
    first time on a machine takes ~10 s), so that no request pays for it. Call it at
    process start, and once at deploy time to fill the cache."""
    rng = np.random.default_rng(0)
    words = rng.integers(0, 2**64, size=(64, 4), dtype=np.uint64)
    layout = Layout(Layout.split(11), 6, 6, always_probe=True)
    segment = Segment.build(np.arange(64), words, layout)
    index = PdqIndex._from_segments([segment], auto_compact=False)
    index.add([64], words[:1])
    index.query(words[0])
    index.query_batch(words[:8], 63)
    index.query(words[0], 200)  # the scan fallback
    index.compact()
