"""The Python half of the Node demo: runs in a Pyodide worker thread and is called through Comlink.

``expose`` with no endpoint serves the worker's call port; ``comlink_py.js.host()`` reaches the object
the main thread passed as ``host``.
"""

import statistics
from collections.abc import Awaitable, Callable
from typing import Any

import comlink_py
from comlink_py import js


class Analytics:
    def summary(self, values: list[float]) -> dict[str, float]:
        """Plain data in (a JS array), plain data out (a JS object)."""
        return {
            "count": len(values),
            "mean": statistics.fmean(values),
            "median": statistics.median(values),
            "stdev": round(statistics.stdev(values), 3),
        }

    async def total(
        self, chunks: list[list[int]], on_progress: Callable[[int, int, int], Awaitable[Any]]
    ) -> int:
        """``on_progress`` is a JS function passed with Comlink.proxy: each call goes back to JS."""
        total = 0
        for done, chunk in enumerate(chunks, start=1):
            total += sum(chunk)
            await on_progress(done, len(chunks), total)
        return total

    async def greet_host(self) -> str:
        """Python calling an object the main thread exposed."""
        host = js.host()
        name = await host.name
        return await host.shout(f"hello {name}, this is Python")

    def fail(self) -> None:
        raise ValueError("Python errors reach JS as Error objects")


comlink_py.expose(Analytics())
