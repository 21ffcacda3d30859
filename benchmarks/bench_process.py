"""Calls into another CPython process: comlink_py over its process endpoint (asynchronous, and its
blocking client ``spawn_sync``) against rpyc.

Both peers run on this machine over an AF_UNIX socket pair whose other end a child process inherited,
so only the RPC layers differ. Measured: the median round trip of a no-op call, and throughput with
1, 10 and 100 calls in flight (each batch is issued at once, then awaited).

    python benchmarks/bench_process.py [--calls N] [--rounds R] [--json PATH]

``run()`` returns the figures as a dict, for a benchmark runner.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import platform
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import rpyc  # type: ignore[import-untyped]
from rpyc.core.stream import SocketStream  # type: ignore[import-untyped]

IN_FLIGHT = (1, 10, 100)
DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "bench_process.json"


class Bench:
    """What the comlink_py worker exposes."""

    def noop(self) -> None:
        return None


bench = Bench()


def _target() -> str:
    # Run as a script this module is "__main__" in the parent, so name it by what the child imports.
    module = __spec__.name if __spec__ is not None else Path(__file__).stem
    return f"{module}:bench"


Sample = tuple[list[float], dict[int, float]]  # round trips (s), calls per second by calls in flight


def _summary(samples: list[Sample]) -> dict[str, Any]:
    """Round trips pooled over the rounds; for throughput, the median round."""
    round_trips = [t for trips, _ in samples for t in trips]
    return {
        "median_round_trip_us": statistics.median(round_trips) * 1e6,
        "p90_round_trip_us": statistics.quantiles(round_trips, n=10)[-1] * 1e6,
        "calls_per_second": {
            str(k): statistics.median(rates[k] for _, rates in samples) for k in samples[0][1]
        },
    }


# ----------------------------------------------------------------------------------------------
# comlink_py


async def _comlink(calls: int, in_flight: Sequence[int]) -> Sample:
    from comlink_py import process

    remote, worker = await process.spawn(_target())
    async with worker:
        noop = remote.noop
        for _ in range(min(calls, 200)):  # warm up
            await noop()
        round_trips = []
        for _ in range(calls):
            start = time.perf_counter()
            await noop()
            round_trips.append(time.perf_counter() - start)
        throughput = {}
        for k in in_flight:
            batches = max(1, calls // k)
            start = time.perf_counter()
            for _ in range(batches):
                await asyncio.gather(*[noop() for _ in range(k)])
            throughput[k] = batches * k / (time.perf_counter() - start)
    return round_trips, throughput


def bench_comlink(calls: int = 2000, in_flight: Sequence[int] = IN_FLIGHT) -> Sample:
    return asyncio.run(_comlink(calls, in_flight))


def bench_comlink_sync(calls: int = 2000, in_flight: Sequence[int] = IN_FLIGHT) -> Sample:
    """comlink_py's blocking client (``spawn_sync``): sequential calls only, so its throughput is
    given for one call in flight."""
    from comlink_py.blocking_process import spawn_sync

    remote, worker = spawn_sync(_target())
    with worker:
        round_trips = _sequential(remote.noop, calls)
    return round_trips, {1: calls / sum(round_trips)}


def _sequential(noop: Callable[[], None], calls: int) -> list[float]:
    """Round trips (s) of ``calls`` blocking no-op calls, made one after the other once warm."""
    for _ in range(min(calls, 200)):
        noop()
    round_trips = []
    for _ in range(calls):
        start = time.perf_counter()
        noop()
        round_trips.append(time.perf_counter() - start)
    return round_trips


# ----------------------------------------------------------------------------------------------
# rpyc


def _rpyc_child(fd: int) -> None:

    class BenchService(rpyc.Service):  # type: ignore[misc]
        def exposed_noop(self) -> None:
            return None

    conn = rpyc.connect_stream(SocketStream(socket.socket(fileno=fd)), service=BenchService)
    with contextlib.suppress(EOFError):  # the parent closed the connection
        conn.serve_all()


def bench_rpyc(calls: int = 2000, in_flight: Sequence[int] = IN_FLIGHT) -> Sample:

    parent, child = socket.socketpair()
    with child:
        proc = subprocess.Popen(
            [sys.executable, __file__, "--rpyc-child", str(child.fileno())],
            pass_fds=(child.fileno(),),
            stdin=subprocess.DEVNULL,
        )
    try:
        conn = rpyc.connect_stream(SocketStream(parent))
        noop: Callable[[], None] = conn.root.noop
        async_noop = rpyc.async_(noop)
        round_trips = _sequential(noop, calls)
        throughput = {}
        for k in in_flight:
            batches = max(1, calls // k)
            start = time.perf_counter()
            for _ in range(batches):
                for result in [async_noop() for _ in range(k)]:
                    result.wait()
            throughput[k] = batches * k / (time.perf_counter() - start)
        conn.close()
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return round_trips, throughput


# ----------------------------------------------------------------------------------------------


BENCHES: dict[str, Callable[[int, Sequence[int]], Sample]] = {
    "comlink_py": bench_comlink,
    "comlink_py_sync": bench_comlink_sync,
    "rpyc": bench_rpyc,
}


def run(
    calls: int = 2000,
    in_flight: Sequence[int] = IN_FLIGHT,
    rounds: int = 3,
    libraries: Sequence[str] = tuple(BENCHES),
) -> dict[str, Any]:
    """The libraries, in alternating rounds so that load from elsewhere hits each alike (compare
    them to each other within one run, not across runs)."""
    benches = {name: BENCHES[name] for name in libraries}
    samples: dict[str, list[Sample]] = {name: [] for name in benches}
    for _ in range(rounds):
        for name, bench_one in benches.items():
            samples[name].append(bench_one(calls, in_flight))
    return {
        "benchmark": "process",
        "calls": calls,
        "rounds": rounds,
        "python": platform.python_version(),
        "rpyc_version": rpyc.__version__,
        "results": {name: _summary(runs) for name, runs in samples.items()},
    }


def table(report: dict[str, Any]) -> str:
    results = report["results"]
    flights = max((list(r["calls_per_second"]) for r in results.values()), key=len)
    head = ["library", "median µs", "p90 µs", *(f"calls/s @{k}" for k in flights)]
    rows = [head]
    for name, r in results.items():
        rate = r["calls_per_second"]
        rows.append(
            [
                name,
                f"{r['median_round_trip_us']:.0f}",
                f"{r['p90_round_trip_us']:.0f}",
                *(f"{rate[k]:,.0f}" if k in rate else "-" for k in flights),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per library")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the figures")
    parser.add_argument("--rpyc-child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rpyc_child is not None:
        _rpyc_child(args.rpyc_child)
        return
    report = run(args.calls, rounds=args.rounds)
    print(table(report))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nwritten to {args.json}")


if __name__ == "__main__":
    main()
