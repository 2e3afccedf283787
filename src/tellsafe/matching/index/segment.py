"""One immutable block of hashes: a multi-index segment, or a flat (scanned) one.

A segment owns rows ``0..n-1``: ``words`` (n, 4) uint64, ``ids`` (n,) int64 sorted
ascending (so an id is found with a binary search, without a second index), and a
mutable ``alive`` byte per row (tombstones). Nothing else about a segment ever changes;
``PdqIndex`` replaces whole segments when it merges them.

The layout (number of substrings, prefix bits) is chosen per segment from its size with
a small cost model, and the radius of each substring is chosen per threshold (the
generalised pigeonhole bound, see ``plan_radii``). Neither choice affects correctness,
only speed: every plan satisfies ``sum(radius + 1) > threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from math import comb, exp

import numpy as np

from tellsafe.matching.index import kernels

# Rough costs in nanoseconds on the 2-core reference box, fitted to kernel timings at
# 1 M and 10 M rows; they steer the layout and the per-threshold plan. Only speed
# depends on them, never correctness.
_COST_TABLE = 5.0  # one table slot read (bounds and suffix bitmap), prefetched
_COST_BUCKET = 20.0  # one bucket read from the postings, when the bitmap lets it through
_COST_ENTRY = 1.0  # one posting compared in the branch-free suffix filter
_COST_CANDIDATE = 30.0  # one full-hash check: a random read of 32 bytes
_COST_SCAN_ROW = 2.0  # one row of a brute-force scan (memory-bandwidth bound)
_COST_FIXED = 2000.0  # setting up a multi-index search of one query

# Below this many rows a scan (~2 ns a row) beats any table.
FLAT_MAX_ROWS = 4096
# Enumerating more than this radius per substring is never cheaper than a scan at the
# sizes we serve; the mask table is built once per prefix width up to it.
_MAX_RADIUS = 4
_SCAN_MAX_THRESHOLD = 256


@dataclass(frozen=True)
class Layout:
    """How a multi-index segment cuts the 256 bits, and how it packs its postings."""

    widths: tuple[int, ...]
    pbits: int
    row_bits: int
    # Probe even where a scan would be cheaper (small segments): tests use it to reach
    # the tables with few rows.
    always_probe: bool = False

    @property
    def starts(self) -> tuple[int, ...]:
        out, at = [], 0
        for w in self.widths:
            out.append(at)
            at += w
        return tuple(out)

    @staticmethod
    def split(m: int) -> tuple[int, ...]:
        base, extra = divmod(256, m)
        return tuple(base + 1 if i < extra else base for i in range(m))


def _row_bits(n: int) -> int:
    return max(1, (max(n, 2) - 1).bit_length())


@lru_cache(maxsize=64)
def _flip_masks(pbits: int) -> tuple[np.ndarray, np.ndarray]:
    # All prefix XOR masks ordered by popcount; mask_starts[k] is where weight k begins.
    masks: list[int] = []
    starts = [0]
    for k in range(_MAX_RADIUS + 1):
        for bits in combinations(range(pbits), k):
            masks.append(sum(1 << b for b in bits))
        starts.append(len(masks))
    return np.array(masks, np.uint32), np.array(starts, np.int64)


def _ball(bits: int, radius: int) -> int:
    return sum(comb(bits, k) for k in range(radius + 1))


def _substring_cost(width: int, pbits: int, radius: int, n: int) -> float:
    if radius < 0:
        return 0.0
    suffix_bits = width - pbits
    per_bucket = n / 2.0**pbits
    bitmap_bits = min(32, 2**suffix_bits)
    cost = _ball(width, radius) * n / 2.0**width * _COST_CANDIDATE
    for k in range(radius + 1):  # k bits flipped in the prefix, radius - k left
        # Chance that a bucket's bitmap shows a suffix within the remaining radius.
        covered = 1.0 - (1.0 - 1.0 / bitmap_bits) ** _ball(suffix_bits, radius - k)
        opened = 1.0 - exp(-per_bucket * covered)
        probe = _COST_TABLE + opened * (_COST_BUCKET + per_bucket * _COST_ENTRY)
        cost += comb(pbits, k) * probe
    return cost


def plan_radii(layout: Layout, threshold: int, n: int) -> tuple[np.ndarray, float]:
    """Radii per substring for ``threshold`` and their estimated cost in nanoseconds.

    If a hash is within ``threshold`` then, for any radii with ``sum(r_i + 1) >=
    threshold + 1``, some substring ``i`` is within ``r_i`` (else the distance would be
    at least ``sum(r_i + 1)``). ``r_i = -1`` skips a substring. The cost of a substring
    is convex in its radius, so handing out the ``threshold + 1`` units one at a time to
    the cheapest substring gives the cheapest plan.
    """
    m = len(layout.widths)
    units = [0] * m
    for _ in range(threshold + 1):
        best, best_step = -1, float("inf")
        for i, w in enumerate(layout.widths):
            if units[i] > _MAX_RADIUS:
                continue
            step = _substring_cost(w, layout.pbits, units[i], n) - _substring_cost(
                w, layout.pbits, units[i] - 1, n
            )
            if step < best_step:
                best, best_step = i, step
        if best < 0:
            return np.full(m, -1, np.int64), float("inf")
        units[best] += 1
    radii = np.array([u - 1 for u in units], np.int64)
    cost = _COST_FIXED + sum(
        _substring_cost(w, layout.pbits, int(r), n)
        for w, r in zip(layout.widths, radii, strict=True)
    )
    return radii, cost


def choose_layout(n: int, threshold: int = 31) -> Layout | None:
    """The cheapest layout for ``n`` rows at ``threshold``, or None when a scan is cheaper.

    A table has at most one 8-byte slot per eight rows, so memory is about 5 bytes per
    row per substring (postings and tables) plus the 32-byte hash and the 8-byte id.
    """
    if n <= FLAT_MAX_ROWS:
        return None
    # Sizes sharing a bit length share a layout (and the row packing), so cache by it.
    return _layout_for_bits(_row_bits(n), threshold)


@lru_cache(maxsize=64)
def _layout_for_bits(row_bits: int, threshold: int) -> Layout | None:
    n = 2**row_bits
    best: tuple[float, Layout] | None = None
    for m in range(8, 17):
        widths = Layout.split(m)
        for pbits in range(8, min(widths) + 1):
            if max(widths) - pbits > 32 - row_bits:
                continue
            if 2**pbits > n // 8:
                # Larger tables fall out of cache and stop paying for themselves
                # (measured at 1 M and 10 M); the cost model does not see that.
                break
            layout = Layout(widths, pbits, row_bits)
            _, cost = plan_radii(layout, threshold, n)
            if best is None or cost < best[0]:
                best = (cost, layout)
    if best is None or best[0] >= n * _COST_SCAN_ROW:
        return None
    return best[1]


class Segment:
    """Rows with unique ids, searchable exactly. Build with ``Segment.build``."""

    def __init__(
        self,
        words: np.ndarray,
        ids: np.ndarray,
        alive: np.ndarray,
        layout: Layout | None,
        table: np.ndarray | None = None,
        postings: np.ndarray | None = None,
    ) -> None:
        self.words = words
        self.ids = ids
        self.alive = alive
        self.layout = layout
        self.table = table
        self.postings = postings
        self.n_alive = int(np.count_nonzero(alive))
        self._plans: dict[int, tuple[object, tuple[object, ...]]] = {}
        if layout is not None:
            self._starts = np.array(layout.starts, np.int64)
            self._widths = np.array(layout.widths, np.int64)
            self._masks, self._mask_starts = _flip_masks(layout.pbits)

    @classmethod
    def build(cls, ids: np.ndarray, words: np.ndarray, layout: Layout | None) -> Segment:
        """Sort by id and index (flat when ``layout`` is None). ``ids`` must be unique."""
        order = np.argsort(ids, kind="stable")
        ids = np.ascontiguousarray(ids[order], dtype=np.int64)
        words = np.ascontiguousarray(words[order], dtype=np.uint64)
        alive = np.ones(len(ids), np.uint8)
        n = len(ids)
        if layout is None:
            return cls(words, ids, alive, None)
        if (
            sum(layout.widths) != 256
            or max(layout.widths) > 32
            or not 1 <= layout.pbits <= min(layout.widths)
            or n > 2**layout.row_bits
            or max(layout.widths) - layout.pbits > 32 - layout.row_bits
        ):
            raise ValueError(f"layout {layout} cannot index {n} rows")
        m = len(layout.widths)
        table = np.zeros(m * (2**layout.pbits + 1), np.uint64)
        postings = np.zeros(m * n, np.uint32)
        kernels.build_tables(
            words,
            np.array(layout.starts, np.int64),
            np.array(layout.widths, np.int64),
            layout.pbits,
            layout.row_bits,
            table,
            postings,
        )
        return cls(words, ids, alive, layout, table, postings)

    def __len__(self) -> int:
        return len(self.ids)

    def nbytes(self) -> int:
        arrays = (self.words, self.ids, self.alive, self.table, self.postings)
        return sum(a.nbytes for a in arrays if a is not None)

    def radii(self, threshold: int) -> np.ndarray | None:
        """Radius per substring for ``threshold``, or None when a scan is cheaper."""
        if self.layout is None or threshold >= _SCAN_MAX_THRESHOLD:
            return None
        radii, cost = plan_radii(self.layout, threshold, len(self))
        if cost == float("inf"):
            return None
        if cost >= len(self) * _COST_SCAN_ROW and not self.layout.always_probe:
            return None
        return radii

    def _plan(self, threshold: int) -> tuple[object, tuple[object, ...]]:
        # The kernel and its arguments for this threshold, built once: a query then pays
        # one dict lookup before the compiled call.
        plan = self._plans.get(threshold)
        if plan is None:
            radii = self.radii(threshold)
            if radii is None:
                plan = (
                    kernels.scan_batch,
                    (threshold, self.words, self.ids, self.alive, len(self)),
                )
            else:
                assert self.layout is not None
                plan = (
                    kernels.search_batch,
                    (
                        threshold,
                        self.words,
                        self.ids,
                        self.alive,
                        self._starts,
                        self._widths,
                        self.layout.pbits,
                        self.layout.row_bits,
                        self.table,
                        self.postings,
                        radii,
                        self._masks,
                        self._mask_starts,
                    ),
                )
            self._plans[threshold] = plan
        return plan

    def search(self, queries: np.ndarray, threshold: int) -> np.ndarray:
        """Live rows within ``threshold`` of each query, packed as ``kernels.search_batch``
        returns them: ``B`` counts, the ids, the distances."""
        kernel, args = self._plan(threshold)
        return kernel(queries, *args)  # type: ignore[operator]

    def find(self, ids: np.ndarray) -> np.ndarray:
        """Row of each id if it is here and alive, else -1."""
        pos = np.searchsorted(self.ids, ids)
        pos = np.minimum(pos, max(len(self.ids) - 1, 0))
        if len(self.ids) == 0:
            return np.full(len(ids), -1, np.int64)
        hit = (self.ids[pos] == ids) & (self.alive[pos] != 0)
        return np.where(hit, pos, -1)

    def kill(self, rows: np.ndarray) -> int:
        """Tombstone rows (found alive by ``find``); returns how many were alive."""
        rows = rows[self.alive[rows] != 0]
        self.alive[rows] = 0
        self.n_alive -= len(rows)
        return len(rows)

    def live(self) -> tuple[np.ndarray, np.ndarray]:
        """``(ids, words)`` of the live rows, for merging into a new segment."""
        keep = self.alive != 0
        if keep.all():
            return self.ids, self.words
        return self.ids[keep], self.words[keep]
