"""The measurement loop of every Python-driven row, and the object every Python-exposing row serves.

It mirrors ``benchmarks/node/measure.mjs`` step for step, so a row differs from the others only in
its transport. It needs nothing beyond the standard library and the ``remote`` it is given, and runs
the same in CPython and inside a Pyodide worker (where ``py_worker.py`` imports it). All figures
are microseconds per call.
"""

from __future__ import annotations

import asyncio
import gc
import statistics
import time
from collections.abc import Callable
from typing import Any

SIZES = {"1 KiB": 1024, "1 MiB": 1 << 20, "64 MiB": 64 << 20}
IN_FLIGHT = (1, 10, 100, 1000)
WARM_UP = 500


def payload_reps(size: int, smoke: bool) -> int:
    """Samples per payload size: fewer for big ones, whose median is stable sooner."""
    if smoke:
        return 1
    return 9 if size >= 64 << 20 else 30 if size >= 1 << 20 else 200


def collect_garbage() -> None:
    """Collect garbage here. Each payload sample does so on both sides between making its buffer
    and timing the call: a buffer of an earlier sample left for the collector, or the collection
    that allocating 64 MiB starts, would be timed as the call's cost."""
    gc.collect()
    try:
        import js  # type: ignore[import-not-found]
    except ImportError:
        return
    if hasattr(js, "gc"):  # the worker runs with node --expose-gc
        js.gc()


class Target:
    """What the rows whose exposing side is Python serve (the twin of ``node/target.mjs``)."""

    def noop(self) -> None:
        return None

    def size(self, buffer: Any) -> int:
        return len(buffer)

    def collect(self) -> None:
        collect_garbage()


class Driver:
    """One row driven from Python, in the pieces ``node/bench.mjs`` interleaves across rows.

    ``new_buffer(size)`` makes a payload, ``is_detached(buffer)`` tells a transferred one, and
    ``transfer(value, [buffer])`` marks a transfer, each as the transport of the row needs.
    """

    def __init__(
        self,
        remote: Any,
        *,
        new_buffer: Callable[[int], Any],
        is_detached: Callable[[Any], bool],
        transfer: Callable[[Any, list[Any]], Any],
    ) -> None:
        self.remote = remote
        self.new_buffer = new_buffer
        self.is_detached = is_detached
        self.transfer = transfer

    async def warm_up(self, calls: int) -> None:
        noop = self.remote.noop
        for _ in range(min(calls, WARM_UP)):
            await noop()

    async def round_trips(self, calls: int) -> list[float]:
        """Sequential no-op calls: each one's round trip."""
        noop = self.remote.noop
        clock = time.perf_counter
        times = []
        for _ in range(calls):
            start = clock()
            await noop()
            times.append((clock() - start) * 1e6)
        return times

    async def in_flight(self, calls: int) -> dict[str, float]:
        """Per no-op call with n calls in flight: batches of n issued at once, then awaited."""
        noop = self.remote.noop
        result = {}
        for n in IN_FLIGHT:
            batches = max(1, calls // n)
            start = time.perf_counter()
            for _ in range(batches):
                await asyncio.gather(*[noop() for _ in range(n)])
            result[str(n)] = (time.perf_counter() - start) * 1e6 / (batches * n)
        return result

    async def payloads(self, smoke: bool) -> dict[str, float]:
        """Median of size(buffer), copied and transferred."""
        remote = self.remote
        result = {}
        for label, size in SIZES.items():
            for mode in ("copy", "transfer"):
                samples = []
                for _ in range(payload_reps(size, smoke)):
                    buffer = self.new_buffer(size)
                    collect_garbage()
                    await remote.collect()
                    start = time.perf_counter()
                    got = await remote.size(self.transfer(buffer, [buffer]) if mode == "transfer" else buffer)
                    samples.append((time.perf_counter() - start) * 1e6)
                    if got != size:
                        raise AssertionError(f"size() answered {got} for {size} bytes")
                    if self.is_detached(buffer) != (mode == "transfer"):
                        raise AssertionError(
                            f"{mode}: the buffer {'stayed' if mode == 'transfer' else 'left'}"
                        )
                    del buffer
                result[f"{label} {mode}"] = statistics.median(samples)
        return result

    async def rest(self, calls: int, smoke: bool) -> dict[str, Any]:
        return {"in_flight_us": await self.in_flight(calls), "payload_us": await self.payloads(smoke)}

    async def measure(self, calls: int, smoke: bool) -> dict[str, Any]:
        """The whole row at once, for a row that is not interleaved with others."""
        await self.warm_up(calls)
        round_trip = statistics.median(await self.round_trips(calls))
        return {"round_trip_us": round_trip, **await self.rest(calls, smoke)}
