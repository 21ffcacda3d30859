"""``python -m benchmarks [--smoke] [--calls N] [--rows 1,3,...] [--json PATH]``

Runs every row in one go, prints the tables and the targets (ratios between rows of this run),
and writes the figures as JSON. Rows 1-5 run in Node (``node/bench.mjs``) on worker_threads
MessagePorts, twice: their no-op round trips with Node on one core, then everything on all cores;
rows 6 run here; rows 7 are ``bench_process.py`` (comlink_py between CPython processes, and rpyc),
when rpyc is installed; rows b2, b2p, b3 and b3u are a page in headless Chromium calling Web Workers
(``browser.py``), measured like the Node rows, when Chromium and Playwright are installed; rows s1
to s3p are the streams (``streams.py``), items per second; ``sync`` is the blocking calls against
their peers (``sync_rows.py``), in a table of their own; ``life`` is a pool of two Pyodide workers
against one, and restart() against a fresh start (``life_rows.py``), on every core.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from . import browser, cpython_rows, life_rows, report, streams, sync_rows

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "latest.json"
NODE_ROWS = ("1", "2", "2p", "3", "3s", "3f", "3u", "4", "4s", "4f", "5")
ALL_ROWS = (
    *NODE_ROWS,
    *cpython_rows.ROWS,
    "7a",
    "7b",
    *browser.ROWS,
    *streams.ROWS,
    sync_rows.KEY,
    life_rows.KEY,
)
SMOKE_CALLS = 20


def node_rows(keys: list[str], calls: int, smoke: bool, part: str = "all") -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit(
            "node is not on PATH: rows 1 to 5 need Node 20+ (and `npm install` for comlink, pyodide)"
        )
    command = [
        node,
        "--expose-gc",
        str(HERE / "node" / "bench.mjs"),
        *(["--smoke"] if smoke else []),
        "--part",
        part,
        str(calls),
    ]
    done = subprocess.run([*command, *keys], cwd=HERE.parent, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        sys.stdout.write(done.stdout)
        raise SystemExit(f"node/bench.mjs failed (exit code {done.returncode})")
    return json.loads(lines[-1].removeprefix("BENCH "))  # type: ignore[no-any-return]


@contextlib.contextmanager
def one_core() -> Iterator[bool]:
    """Run what starts inside on one core (children inherit it); yields whether that was possible.

    Sequential round trips between threads on two cores of a VM are bimodal: a thread that finds
    its core idle waits for the hypervisor to wake the core (about 50 µs here), or not at all, by
    chance of where the scheduler put it, so a median flips between runs. On one core every row
    pays only its own work and the switches between its threads, every round alike.
    """
    if not hasattr(os, "sched_setaffinity"):
        yield False
        return
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        yield True
    finally:
        os.sched_setaffinity(0, cores)


def round_trips_and_rest(measure: Callable[[str], dict[str, Any]]) -> dict[str, Any]:
    """``measure(part)`` (Node's rows, or the browser's) for the no-op round trips on one core
    (the targets use them), then for everything, round trips too, on every core."""
    with one_core() as pinned:
        latency = measure("round-trips")
    out = measure("all")
    for key, row in out["rows"].items():
        row["round_trip_all_cores_us"] = row["round_trip_us"]
        row["round_trip_us"] = latency["rows"][key]["round_trip_us"]
    out["meta"]["round_trips_on_one_core"] = pinned
    return out


def process_rows(calls: int, smoke: bool) -> dict[str, Any]:
    """bench_process.py's two libraries, as rows in this run's shape (no payload figures)."""
    try:
        from . import bench_process
    except ImportError as error:  # rpyc is a dev dependency
        print(f"rows 7 skipped: {error}", file=sys.stderr)
        return {}
    # Not 1,000 in flight: rpyc's client sends them all before reading any answer, and the two
    # sides then block each other on full socket buffers.
    result = bench_process.run(
        calls, bench_process.IN_FLIGHT, rounds=1 if smoke else 3, libraries=("comlink_py", "rpyc")
    )
    figures = result["results"]
    return {
        key: {
            "round_trip_us": figures[name]["median_round_trip_us"],
            "in_flight_us": {n: 1e6 / rate for n, rate in figures[name]["calls_per_second"].items()},
            "payload_us": None,
        }
        for key, name in (("7a", "comlink_py"), ("7b", "rpyc"))
    }


def run(calls: int, smoke: bool, keys: Sequence[str]) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    machine = report.machine()
    wanted = [k for k in NODE_ROWS if k in keys]
    if wanted:
        out = round_trips_and_rest(lambda part: node_rows(wanted, calls, smoke, part))
        machine.update(out["meta"])
        rows.update(out["rows"])
    for key, row in cpython_rows.ROWS.items():
        if key in keys:
            rows[key] = asyncio.run(row(calls, smoke))
    if "7a" in keys or "7b" in keys:
        rows.update({k: v for k, v in process_rows(calls, smoke).items() if k in keys})
    in_browser = [k for k in browser.ROWS if k in keys]
    if in_browser:
        try:
            out = round_trips_and_rest(lambda part: browser.run_page(in_browser, calls, smoke, part))
        except browser.BrowserMissing as error:
            print(f"rows {', '.join(in_browser)} skipped: {error}", file=sys.stderr)
        else:
            machine["chromium"] = out["meta"]["browser"]
            machine["browser_round_trips_on_one_core"] = out["meta"].pop("round_trips_on_one_core")
            rows.update(out["rows"])
    stream_rows = streams.run(smoke, [k for k in streams.ROWS if k in keys])
    rows = {key: rows[key] for key in ALL_ROWS if key in rows}  # JSON put "3f" after "5"
    for row in rows.values():
        row["throughput_per_s"] = {n: 1e6 / us for n, us in row["in_flight_us"].items()}
    ratios = report.ratios(rows)
    out = {
        "calls": calls,
        "smoke": smoke,
        "machine": machine,
        "rows": rows,
        "ratios": ratios,
        "targets": report.targets(ratios),
        "streams": stream_rows,
    }
    if sync_rows.KEY in keys:
        out["blocking"] = sync_rows.run(calls, smoke, one_core)
    if life_rows.KEY in keys:
        out["lifecycle"] = life_rows.run(smoke)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help=f"{SMOKE_CALLS} calls, one sample per payload")
    parser.add_argument(
        "--calls", type=int, default=10_000, help="sequential no-op calls per row (default 10000)"
    )
    parser.add_argument("--rows", default=",".join(ALL_ROWS), help="comma-separated rows (default: all)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"default {DEFAULT_JSON}")
    args = parser.parse_args(argv)
    keys = args.rows.split(",")
    unknown = set(keys) - set(ALL_ROWS)
    if unknown:
        parser.error(f"unknown rows {sorted(unknown)}; rows: {', '.join(ALL_ROWS)}")
    calls = SMOKE_CALLS if args.smoke else args.calls
    if calls < 1:
        parser.error("--calls must be at least 1")
    result = run(calls, args.smoke, keys)
    print(report.text(result))
    print("\n" + streams.text(result["streams"]))
    if "blocking" in result:
        print("\n" + sync_rows.text(result["blocking"]))
    if "lifecycle" in result:
        print("\n" + life_rows.text(result["lifecycle"]))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
