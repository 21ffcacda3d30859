"""CPU-bound calls through ``comlink_py.process.spawn_pool``: the same calls on a pool of one worker
and on a pool of two, so the ratio shows how much a second core gives (issue 15's target: at most
0.6x the time of one worker with 2 cores).

Each call does a fixed amount of work (a loop calibrated here to take ``--seconds`` on one core),
not a wall-clock wait, so that a core shared with other jobs shows as a slower call. The pools of
one and of two alternate over the rounds, so load from elsewhere hits both alike.

    python benchmarks/bench_pool.py [--calls 8] [--seconds 0.2] [--rounds 3] [--json PATH]

``run()`` returns the figures as a dict.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_JSON = Path(__file__).resolve().parent / "results" / "bench_pool.json"


class Work:
    """What each worker of the pools exposes."""

    def spin(self, n: int) -> int:
        total = 0
        for i in range(n):
            total += i & 7
        return total


work = Work()


def _target() -> str:
    module = __spec__.name if __spec__ is not None else Path(__file__).stem
    return f"{module}:work"


def calibrate(seconds: float) -> int:
    """The loop count that takes about ``seconds`` here, on one core."""
    n = 100_000
    while True:
        begun = time.perf_counter()
        work.spin(n)
        took = time.perf_counter() - begun
        if took > 0.05:
            return max(1, int(n * seconds / took))
        n *= 4


async def _batch(size: int, calls: int, n: int) -> float:
    from comlink_py.process import spawn_pool

    async with spawn_pool(size, _target()) as pool:
        await asyncio.gather(*(pool.remote.spin(1) for _ in range(size * 2)))  # every worker answers
        begun = time.perf_counter()
        await asyncio.gather(*(pool.remote.spin(n) for _ in range(calls)))
        return time.perf_counter() - begun


def run(calls: int = 8, seconds: float = 0.2, rounds: int = 3) -> dict[str, Any]:
    n = calibrate(seconds)
    times: dict[str, list[float]] = {"1": [], "2": []}
    for _ in range(rounds):
        for size in times:
            times[size].append(asyncio.run(_batch(int(size), calls, n)))
    one, two = (statistics.median(times[size]) for size in ("1", "2"))
    return {
        "benchmark": "pool",
        "calls": calls,
        "seconds_per_call": seconds,
        "loop_count": n,
        "rounds": rounds,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "seconds": {"pool of 1": one, "pool of 2": two},
        "all_seconds": times,
        "ratio": two / one,
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=8, help="calls per batch")
    parser.add_argument("--seconds", type=float, default=0.2, help="CPU time of one call on one core")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each pool")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the figures")
    args = parser.parse_args(argv)
    report = run(args.calls, args.seconds, args.rounds)
    seconds = report["seconds"]
    print(f"{args.calls} calls of ~{args.seconds} s CPU each ({report['rounds']} rounds, median)")
    print(f"pool of 1: {seconds['pool of 1']:.3f} s   pool of 2: {seconds['pool of 2']:.3f} s")
    print(f"ratio (2 / 1): {report['ratio']:.2f}x")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"written to {args.json}")


if __name__ == "__main__":
    main()
