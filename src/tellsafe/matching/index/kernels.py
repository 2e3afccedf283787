"""Compiled inner loops of the PDQ index (numba, ``nogil``, cached on disk).

Everything here works on plain numpy arrays so that the Python layer (``segment.py``)
owns all policy. A hash is four ``uint64`` words (the little-endian view of its 32
bytes); distance is the popcount of the XOR.

A multi-index segment splits the 256 bits into ``m`` contiguous *substrings*. For each
substring it keeps one CSR table keyed by the substring's low ``pbits`` bits (the
*prefix*). A table slot is one ``uint64``: the bucket's start in ``postings`` in the high
half (the next slot's start is its end) and, in the low half, a bitmap of the suffixes
present in the bucket (bit ``suffix % 32``). A posting is one ``uint32``: the row number
in its low ``row_bits`` bits and the rest of the substring (the *suffix*) above them.

So a probe first tests the bitmap, read with the bounds, and touches the bucket only if
some suffix in it may be within the remaining radius (most probes stop there); the
bucket is then filtered by a sequential scan of the inline suffixes, and only hashes
whose whole substring is within the radius are read in full (see ``mih.py``).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic


@intrinsic
def _popcount64(typingctx, x):
    sig = types.int64(types.uint64)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def _popcount32(typingctx, x):
    sig = types.int32(types.uint32)

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return sig, codegen


@intrinsic
def _prefetch_row(typingctx, arr, idx):
    # The loops below are bound by memory latency, not arithmetic: asking for the cache
    # line a few iterations ahead keeps several misses in flight.
    sig = types.void(arr, idx)

    def codegen(context, builder, signature, args):
        aryty, idxty = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        i64 = ir.IntType(64)
        i = args[1]
        if i.type.width < 64:
            i = builder.sext(i, i64) if idxty.signed else builder.zext(i, i64)
        stride = builder.extract_value(ary.strides, 0)
        addr = builder.add(builder.ptrtoint(ary.data, i64), builder.mul(i, stride))
        i8p = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        fnty = ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "llvm.prefetch.p0")
        builder.call(
            fn,
            [
                builder.inttoptr(addr, i8p),
                ir.Constant(i32, 0),
                ir.Constant(i32, 3),
                ir.Constant(i32, 1),
            ],
        )
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True, inline="always")
def _distance(words, row, q0, q1, q2, q3):
    return (
        _popcount64(words[row, 0] ^ q0)
        + _popcount64(words[row, 1] ^ q1)
        + _popcount64(words[row, 2] ^ q2)
        + _popcount64(words[row, 3] ^ q3)
    )


@njit(cache=True, nogil=True, inline="always")
def _substring(w0, w1, w2, w3, start, width):
    word = start >> 6
    shift = start & 63
    if word == 0:
        lo, hi = w0, w1
    elif word == 1:
        lo, hi = w1, w2
    elif word == 2:
        lo, hi = w2, w3
    else:
        lo, hi = w3, np.uint64(0)
    value = lo >> np.uint64(shift)
    if shift + width > 64:
        value |= hi << np.uint64(64 - shift)
    return value & ((np.uint64(1) << np.uint64(width)) - np.uint64(1))


_ALL_SUFFIX_BITS = np.uint64(0xFFFFFFFF)


@njit(cache=True, nogil=True, inline="always")
def _suffix_bit(suffix):
    return np.uint64(1) << (np.uint64(suffix) & np.uint64(31))


@njit(cache=True, nogil=True, inline="always")
def _next_combination(x):
    # The next larger integer with as many set bits (Gosper's hack).
    low = x & (~x + np.uint64(1))
    ripple = x + low
    return (((ripple ^ x) >> np.uint64(2)) // low) | ripple


@njit(cache=True, nogil=True)
def build_tables(words, starts, widths, pbits, row_bits, table, postings):
    """Fill ``table`` (zeroed, ``m * (2**pbits + 1)`` uint64) and ``postings`` (``m * n``).

    A counting sort per substring: O(n + 2**pbits) each, rows stay in order in a bucket.
    """
    n = words.shape[0]
    size = 1 << pbits
    keys = np.empty(n, np.uint32)
    bounds = np.zeros(size + 1, np.uint64)
    bitmaps = np.zeros(size, np.uint64)
    pmask = np.uint32(size - 1)
    shift = np.uint32(pbits)
    rshift = np.uint32(row_bits)
    for i in range(starts.shape[0]):
        bounds[:] = 0
        bitmaps[:] = 0
        for row in range(n):
            key = np.uint32(
                _substring(
                    words[row, 0], words[row, 1], words[row, 2], words[row, 3],
                    starts[i], widths[i],
                )
            )  # fmt: skip
            keys[row] = key
            bounds[(key & pmask) + 1] += 1
            bitmaps[key & pmask] |= _suffix_bit(key >> shift)
        for k in range(size):
            bounds[k + 1] += bounds[k]
        base = i * (size + 1)
        for k in range(size):
            table[base + k] = (bounds[k] << np.uint64(32)) | bitmaps[k]
        table[base + size] = bounds[size] << np.uint64(32)
        out = i * n
        for row in range(n):
            key = keys[row]
            prefix = key & pmask
            postings[out + np.int64(bounds[prefix])] = ((key >> shift) << rshift) | np.uint32(row)
            bounds[prefix] += 1


@njit(cache=True, nogil=True)
def _emit(keys, nkeys, alive, ids, out_ids, out_dists, count):
    """Append the live rows among ``keys[:nkeys]`` (``distance << 32 | row``, possibly
    repeated) to the output, nearest first then by row, once each."""
    if count + nkeys > out_ids.shape[0]:
        size = max(2 * out_ids.shape[0], count + nkeys)
        grown_ids = np.empty(size, np.int64)
        grown_dists = np.empty(size, np.int64)
        grown_ids[:count] = out_ids[:count]
        grown_dists[:count] = out_dists[:count]
        out_ids, out_dists = grown_ids, grown_dists
    found = keys[:nkeys]
    found.sort()
    last = -1
    for key in found:
        # A true match is usually reached through several substrings: keep one of each.
        if key != last:
            row = key & 0xFFFFFFFF
            if alive[row]:
                out_ids[count] = ids[row]
                out_dists[count] = key >> 32
                count += 1
        last = key
    return out_ids, out_dists, count


@njit(cache=True, nogil=True)
def _pack(counts, out_ids, out_dists, count):
    # One array back to Python instead of three: boxing each costs about a microsecond.
    b = counts.shape[0]
    packed = np.empty(b + 2 * count, np.int64)
    packed[:b] = counts
    packed[b : b + count] = out_ids[:count]
    packed[b + count :] = out_dists[:count]
    return packed


# How many buckets / rows ahead to prefetch. Far enough to cover a DRAM miss at the
# per-item cost of each loop; measured, flat beyond these values.
_BUCKETS_AHEAD = 24
_ROWS_AHEAD = 16


@njit(cache=True, nogil=True)
def _search_one(
    q,
    t,
    words,
    ids,
    alive,
    starts,
    widths,
    pbits,
    row_bits,
    table,
    postings,
    radii,
    masks,
    mask_starts,
    probe_idx,
    probe_sub,
    probe_budget,
    probe_lo,
    probe_hi,
    out_ids,
    out_dists,
    count,
):
    # Phase 1 (no memory traffic): list every table slot to visit. Phase 2: read the
    # slots (bounds and suffix bitmap) and keep the buckets that may hold a close enough
    # suffix. Phase 3: filter those buckets' entries by their inline suffix. Phase 4:
    # verify survivors against the full hash. Every phase is a loop of independent cache
    # misses with prefetch ahead, so the CPU keeps many in flight; fusing them would
    # serialise each bucket's misses behind the previous one's branches.
    n = words.shape[0]
    m = starts.shape[0]
    q0, q1, q2, q3 = q[0], q[1], q[2], q[3]
    size = 1 << pbits
    pmask = np.uint64(size - 1)
    qsuffix = np.empty(m, np.uint32)
    # balls[i, b]: suffix bits of every suffix within b of the query's, for substring i.
    balls = np.zeros((m, mask_starts.shape[0]), np.uint64)
    nprobe = 0
    for i in range(m):
        key = _substring(q0, q1, q2, q3, starts[i], widths[i])
        qsuffix[i] = np.uint32(key >> np.uint64(pbits))
        r = radii[i]
        if r < 0:
            continue
        suffix_bits = widths[i] - pbits
        ball = _suffix_bit(qsuffix[i])
        balls[i, 0] = ball
        for k in range(1, r + 1):
            if k <= suffix_bits and ball != _ALL_SUFFIX_BITS:
                flip = (np.uint64(1) << np.uint64(k)) - np.uint64(1)
                while flip < (np.uint64(1) << np.uint64(suffix_bits)):
                    ball |= _suffix_bit(np.uint64(qsuffix[i]) ^ flip)
                    flip = _next_combination(flip)
            balls[i, k] = ball
        base = i * (size + 1)
        prefix = key & pmask
        for k in range(r + 1):
            for x in range(mask_starts[k], mask_starts[k + 1]):
                probe_idx[nprobe] = base + np.int64(prefix ^ np.uint64(masks[x]))
                probe_sub[nprobe] = i
                probe_budget[nprobe] = r - k
                nprobe += 1

    # Keep only the probes whose bucket may hold a suffix within the remaining radius
    # (branch-free compaction again); the others never touch the postings.
    total = 0
    nlive = 0
    for p in range(nprobe):
        if p + _BUCKETS_AHEAD < nprobe:
            _prefetch_row(table, probe_idx[p + _BUCKETS_AHEAD])
        slot = table[probe_idx[p]]
        a = np.int64(slot >> np.uint64(32))
        b = np.int64(table[probe_idx[p] + 1] >> np.uint64(32))
        sub = probe_sub[p]
        probe_lo[nlive] = sub * np.int64(n) + a
        probe_hi[nlive] = sub * np.int64(n) + b
        probe_sub[nlive] = sub
        probe_budget[nlive] = probe_budget[p]
        live = (slot & balls[sub, probe_budget[p]]) != 0
        total += (b - a) * live
        nlive += live
    nprobe = nlive

    # Branch-free compaction: every entry is written, only survivors advance the cursor.
    # Unsigned indices spare numba's negative-index fix-up in this, the hottest loop.
    rshift = np.uint32(row_bits)
    rmask = np.uint32((1 << row_bits) - 1)
    cand = np.empty(total + 1, np.uint32)
    ncand = np.uint64(0)
    for p in range(nprobe):
        if p + _BUCKETS_AHEAD < nprobe:
            # Fetch every cache line of the bucket (16 postings each), up to a cap: near-
            # duplicate families make some buckets long, and a line not asked for early
            # is a full miss in the middle of the scan.
            ahead_lo = probe_lo[p + _BUCKETS_AHEAD]
            ahead_hi = min(probe_hi[p + _BUCKETS_AHEAD], ahead_lo + 128)
            for x in range(ahead_lo, ahead_hi + 1, 16):
                _prefetch_row(postings, x)
            _prefetch_row(postings, ahead_hi)
        budget = probe_budget[p]
        suffix = qsuffix[probe_sub[p]]
        for x in range(np.uint64(probe_lo[p]), np.uint64(probe_hi[p])):
            entry = postings[x]
            cand[ncand] = entry & rmask
            ncand += np.uint64(_popcount32((entry >> rshift) ^ suffix) <= budget)

    # Verify branch-free too: the test almost always fails. Hits are kept as sort keys,
    # so one sort yields them deduplicated and nearest first; rows are in id order, so
    # ties come out by id.
    keys = np.empty(ncand + 1, np.int64)
    nhit = 0
    for c in range(ncand):
        if c + _ROWS_AHEAD < ncand:
            _prefetch_row(words, cand[c + _ROWS_AHEAD])
        row = np.int64(cand[c])
        d = _distance(words, row, q0, q1, q2, q3)
        keys[nhit] = (d << 32) | row
        nhit += d <= t
    if nhit == 0:
        return out_ids, out_dists, count
    return _emit(keys, nhit, alive, ids, out_ids, out_dists, count)


@njit(cache=True, nogil=True)
def search_batch(
    queries,
    t,
    words,
    ids,
    alive,
    starts,
    widths,
    pbits,
    row_bits,
    table,
    postings,
    radii,
    masks,
    mask_starts,
):
    """Exact search of one multi-index segment for each row of ``queries`` (B, 4).

    Returns one int64 array: ``B`` counts, then the ids, then the distances; query
    ``k`` owns the next ``counts[k]`` of each, nearest first then by id.
    """
    nprobe = 0
    for i in range(starts.shape[0]):
        if radii[i] >= 0:
            nprobe += mask_starts[radii[i] + 1]
    probe_idx = np.empty(nprobe, np.int64)
    probe_sub = np.empty(nprobe, np.int64)
    probe_budget = np.empty(nprobe, np.int32)
    probe_lo = np.empty(nprobe, np.int64)
    probe_hi = np.empty(nprobe, np.int64)
    counts = np.zeros(queries.shape[0], np.int64)
    out_ids = np.empty(16, np.int64)
    out_dists = np.empty(16, np.int64)
    count = 0
    for k in range(queries.shape[0]):
        before = count
        out_ids, out_dists, count = _search_one(
            queries[k], t, words, ids, alive, starts, widths, pbits, row_bits, table,
            postings, radii, masks, mask_starts, probe_idx, probe_sub, probe_budget,
            probe_lo, probe_hi, out_ids, out_dists, count,
        )  # fmt: skip
        counts[k] = count - before
    return _pack(counts, out_ids, out_dists, count)


@njit(cache=True, nogil=True)
def scan_batch(queries, t, words, ids, alive, n):
    """Brute-force search of the first ``n`` rows: the tail buffer, and the fallback when
    a threshold is so high that probing would cost more than reading everything.
    Returns what ``search_batch`` does, ordered by distance then row."""
    counts = np.zeros(queries.shape[0], np.int64)
    out_ids = np.empty(16, np.int64)
    out_dists = np.empty(16, np.int64)
    count = 0
    chunk = 4096
    keys = np.empty(chunk + 1, np.int64)
    for k in range(queries.shape[0]):
        q0, q1, q2, q3 = queries[k, 0], queries[k, 1], queries[k, 2], queries[k, 3]
        before = count
        for lo in range(0, n, chunk):
            nhit = 0
            for row in range(lo, min(n, lo + chunk)):
                d = _distance(words, row, q0, q1, q2, q3)
                keys[nhit] = (d << 32) | row
                nhit += d <= t
            if nhit:
                out_ids, out_dists, count = _emit(keys, nhit, alive, ids, out_ids, out_dists, count)
        if count - before > 1 and n > chunk:
            # Chunks were each sorted; merge them by distance (stable keeps row order).
            order = np.argsort(out_dists[before:count], kind="mergesort")
            out_ids[before:count] = out_ids[before:count][order]
            out_dists[before:count] = out_dists[before:count][order]
        counts[k] = count - before
    return _pack(counts, out_ids, out_dists, count)


@njit(cache=True, nogil=True)
def distances(words, q):
    """Distance from ``q`` (4 words) to every row: the brute-force oracle for tests/bench."""
    out = np.empty(words.shape[0], np.int64)
    for row in range(words.shape[0]):
        out[row] = _distance(words, row, q[0], q[1], q[2], q[3])
    return out
