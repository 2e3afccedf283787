"""PDQ hashing speed on one core: full mode, fast mode, python-threatexchange, and our
numpy PDQ against pdqhash (Meta's C++).

    .venv/bin/python bench/hashing_bench.py [--n 10] [--seed 1]

Generates ``--n`` photo-like JPEGs (quality 88, in memory) at 1 MP (1152×864), 2 MP
(1632×1224) and 12 MP (4032×3024). It hashes the same bytes three ways:

* ``full``: ``hashing.get("pdq").hash_bytes(data)``, our numpy PDQ on the full picture
  (with the 8 dihedral variants, which cost nothing extra);
* ``fast``: the same with ``fast=True`` (JPEG decode-time downscaling);
* ``threatexchange``: ``threatexchange.signal_type.pdq.pdq_hasher.pdq_from_bytes``, the
  python-threatexchange/HMA path (Pillow decode, then pdqhash).

Then, on the decoded full-size arrays (hashing only, no decoding), it times
``pdq.hash_rgb`` (numpy) against ``pdqhash.compute_dihedral`` (the C++ reference), and
checks that the two agree bit for bit on every photo: the 8 hashes and the quality.

Prints one JSON line with images/s for each, the fast vs full bit distance (max, mean), the
equality checks, and an ``ok`` per set. Exits 1 if any of these fails:

* fast mode is at least 3× faster than threatexchange on the 2 MP and 12 MP sets;
* fast and full differ by at most 8 bits;
* full mode equals threatexchange (hash and quality);
* numpy equals pdqhash.

Needs ``pip install threatexchange pdqhash`` (bench and tests only, not runtime
dependencies; pdqhash builds from source and needs a C++ compiler).
"""

from __future__ import annotations

# One core: set before numpy (imported by our PDQ, pdqhash and Pillow users) starts its
# pools.
import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_name] = "1"

import argparse  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from tellsafe.matching import hashing  # noqa: E402
from tellsafe.matching.hashing.decode import decode_rgb  # noqa: E402
from tellsafe.matching.hashing.pdq import distance, hash_rgb  # noqa: E402
from tellsafe.matching.tests import pdq_reference  # noqa: E402
from tellsafe.matching.tests.images import encode, photo_like  # noqa: E402

SETS = {"1mp": (1152, 864), "2mp": (1632, 1224), "12mp": (4032, 3024)}
MIN_SPEEDUP = 3.0  # fast mode vs threatexchange, on photos of 2 MP and more
MAX_BITS = 8  # fast vs full


def rate(hash_one: Callable[[Any], object], inputs: list[Any]) -> float:
    """Images per second, after one warm-up call."""
    hash_one(inputs[0])
    started = time.perf_counter()
    for item in inputs:
        hash_one(item)
    return len(inputs) / (time.perf_counter() - started)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10, help="photos per size (default 10)")
    parser.add_argument("--seed", type=int, default=1, help="first generator seed")
    args = parser.parse_args()
    try:
        pdqhash = pdq_reference.load()
        pdq_from_bytes = pdq_reference.load(
            "threatexchange.signal_type.pdq.pdq_hasher"
        ).pdq_from_bytes
    except ImportError as exc:
        print(
            json.dumps(
                {
                    "error": "the bench needs pdqhash and threatexchange "
                    f"(pip install pdqhash threatexchange): {exc.__cause__}"
                }
            )
        )
        return 2

    pdq = hashing.get("pdq")
    figures: dict[str, object] = {
        "bench": "hashing",
        "machine": f"{os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}",
        "threads": 1,
        "n": args.n,
    }
    ok = True
    for label, (width, height) in SETS.items():
        photos = [
            encode(photo_like(width, height, args.seed + k), "JPEG", quality=88)
            for k in range(args.n)
        ]
        full = [pdq.hash_bytes(data) for data in photos]
        fast = [pdq.hash_bytes(data, fast=True) for data in photos]
        bits = [distance(a.value, b.value) for a, b in zip(full, fast, strict=True)]
        same_as_tx = all(
            pdq_from_bytes(data) == (result.value, result.quality)
            for data, result in zip(photos, full, strict=True)
        )
        arrays = [decode_rgb(io.BytesIO(data), max_pixels=10**9)[0] for data in photos]
        same_as_pdqhash = all(
            (result.dihedral, result.quality) == pdq_reference.dihedral(rgb)
            for rgb, result in zip(arrays, full, strict=True)
        )
        full_rate = rate(pdq.hash_bytes, photos)
        fast_rate = rate(lambda data: pdq.hash_bytes(data, fast=True), photos)
        tx_rate = rate(pdq_from_bytes, photos)
        numpy_rate = rate(hash_rgb, arrays)
        pdqhash_rate = rate(pdqhash.compute_dihedral, arrays)
        del arrays
        speedup = fast_rate / tx_rate
        checked = label != "1mp"
        passed = (
            same_as_tx
            and same_as_pdqhash
            and max(bits) <= MAX_BITS
            and (not checked or speedup >= MIN_SPEEDUP)
        )
        ok = ok and passed
        figures[label] = {
            "size": f"{width}x{height}",
            "mean_jpeg_kib": round(statistics.mean(len(p) for p in photos) / 1024, 1),
            "full_img_s": round(full_rate, 1),
            "fast_img_s": round(fast_rate, 1),
            "threatexchange_img_s": round(tx_rate, 1),
            "fast_vs_threatexchange": round(speedup, 2),
            "full_vs_threatexchange": round(full_rate / tx_rate, 2),
            "fast_scale": fast[0].scale,
            "fast_vs_full_bits_max": max(bits),
            "fast_vs_full_bits_mean": round(statistics.mean(bits), 2),
            "full_equals_threatexchange": same_as_tx,
            "hash_only_numpy_img_s": round(numpy_rate, 1),
            "hash_only_pdqhash_img_s": round(pdqhash_rate, 1),
            "numpy_vs_pdqhash": round(numpy_rate / pdqhash_rate, 2),
            "numpy_equals_pdqhash": same_as_pdqhash,
            "ok": passed,
        }
    figures["ok"] = ok
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
