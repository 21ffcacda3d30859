"""The measurement loop of the blocking-call rows (``sync_rows.py``), run by Python in a Pyodide
worker: a no-op call to a JS function on the main thread, made blocking with comlink_py and with
the peers, and asynchronously with comlink_py; and what a blocked call of one second costs in CPU.

``calls`` maps a row to its blocking ``noop()`` and ``sleep(ms)``; ``cpu_now()`` (the worker's
process CPU time in ms, or ``None`` where JS cannot read it) brackets the long call.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

WARM_UP = 300


def median_us(call: Callable[[], Any], calls: int) -> float:
    for _ in range(min(calls, WARM_UP)):
        call()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


async def async_median_us(remote: Any, calls: int) -> float:
    noop = remote.noop
    for _ in range(min(calls, WARM_UP)):
        await noop()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        await noop()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def long_call_cpu_ms(sleep: Callable[[int], Any], cpu_now: Callable[[], Any] | None) -> float | None:
    """The CPU time spent while one blocking call waits a second for its answer."""
    if cpu_now is None:
        return None
    before = float(cpu_now())
    sleep(1000)
    return float(cpu_now()) - before


async def run(rows: dict[str, Any], async_remote: Any, cpu_now: Any, calls: int) -> dict[str, Any]:
    """Round trips of every row, interleaved in three rounds so that load from elsewhere weighs on
    each alike (the median of the rounds), then each row's long call."""
    rounds: dict[str, list[float]] = {key: [] for key in rows}
    rounds["async"] = []
    for _ in range(3):
        for key, row in rows.items():
            rounds[key].append(median_us(row["noop"], calls))
        rounds["async"].append(await async_median_us(async_remote, calls))
    out = {key: {"round_trip_us": statistics.median(values)} for key, values in rounds.items()}
    for key, row in rows.items():
        out[key]["cpu_1s_ms"] = long_call_cpu_ms(row["sleep"], cpu_now)
    return out
