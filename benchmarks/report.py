"""The run's machine, its tables, and the targets checked as ratios between rows of the same run."""

from __future__ import annotations

import os
import platform
from collections.abc import Sequence
from typing import Any

from .measure import IN_FLIGHT, SIZES

ROW_NAMES = {
    "1": "raw postMessage (floor)",
    "2": "JS Comlink -> JS Comlink",
    "2p": "JS Comlink -> JS Comlink, Pyodide loaded",
    "3": "JS Comlink -> comlink_py (Pyodide)",
    "3s": "JS Comlink -> comlink_py (Pyodide), shortcuts off",
    "3f": "JS Comlink -> bare Python (floor of 3)",
    "3u": "JS Comlink exposing Python functions (no comlink_py)",
    "4": "comlink_py (Pyodide) -> JS Comlink",
    "4s": "comlink_py (Pyodide) -> JS Comlink, shortcuts off",
    "4f": "bare Python -> JS Comlink (floor of 4)",
    "5": "comlink_py <-> comlink_py (2 Pyodide)",
    "6a": "comlink_py CPython in-memory, 1 thread",
    "6b": "comlink_py CPython in-memory, 2 threads",
    "7a": "comlink_py CPython, 2 processes",
    "7b": "rpyc CPython, 2 processes",
    "b2": "JS Comlink -> JS Comlink, Chromium",
    "b2p": "JS Comlink -> JS Comlink, Pyodide loaded, Chromium",
    "b3": "JS Comlink -> comlink_py (Pyodide), Chromium",
    "b3u": "JS Comlink exposing Python functions, Chromium",
}
REFERENCE = "2"
BROWSER_REFERENCE = "b2"  # the browser rows compare their round trips with their own JS Comlink row
PAYLOADS = [f"{label} {mode}" for label in SIZES for mode in ("copy", "transfer")]

# (description, rows it applies to, ratio, limit)
TARGETS = [
    ("no-op round trip <= 1.2x row 2", ("3", "4"), "round_trip_vs_2", 1.2),
    ("no-op round trip <= 1.5x row 2", ("5",), "round_trip_vs_2", 1.5),
    ("no-op round trip <= 1.3x row b2", ("b3",), "round_trip_vs_2", 1.3),
    ("per call @1000 in flight <= 1.2x @10", ("3", "4", "5", "6a", "6b"), "in_flight_1000_vs_10", 1.2),
    ("64 MiB transfer <= 2x 1 KiB transfer", ("3", "4", "5"), "transfer_64MiB_vs_1KiB", 2.0),
]


def machine() -> dict[str, Any]:
    """What the figures were measured on (the Node and Pyodide versions come from the JS rows)."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            first = info.read().split("\n\n", 1)[0]  # the first processor's lines
    except OSError:
        first = ""
    fields = dict(line.split(":", 1) for line in first.splitlines() if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    if "model name" in fields:
        # Two VMs may both say "AMD EPYC": the family and model tell their CPUs apart.
        cpu = fields["model name"]
        if "cpu family" in fields and "model" in fields:
            cpu += f" (family {fields['cpu family']}, model {fields['model']})"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "os": platform.platform(),
        "python": platform.python_version(),
    }


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def ratios(rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """Per row: its round trip over row 2's (b2's for the browser rows), @1000 over @10 in flight,
    64 MiB over 1 KiB transferred."""
    out = {}
    for key, row in rows.items():
        reference = rows.get(BROWSER_REFERENCE if key.startswith("b") else REFERENCE, {})
        flight = row.get("in_flight_us") or {}
        payload = row.get("payload_us") or {}
        # Round trips compare only when measured alike: rows 1-5 on one core, the others not.
        alike = ("round_trip_all_cores_us" in row) == ("round_trip_all_cores_us" in reference)
        out[key] = {
            "round_trip_vs_2": _ratio(row.get("round_trip_us"), reference.get("round_trip_us"))
            if alike
            else None,
            "in_flight_1000_vs_10": _ratio(flight.get("1000"), flight.get("10")),
            "transfer_64MiB_vs_1KiB": _ratio(payload.get("64 MiB transfer"), payload.get("1 KiB transfer")),
        }
    return out


def targets(ratio_table: dict[str, dict[str, float | None]]) -> list[dict[str, Any]]:
    checked = []
    for text, keys, name, limit in TARGETS:
        for key in keys:
            value = ratio_table.get(key, {}).get(name)
            if value is not None:
                checked.append(
                    {"target": text, "row": key, "value": value, "limit": limit, "pass": value <= limit}
                )
    return checked


def _grid(head: Sequence[str], body: Sequence[Sequence[str]]) -> str:
    lines = [head, *body]
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]

    def fmt(line: Sequence[str]) -> str:
        cells = [cell.rjust(width) for cell, width in zip(line, widths, strict=True)]
        cells[0] = line[0].ljust(widths[0])  # the row's name
        return "  ".join(cells)

    return "\n".join([fmt(head), "  ".join("-" * w for w in widths), *(fmt(line) for line in body)])


def _us(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _round_trips(row: dict[str, Any]) -> list[str]:
    """The one-core and all-core round trips; rows 6 and 7 are measured on all cores only."""
    if "round_trip_all_cores_us" in row:
        return [_us(row["round_trip_us"]), _us(row["round_trip_all_cores_us"])]
    return ["-", _us(row["round_trip_us"])]


def text(report: dict[str, Any]) -> str:
    rows = {f"{key}. {ROW_NAMES[key]}": (key, row) for key, row in report["rows"].items()}
    calls = _grid(
        ["row (µs per call)", "round trip, 1 core", "all cores", *(f"@{n} in flight" for n in IN_FLIGHT)],
        [
            [name, *_round_trips(row), *(_us(row["in_flight_us"].get(str(n))) for n in IN_FLIGHT)]
            for name, (_, row) in rows.items()
        ],
    )
    payloads = _grid(
        ["row (µs per size() call)", *(p.replace("transfer", "xfer") for p in PAYLOADS)],
        [
            [name, *(_us((row["payload_us"] or {}).get(p)) for p in PAYLOADS)]
            for name, (_, row) in rows.items()
        ],
    )
    ratio_grid = _grid(
        ["row (ratios)", "round trip / row 2 (b2)", "@1000 / @10", "64 MiB / 1 KiB xfer"],
        [[name, *(_x(v) for v in report["ratios"][key].values())] for name, (key, _) in rows.items()],
    )
    checks = "\n".join(
        f"{'PASS' if t['pass'] else 'FAIL'}  row {t['row']:<3} {t['target']}: {t['value']:.2f}x"
        for t in report["targets"]
    )
    m = report["machine"]
    about = (
        f"{m['cpu']}, {m['cores']} cores; Python {m['python']}, Node {m.get('node', '?')}, "
        f"Pyodide {m.get('pyodide', '?')} (Python {m.get('pyodide_python', '?')}); "
        f"{report['calls']} calls{' (smoke)' if report['smoke'] else ''}"
        + (f"; browser rows: {m['chromium']}" if "chromium" in m else "")
    )
    return "\n\n".join([about, calls, payloads, ratio_grid, checks])
