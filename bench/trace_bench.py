"""Hosting-trace throughput on one core, with recorded DNS answers and the real offline IP
database.

    .venv/bin/python bench/trace_bench.py [--urls 10000] [--hosts 2000] [--seed 1]

Builds ``--hosts`` host names with recorded answers, in a mix like a hotline's queue:
plain A records, A + AAAA, a CNAME to a CDN (Cloudflare, CloudFront, Fastly, Akamai), a
two-hop CNAME chain, NXDOMAIN, a timeout, a host resolving to private addresses, and IP
literals (dotted, decimal and IPv6). The addresses are drawn at random from public IPv4
and IPv6 space, so the IP database is asked about the whole address space, not a cached
handful. Then it traces ``--urls`` URLs over those hosts (paths vary, some with
credentials or upper case) through ``trace_url``: normalisation, resolution, private
address refusal, country and ASN of each address, CDN detection and the abuse contact.

DNS time is left out on purpose (it is the network's, and a resolver's cache decides
it); what is measured is the work of the trace itself. The first pass runs in a fresh
process, so it includes opening the database and decoding its blocks on first use; the
second pass is the same URLs again, with the database warm.

Prints one JSON line: traces/s for each pass, the outcome counts, and the process's peak
memory.
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import os
import platform
import random
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tellsafe.config.settings_test")

import django  # noqa: E402

django.setup()

from tellsafe.routing.addresses import is_public_address  # noqa: E402
from tellsafe.routing.resolve import RecordedResolver  # noqa: E402
from tellsafe.routing.trace import trace_url  # noqa: E402

CDN_TARGETS = (
    ("{}.cdn.cloudflare.net", "104.16.{}.{}"),
    ("d{}.cloudfront.net", "13.32.{}.{}"),
    ("{}.map.fastly.net", "151.101.{}.{}"),
    ("{}.edgekey.net", "23.0.{}.{}"),
)


def _public_v4(rng: random.Random) -> str:
    while True:
        candidate = str(ipaddress.IPv4Address(rng.getrandbits(32)))
        if is_public_address(candidate):
            return candidate


def _public_v6(rng: random.Random) -> str:
    prefix = rng.choice(["2a01:4f8", "2001:41d0", "2606:4700", "2a00:1450", "2400:cb00"])
    return f"{prefix}:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}"


def build(hosts: int, rng: random.Random) -> tuple[dict[str, Any], list[str]]:
    """Recorded answers and the host part of each URL (a name or an address literal)."""
    records: dict[str, Any] = {}
    targets: list[str] = []
    for index in range(hosts):
        name = f"site{index}.example-{index % 97}.net"
        kind = index % 20
        if kind < 8:
            records[name] = {"A": [_public_v4(rng) for _ in range(rng.randint(1, 3))]}
        elif kind < 11:
            records[name] = {"A": [_public_v4(rng)], "AAAA": [_public_v6(rng)]}
        elif kind < 15:
            pattern, address = CDN_TARGETS[index % len(CDN_TARGETS)]
            edge = pattern.format(index)
            records[name] = {"CNAME": edge}
            records[edge] = {"A": [address.format(rng.randint(0, 15), rng.randint(1, 254))]}
        elif kind == 15:
            middle = f"lb{index}.hosting-{index % 13}.com"
            records[name] = {"CNAME": middle}
            records[middle] = {"CNAME": f"srv{index}.hosting-{index % 13}.com"}
            records[f"srv{index}.hosting-{index % 13}.com"] = {"A": [_public_v4(rng)]}
        elif kind == 16:
            pass  # not recorded: NXDOMAIN
        elif kind == 17:
            records[name] = "timeout"
        elif kind == 18:
            records[name] = {"A": ["10.0.0.5", "192.168.1.9"]}
        else:
            literal = rng.choice(["dotted", "decimal", "v6"])
            address = _public_v4(rng)
            if literal == "dotted":
                name = address
            elif literal == "decimal":
                name = str(int(ipaddress.IPv4Address(address)))
            else:
                name = f"[{_public_v6(rng)}]"
        targets.append(name)
    return records, targets


def urls(targets: list[str], count: int, rng: random.Random) -> list[str]:
    made = []
    for index in range(count):
        host = rng.choice(targets)
        scheme = "https://" if index % 3 else "http://"
        user = "user:secret@" if index % 17 == 0 else ""
        host = host.upper() if index % 11 == 0 and not host.startswith("[") else host
        made.append(f"{scheme}{user}{host}/album/{index}/photo {index}.jpg?x={index}#top")
    return made


def run(batch: list[str], resolver: RecordedResolver) -> tuple[float, Counter]:
    outcomes: Counter = Counter()
    started = time.perf_counter()
    for url in batch:
        outcomes[trace_url(url, resolver=resolver).outcome] += 1
    return time.perf_counter() - started, outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--urls", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    records, targets = build(args.hosts, rng)
    batch = urls(targets, args.urls, rng)
    resolver = RecordedResolver(records)

    cold, outcomes = run(batch, resolver)
    warm, again = run(batch, resolver)
    assert outcomes == again, "the same URLs must trace the same way"
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {
                "bench": "trace",
                "urls": len(batch),
                "hosts": args.hosts,
                "first_pass_traces_per_s": round(len(batch) / cold),
                "warm_traces_per_s": round(len(batch) / warm),
                "warm_ms_per_trace": round(warm / len(batch) * 1000, 3),
                "outcomes": dict(sorted(outcomes.items())),
                "peak_rss_mib": round(peak_mib),
                "python": platform.python_version(),
                "machine": platform.machine(),
            }
        )
    )


if __name__ == "__main__":
    main()
