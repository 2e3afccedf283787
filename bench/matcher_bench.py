"""PDQ matcher bench: tellsafe's PdqIndex against python-threatexchange's PDQIndex.

    .venv/bin/python bench/matcher_bench.py [--sizes 1000000,10000000]
        [--pytx-sizes 1000000,10000000] [--datasets random,clustered] [--queries 2000]
        [--cpu auto]

Both indexes get the same hashes and the same queries: hashes 0–31 bits from a stored
one ("near") and random hashes ("far"), threshold 31. Each measurement runs in a fresh
process pinned to one core with every thread pool at one thread, so RSS deltas and
timings are its own. Recall is checked against a numpy brute force on a sample.

Figures per (size, dataset, system): build seconds, single-query and batched queries/s,
snapshot save/load seconds and cold start, RSS delta after build and peak, recall.
Prints one JSON line, then a short summary. python-threatexchange runs at
``--pytx-sizes``; at 10 M it needs minutes and ~10 GB per dataset, and answers so few
queries a second that only ``--pytx-big-queries`` of each kind are timed there.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")
THRESHOLD = 31
SEED = 20261129


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# -- data (parent) -----------------------------------------------------------------------


def make_dataset(n: int, kind: str, n_queries: int, rng):
    import numpy as np

    words = rng.integers(0, 2**64, size=(n, 4), dtype=np.uint64)
    if kind == "clustered":
        # Near-duplicate families: about 20 copies of each centre, 0-16 bits flipped
        # (a repeated position flips back, as re-encoding noise would).
        centres = words[: max(1, n // 20)].copy()
        words = centres[rng.integers(0, len(centres), n)]
        flips = rng.integers(0, 17, n)
        rows = np.arange(n)
        for j in range(16):
            pos = rng.integers(0, 256, n)
            bit = np.left_shift(np.uint64(1), (pos % 64).astype(np.uint64))
            words[rows, pos // 64] ^= np.where(j < flips, bit, np.uint64(0))
    ids = rng.permutation(n).astype(np.int64) * 3 + 1_000_000  # arbitrary, unsorted ids
    near = words[rng.integers(0, n, n_queries)].copy()
    for q in near:
        for b in rng.choice(256, size=int(rng.integers(0, THRESHOLD + 1)), replace=False):
            q[b // 64] ^= np.uint64(1) << np.uint64(b % 64)
    far = rng.integers(0, 2**64, size=(n_queries, 4), dtype=np.uint64)
    return ids, words, near, far


def brute_force(words, ids, queries) -> list[list[list[int]]]:
    """Sorted ``[distance, id]`` within the threshold, numpy only (no index code)."""
    import numpy as np

    buf = np.empty_like(words)
    out = []
    for q in queries:
        np.bitwise_xor(words, q, out=buf)
        d = np.bitwise_count(buf).sum(axis=1, dtype=np.int64)
        hit = np.flatnonzero(d <= THRESHOLD)
        out.append(sorted([int(d[i]), int(ids[i])] for i in hit))
    return out


# -- children --------------------------------------------------------------------------


def child_ours(data: Path, snapshot: Path, truth_file: Path) -> dict:
    t0 = time.perf_counter()
    import numpy as np

    from tellsafe.matching.index import PdqIndex, warm_up

    warm_up()
    startup = time.perf_counter() - t0  # imports and kernels (from numba's disk cache)
    rng = np.random.default_rng(1)

    ids, words = np.load(data / "ids.npy"), np.load(data / "words.npy")
    near, far = np.load(data / "near.npy"), np.load(data / "far.npy")
    truth = json.loads(truth_file.read_text())
    rss0 = rss_bytes()
    t = time.perf_counter()
    index = PdqIndex.build(ids, words, auto_compact=False)
    out: dict = {"build_s": time.perf_counter() - t, "startup_jit_s": startup}
    out["rss_delta_mb"] = (rss_bytes() - rss0) / 1e6
    out["peak_delta_mb"] = (peak_rss_bytes() - rss0) / 1e6
    out["memory_bytes_mb"] = index.memory_bytes() / 1e6
    seg = index._state.segments[0]
    out["layout"] = {"substrings": len(seg.layout.widths), "prefix_bits": seg.layout.pbits}
    out.update(query_figures(index, near, far, truth))

    # Updates: each add / remove is one call, visible to the very next query.
    new = rng.integers(0, 2**64, (1000, 4), np.uint64)
    t = time.perf_counter()
    visible = 0
    for k in range(1000):
        index.add([-1 - k], new[k : k + 1])
        visible += any(id == -1 - k for id, _ in index.query(new[k], 0))
    out["add_one_ms"] = (time.perf_counter() - t) / 1000 * 1e3
    t = time.perf_counter()
    gone = 0
    for k in range(1000):
        index.remove([-1 - k])
        gone += not index.query(new[k], 0)
    out["remove_one_ms"] = (time.perf_counter() - t) / 1000 * 1e3
    out["updates_visible_next_query"] = visible == 1000 and gone == 1000
    t = time.perf_counter()
    index.compact()
    out["compact_s"] = time.perf_counter() - t

    t = time.perf_counter()
    index.save(snapshot)
    out["save_s"] = time.perf_counter() - t
    out["snapshot_mb"] = snapshot.stat().st_size / 1e6
    return out


def child_ours_load(data: Path, snapshot: Path, truth_file: Path, mmap: bool) -> dict:
    t0 = time.perf_counter()
    import numpy as np

    from tellsafe.matching.index import PdqIndex, warm_up

    # Load the compiled kernels (numba's disk cache) first, so the RSS delta is the index.
    warm_up()
    jit_s = time.perf_counter() - t0
    near, far = np.load(data / "near.npy"), np.load(data / "far.npy")
    truth = json.loads(truth_file.read_text())
    rss0 = rss_bytes()
    t = time.perf_counter()
    index = PdqIndex.load(snapshot, mmap=mmap)
    load_s = time.perf_counter() - t
    index.query(near[0])
    # Cold start: interpreter already up; imports, kernels, snapshot, first answer.
    out = {"load_s": load_s, "cold_start_s": jit_s + time.perf_counter() - t}
    out["rss_delta_mb"] = (rss_bytes() - rss0) / 1e6
    figures = query_figures(index, near, far, truth)
    out.update({k: figures[k] for k in ("single_near_qps", "single_far_qps", "recall")})
    return out


def query_figures(index, near, far, truth) -> dict:
    import numpy as np

    out = {}
    for name, queries in (("near", near), ("far", far)):
        index.query(queries[0])
        t = time.perf_counter()
        for q in queries:
            index.query(q)
        out[f"single_{name}_qps"] = len(queries) / (time.perf_counter() - t)
    both = np.concatenate([near, far])
    for size in (8, 1000):
        t = time.perf_counter()
        for k in range(0, len(both), size):
            index.query_batch(both[k : k + size])
        out[f"batch{size}_qps"] = len(both) / (time.perf_counter() - t)
    sample = np.concatenate([near[: len(truth["near"])], far[: len(truth["far"])]])
    expected = truth["near"] + truth["far"]
    got = [[[d, id] for id, d in index.query(q)] for q in sample]
    out["recall"] = recall(expected, got)
    return out


def child_pytx(data: Path, snapshot: Path, truth_file: Path, max_queries: int) -> dict:
    t0 = time.perf_counter()
    import faiss
    import numpy as np
    from threatexchange.signal_type.pdq.pdq_index import PDQIndex

    faiss.omp_set_num_threads(1)
    startup = time.perf_counter() - t0
    ids, words = np.load(data / "ids.npy"), np.load(data / "words.npy")
    near, far = np.load(data / "near.npy"), np.load(data / "far.npy")
    truth = json.loads(truth_file.read_text())

    def hexes(arr) -> list[str]:
        raw = np.ascontiguousarray(arr).view(np.uint8).reshape(-1, 32)
        return [r.tobytes().hex() for r in raw]

    # At 10 M pytx answers a few hundred queries a second: time fewer of them.
    near_hex, far_hex = hexes(near[:max_queries]), hexes(far[:max_queries])
    rss0 = rss_bytes()  # the hex entries pytx keeps count as part of its index
    entries = list(zip(hexes(words), ids.tolist(), strict=True))
    t = time.perf_counter()
    index = PDQIndex.build(entries)
    out: dict = {"build_s": time.perf_counter() - t, "startup_import_s": startup}
    del entries
    out["rss_delta_mb"] = (rss_bytes() - rss0) / 1e6
    out["peak_delta_mb"] = (peak_rss_bytes() - rss0) / 1e6
    for name, queries in (("near", near_hex), ("far", far_hex)):
        index.query(queries[0])
        t = time.perf_counter()
        for q in queries:
            index.query(q)
        out[f"single_{name}_qps"] = len(queries) / (time.perf_counter() - t)
    both = near_hex + far_hex
    for size in (8, 1000):
        t = time.perf_counter()
        for k in range(0, len(both), size):
            index.index.search_with_distance_in_result(both[k : k + size], THRESHOLD)
        out[f"batch{size}_qps"] = len(both) / (time.perf_counter() - t)
    sample = near_hex[: len(truth["near"])] + far_hex[: len(truth["far"])]
    got = [
        sorted([int(m.similarity_info.distance), int(m.metadata)] for m in index.query(q))
        for q in sample
    ]
    out["recall"] = recall(truth["near"] + truth["far"], got)
    t = time.perf_counter()
    with open(snapshot, "wb") as f:
        index.serialize(f)
    out["save_s"] = time.perf_counter() - t
    out["snapshot_mb"] = snapshot.stat().st_size / 1e6
    del index
    t = time.perf_counter()
    with open(snapshot, "rb") as f:
        loaded = PDQIndex.deserialize(f)
    out["load_s"] = time.perf_counter() - t
    loaded.query(near_hex[0])
    return out


def recall(expected: list, got: list) -> dict:
    want = {(k, tuple(p)) for k, row in enumerate(expected) for p in row}
    have = {(k, tuple(p)) for k, row in enumerate(got) for p in row}
    return {
        "expected": len(want),
        "found": len(want & have),
        "extra": len(have - want),
        "recall": len(want & have) / len(want) if want else 1.0,
    }


# -- parent ----------------------------------------------------------------------------


def pick_cpu(arg: str) -> int:
    if arg != "auto":
        return int(arg)
    try:
        import psutil

        load = psutil.cpu_percent(interval=1.0, percpu=True)
        allowed = sorted(os.sched_getaffinity(0))
        return min(allowed, key=lambda c: load[c])
    except ImportError:
        return sorted(os.sched_getaffinity(0))[0]


def run_child(role: str, *args: str) -> dict:
    cmd = [sys.executable, __file__, "--child", role, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        return {"error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--pytx-sizes", default="1000000,10000000")
    parser.add_argument(
        "--pytx-big-queries", type=int, default=300, help="pytx queries timed at >= 5 M"
    )
    parser.add_argument("--datasets", default="random,clustered")
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--truth", type=int, default=150, help="queries checked by brute force")
    parser.add_argument("--cpu", default="auto")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("paths", nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        data, snap, truth = (Path(p) for p in args.paths[:3])
        if args.child == "ours":
            result = child_ours(data, snap, truth)
        elif args.child in ("ours-load", "ours-mmap"):
            result = child_ours_load(data, snap, truth, mmap=args.child == "ours-mmap")
        else:
            result = child_pytx(data, snap, truth, int(args.paths[3]))
        print(json.dumps(result))
        return

    cpu = pick_cpu(args.cpu)
    os.sched_setaffinity(0, {cpu})  # children inherit the pinning
    for var in THREAD_VARS:
        os.environ[var] = "1"
    import numpy as np

    sizes = [int(s) for s in args.sizes.split(",")]
    pytx_sizes = {int(s) for s in args.pytx_sizes.split(",") if s}
    rng = np.random.default_rng(SEED)
    results = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="matcher-bench-") as tmp:
        for n in sizes:
            for kind in args.datasets.split(","):
                data = Path(tmp) / f"{kind}-{n}"
                data.mkdir()
                ids, words, near, far = make_dataset(n, kind, args.queries, rng)
                for name, arr in (("ids", ids), ("words", words), ("near", near), ("far", far)):
                    np.save(data / f"{name}.npy", arr)
                k_far = max(1, args.truth // 3)
                truth = {
                    "near": brute_force(words, ids, near[: args.truth - k_far]),
                    "far": brute_force(words, ids, far[:k_far]),
                }
                truth_file = data / "truth.json"
                truth_file.write_text(json.dumps(truth))
                del ids, words
                row: dict = {"size": n, "dataset": kind}
                snap = str(data / "ours.idx")
                row["ours"] = run_child("ours", str(data), snap, str(truth_file))
                row["ours_load"] = run_child("ours-load", str(data), snap, str(truth_file))
                row["ours_mmap"] = run_child("ours-mmap", str(data), snap, str(truth_file))
                if n in pytx_sizes:
                    pysnap = str(data / "pytx.pickle")
                    limit = args.queries if n < 5_000_000 else args.pytx_big_queries
                    row["pytx"] = run_child("pytx", str(data), pysnap, str(truth_file), str(limit))
                results.append(row)
                print(
                    f"... {kind} {n:,} done at {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                )
                for f in data.iterdir():
                    f.unlink()
    report = {
        "bench": "pdq-matcher",
        "threshold": THRESHOLD,
        "cpu": cpu,
        "queries": args.queries,
        "wall_s": round(time.perf_counter() - started, 1),
        "results": results,
    }
    print(json.dumps(report))
    summary(results)


def summary(results: list[dict]) -> None:
    def fmt(r: dict) -> str:
        if not r:
            return "not run"
        if "error" in r:
            return f"error: {r['error']}"
        rec = r["recall"]
        return (
            f"build {r['build_s']:.1f} s | single near {r['single_near_qps']:,.0f} q/s, "
            f"far {r['single_far_qps']:,.0f} q/s | batch8 {r['batch8_qps']:,.0f} q/s, "
            f"batch1000 {r['batch1000_qps']:,.0f} q/s | RSS +{r['rss_delta_mb']:,.0f} MB "
            f"(peak +{r['peak_delta_mb']:,.0f}) | load {r['load_s']:.2f} s | "
            f"recall {rec['found']}/{rec['expected']} (+{rec['extra']} wrong)"
        )

    print("\nPDQ matcher bench, threshold 31, one core")
    for row in results:
        ours = dict(row["ours"])
        ours.setdefault("load_s", row["ours_load"].get("load_s", float("nan")))
        print(f"\n{row['size']:,} hashes, {row['dataset']}")
        print(f"  tellsafe  {fmt(ours)}")
        if "error" not in row["ours_load"] and "error" not in ours:
            ld, mm = row["ours_load"], row["ours_mmap"]
            print(
                f"            cold start {ld['cold_start_s']:.2f} s (read) / "
                f"{mm.get('cold_start_s', float('nan')):.2f} s (mmap, "
                f"{mm.get('single_near_qps', 0):,.0f} q/s); add {ours['add_one_ms']:.2f} ms, "
                f"remove {ours['remove_one_ms']:.2f} ms, compact {ours['compact_s']:.1f} s; "
                f"arrays {ours['memory_bytes_mb']:,.0f} MB"
            )
        print(f"  pytx      {fmt(row.get('pytx', {}))}")
    # The targets this index was built to meet: single queries/s and RSS delta, exact.
    goals = {1_000_000: (15_000, 150), 10_000_000: (3_000, 1_500)}
    for row in results:
        if row["size"] in goals and "error" not in row["ours"]:
            qps, mb = goals[row["size"]]
            ours = row["ours"]
            worst = min(ours["single_near_qps"], ours["single_far_qps"])
            exact = ours["recall"]["recall"] == 1.0 and ours["recall"]["extra"] == 0
            verdict = worst >= qps and ours["rss_delta_mb"] <= mb and exact
            print(
                f"goal {row['size']:,} {row['dataset']}: >= {qps:,} q/s and <= {mb:,} MB, exact: "
                f"{worst:,.0f} q/s, {ours['rss_delta_mb']:,.0f} MB, "
                f"{'exact' if exact else 'NOT exact'} -> {'met' if verdict else 'NOT met'}"
            )


if __name__ == "__main__":
    main()
