"""``make bench`` section "PDQ matcher index": our PdqIndex against python-threatexchange
(bench/matcher_bench.py), with the columns of sizes not re-run kept from the last run."""

from __future__ import annotations

import re
from collections.abc import Callable

from common import RESULTS, _json_run, record

MATCHER_SECTION = "PDQ matcher index"
MATCHER_SIZES = (1_000_000, 10_000_000)
MATCHER_DATASETS = ("random", "clustered")
# Goals per size, one core: single queries/s (near and far) and RSS growth in MB, exact.
MATCHER_GOALS = {1_000_000: (15_000, 150), 10_000_000: (3_000, 1_500)}
MATCHER_ROWS = (
    "ours, single queries/s, near / far",
    "ours, batches of 8 (queries/s)",
    "ours, memory (RSS growth)",
    "ours, build",
    "ours, snapshot load / cold start",
    "python-threatexchange, single queries/s, near",
    "ours / python-threatexchange, single queries/s, near",
    "python-threatexchange, memory (RSS growth / peak)",
    "python-threatexchange, build / load",
    "recall vs brute force, both",
)


def _size_label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1000}k" if n % 1000 == 0 else f"{n:,}"


def _mb(mb: float) -> str:
    if mb < 1000:
        return f"{mb:,.0f} MB"
    return f"{mb / 1000:.2f} GB" if mb < 2000 else f"{mb / 1000:.1f} GB"


def _secs(s: float) -> str:
    return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"


def _numbers(cell: str) -> list[float]:
    return [float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", cell)]


def _matcher_cells(row: dict) -> dict[str, str]:
    """The table cells of one (size, dataset) from matcher_bench.py's JSON."""
    ours, load, pytx = row["ours"], row["ours_load"], row.get("pytx")
    cells: dict[str, str] = {}

    def put(label: str, source: dict | None, fmt: Callable[[dict], str]) -> None:
        if not source:
            cells[label] = "not run"
        elif "error" in source:
            cells[label] = "error"
        else:
            cells[label] = fmt(source)

    put(
        MATCHER_ROWS[0],
        ours,
        lambda r: f"**{r['single_near_qps']:,.0f}** / {r['single_far_qps']:,.0f}",
    )
    put(MATCHER_ROWS[1], ours, lambda r: f"{r['batch8_qps']:,.0f}")
    put(MATCHER_ROWS[2], ours, lambda r: f"**{_mb(r['rss_delta_mb'])}**")
    put(MATCHER_ROWS[3], ours, lambda r: _secs(r["build_s"]))
    put(MATCHER_ROWS[4], load, lambda r: f"{r['load_s']:.2f} / {r['cold_start_s']:.2f} s")
    put(MATCHER_ROWS[5], pytx, lambda r: f"{r['single_near_qps']:,.0f}")
    if ours and "error" not in ours:
        put(
            MATCHER_ROWS[6],
            pytx,
            lambda r: f"**{ours['single_near_qps'] / r['single_near_qps']:.1f}x**",
        )
    else:
        cells[MATCHER_ROWS[6]] = "error"
    put(
        MATCHER_ROWS[7],
        pytx,
        lambda r: f"{_mb(r['rss_delta_mb'])} / {_mb(r['peak_delta_mb'])}",
    )
    put(MATCHER_ROWS[8], pytx, lambda r: f"{_secs(r['build_s'])} / {_secs(r['load_s'])}")

    def rec(r: dict) -> str:
        got = r["recall"]
        return f"{got['found']}/{got['expected']}" + (
            f" (+{got['extra']} wrong)" if got["extra"] else ""
        )

    if "error" in ours or not pytx or "error" in pytx:
        cells[MATCHER_ROWS[9]] = "error" if "error" in ours else f"ours {rec(ours)}"
    elif rec(ours) == rec(pytx):
        cells[MATCHER_ROWS[9]] = rec(ours)
    else:
        cells[MATCHER_ROWS[9]] = f"ours {rec(ours)}, pytx {rec(pytx)}"
    return cells


def _previous_matcher_columns() -> dict[tuple[int, str], tuple[str, dict[str, str]]]:
    """Columns of the PDQ matcher table now in RESULTS.md: (size, dataset) -> (date, cells).

    A column keeps the date of the run that measured it: from its header when it was
    carried over before, else from the section's date line.
    """
    if not RESULTS.exists():
        return {}
    found = re.search(
        rf"^## {re.escape(MATCHER_SECTION)}\n(.*?)(?=^## |\Z)", RESULTS.read_text(), re.S | re.M
    )
    if not found:
        return {}
    body = found.group(1)
    stamp = re.search(r"^- Date: (\d{4}-\d{2}-\d{2})", body, re.M)
    table = [
        [c.strip() for c in line.strip().strip("|").split("|")]
        for line in body.splitlines()
        if line.startswith("|") and not line.startswith("|---")
    ]
    if not table:
        return {}
    sizes = {_size_label(n): n for n in MATCHER_SIZES}
    columns = {}
    for k, header in enumerate(table[0][1:], start=1):
        m = re.fullmatch(r"(\S+) (\w+)(?: \(measured (\d{4}-\d{2}-\d{2})\))?", header)
        if not m or m.group(1) not in sizes:
            continue  # only the default sizes are kept (not a quick run at another size)
        date = m.group(3) or (stamp.group(1) if stamp else "an earlier run")
        cells = {r[0]: r[k] for r in table[1:] if len(r) > k}
        columns[(sizes[m.group(1)], m.group(2))] = (date, cells)
    return columns


def _carried_ratio(cells: dict[str, str]) -> str:
    """The ratio cell for a column carried over from a table that did not have the row."""
    if MATCHER_ROWS[6] in cells:
        return cells[MATCHER_ROWS[6]]
    ours = _numbers(cells.get(MATCHER_ROWS[0], ""))
    pytx = _numbers(cells.get(MATCHER_ROWS[5], ""))
    return f"**{ours[0] / pytx[0]:.1f}x**" if ours and pytx and pytx[0] else "not run"


def _goal_verdict(size: int, cells: dict[str, str]) -> str | None:
    if size not in MATCHER_GOALS:
        return None
    qps_goal, mb_goal = MATCHER_GOALS[size]
    qps = _numbers(cells.get(MATCHER_ROWS[0], ""))
    memory = cells.get(MATCHER_ROWS[2], "")
    mb = _numbers(memory)
    recall = _numbers(cells.get(MATCHER_ROWS[9], ""))
    if len(qps) < 2 or not mb or len(recall) < 2:
        return "not measured"
    worst, mb_used = min(qps[:2]), mb[0] * (1000 if "GB" in memory else 1)
    exact = recall[0] == recall[1] and "wrong" not in cells[MATCHER_ROWS[9]]
    met = worst >= qps_goal and mb_used <= mb_goal and exact
    return (
        f"{'met' if met else 'NOT met'} ({worst:,.0f} q/s, {_mb(mb_used)}, "
        f"{'exact' if exact else 'NOT exact'}, {_carried_ratio(cells).strip('*')} "
        "python-threatexchange)"
    )


def bench_matcher(sizes: list[int] | None = None, extra: list[str] | None = None) -> None:
    """Our PdqIndex against python-threatexchange's PDQIndex (bench/matcher_bench.py)."""
    sizes = sizes or list(MATCHER_SIZES)
    extra = extra or []
    arg = ",".join(str(n) for n in sizes)
    r = _json_run(["bench/matcher_bench.py", "--sizes", arg, "--pytx-sizes", arg, *extra])
    columns: dict[tuple[int, str], tuple[str | None, dict[str, str]]] = {}
    for row in r["results"]:
        columns[(row["size"], row["dataset"])] = (None, _matcher_cells(row))
    carried = {
        key: (date, {**cells, MATCHER_ROWS[6]: _carried_ratio(cells)})
        for key, (date, cells) in _previous_matcher_columns().items()
        if key[0] not in sizes
    }
    columns.update(carried)
    order = sorted(
        columns,
        key=lambda k: (k[0], MATCHER_DATASETS.index(k[1]) if k[1] in MATCHER_DATASETS else 9),
    )

    def header(key: tuple[int, str]) -> str:
        date = columns[key][0]
        return f"{_size_label(key[0])} {key[1]}" + (f" (measured {date})" if date else "")

    lines = [
        "Our PdqIndex against python-threatexchange's PDQIndex on the same hashes and the "
        "same queries, threshold 31, each measurement in a fresh process pinned to one core "
        f"(cpu {r['cpu']}) with one thread. Datasets: random hashes, and clustered families "
        "of about 20 near-duplicates; queries 0–31 bits from a stored hash (near) and random "
        f"(far), {r['queries']:,} of each (python-threatexchange at 5M and more: fewer). "
        "Recall is checked against a numpy brute force on a sample. Run time "
        f"{r['wall_s'] / 60:.1f} min.",
        "",
        "| 1 core, t=31 | " + " | ".join(header(k) for k in order) + " |",
        "|---|" + "---:|" * len(order),
    ]
    for label in MATCHER_ROWS:
        lines.append(
            f"| {label} | " + " | ".join(columns[k][1].get(label, "") for k in order) + " |"
        )
    lines.append("")
    if carried:
        dates = sorted({date for date, _ in carried.values()})
        lines += [
            'Columns marked "measured DATE" were not run this time (this run measured '
            f"{', '.join(_size_label(n) for n in sizes)} only) and are carried over "
            f"unchanged from the run of {', '.join(dates)} (its machine and code may differ "
            "from this run's); their ratio row is computed from their own two cells. The "
            "other columns are from this run.",
            "",
        ]
    goals = [
        f"{_size_label(k[0])} {k[1]}: {verdict}"
        for k in order
        if (verdict := _goal_verdict(k[0], columns[k][1]))
    ]
    lines.append(
        "Goals (1 core, worst of near and far, RSS growth, recall exactly 100%): "
        + "; ".join(
            f"{_size_label(n)} ≥ {q:,} q/s in ≤ {mb:,} MB" for n, (q, mb) in MATCHER_GOALS.items()
        )
        + ". "
        + "; ".join(goals)
        + "."
    )
    updates = []
    for row in r["results"]:
        ours, load = row["ours"], row["ours_load"]
        if "error" in ours or "error" in load:
            continue
        updates.append(
            f"{_size_label(row['size'])} {row['dataset']}: add / remove one hash "
            f"{ours['add_one_ms']:.2f} / {ours['remove_one_ms']:.2f} ms, "
            f"{'visible' if ours['updates_visible_next_query'] else 'NOT visible'} to the "
            f"next query; compaction {_secs(ours['compact_s'])}; mmap cold start "
            f"{row['ours_mmap'].get('cold_start_s', float('nan')):.2f} s"
        )
    if updates:
        lines += [
            "",
            "Updates and start-up (this run): "
            + "; ".join(updates)
            + ". The first run on a machine compiles the numba kernels; the cold start "
            "above loads them from numba's disk cache.",
        ]
    record(MATCHER_SECTION, f"make bench BENCH_ARGS='matcher {' '.join(map(str, sizes))}'", lines)


# --- matcher over the banks ----------------------------------------------------------
