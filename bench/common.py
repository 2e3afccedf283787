"""Shared pieces of the benches: where results go, the machine, and running a bench
script that prints one JSON line."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "RESULTS.md"
PG_URL = os.environ.get("BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, Python {platform.python_version()}"


def record(section: str, command: str, lines: list[str]) -> None:
    """Replace ``section`` in RESULTS.md with fresh figures."""
    text = (
        RESULTS.read_text()
        if RESULTS.exists()
        else "# Benchmark results\n\nWritten by `make bench` (bench/run.py). Each section is "
        "replaced when its bench runs again.\n"
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = "\n".join(
        [
            f"## {section}",
            "",
            f"- Date: {stamp}",
            f"- Machine: {machine()}",
            f"- Command: `{command}`",
            "",
            *lines,
            "",
        ]
    )
    pattern = re.compile(rf"^## {re.escape(section)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = (
        pattern.sub(block + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + block
    )
    RESULTS.write_text(text.rstrip() + "\n")
    print("\n".join([f"## {section}", *lines]))


# --- page weight ---------------------------------------------------------------------


def _json_run(args: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    return json.loads([line for line in out.splitlines() if line.startswith("{")][-1])
