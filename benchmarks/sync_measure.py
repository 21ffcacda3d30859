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

#: A round is timed in this many batches, each as one span: a cross-origin isolated page's clock
#: (performance.now(), which time.perf_counter() reads in Pyodide) counts in steps of 5 µs in
#: Chromium, as coarse as the calls themselves, so single calls timed alone read 35 or 40, never 37.
#: Batches of a few dozen calls keep the median's resistance to what comes now and then (a garbage
#: collection, a time slice lost on a shared core) that one mean of every call would not have.
BATCHES = 100


def round_trip_us(call: Callable[[], Any], calls: int) -> float:
    """The median over BATCHES of a batch's mean time per call, in µs."""
    for _ in range(min(calls, WARM_UP)):
        call()
    size = max(1, calls // BATCHES)
    return _median_us([_span(call, size) for _ in range(BATCHES)], size)


async def async_round_trip_us(remote: Any, calls: int) -> float:
    """round_trip_us of ``await remote.noop()``."""
    noop = remote.noop
    for _ in range(min(calls, WARM_UP)):
        await noop()
    size = max(1, calls // BATCHES)
    return _median_us([await _async_span(noop, size) for _ in range(BATCHES)], size)


def _span(call: Callable[[], Any], size: int) -> float:
    start = time.perf_counter()
    for _ in range(size):
        call()
    return time.perf_counter() - start


async def _async_span(noop: Callable[[], Any], size: int) -> float:
    start = time.perf_counter()
    for _ in range(size):
        await noop()
    return time.perf_counter() - start


def _median_us(spans: list[float], size: int) -> float:
    return statistics.median(spans) / size * 1e6


def long_call_cpu_ms(sleep: Callable[[int], Any], cpu_now: Callable[[], Any] | None) -> float | None:
    """The CPU time spent while one blocking call waits a second for its answer."""
    if cpu_now is None:
        return None
    before = float(cpu_now())
    sleep(1000)
    return float(cpu_now()) - before


#: Rounds run first and discarded: Chromium and Node compile WebAssembly in tiers, and Pyodide's
#: optimised code, compiled on background threads, comes seconds after the start on one core; a
#: first round measured 45-110 µs where the rounds after it measured 27-32 (Chromium).
WARM_ROUNDS = 2
ROUNDS = 3


async def one_round(rows: dict[str, Any], async_remote: Any, calls: int) -> dict[str, float]:
    """The round trip of every row, one after another, and of the async call."""
    out = {key: round_trip_us(row["noop"], calls) for key, row in rows.items()}
    out["async"] = await async_round_trip_us(async_remote, calls)
    return out


async def run(rows: dict[str, Any], async_remote: Any, cpu_now: Any, calls: int) -> dict[str, Any]:
    """Round trips of every row, interleaved in ROUNDS rounds after WARM_ROUNDS, so that load from
    elsewhere weighs on each alike (the median of the rounds), then each row's long call."""
    rounds = [await one_round(rows, async_remote, calls) for _ in range(WARM_ROUNDS + ROUNDS)]
    out = {
        key: {"round_trip_us": statistics.median(r[key] for r in rounds[WARM_ROUNDS:])} for key in rounds[0]
    }
    for key, row in rows.items():
        out[key]["cpu_1s_ms"] = long_call_cpu_ms(row["sleep"], cpu_now)
    return out
