"""Main module of the benchmark's Pyodide workers (started by ``node/bench.mjs`` with js_shim).

The exposed ``Bench`` is the target of row 3 (JS Comlink wraps it), serves row 5 and the floor of
row 3 on ports it is given, and drives rows 4 and 5 and the floor of row 4 with ``measure.py``.
"""

from __future__ import annotations

import platform
from typing import Any

import floor
import js  # type: ignore[import-not-found]
from measure import Driver, Target

import comlink_py
from comlink_py.js import JsEndpoint, host


def _new_buffer(size: int) -> Any:
    # A JS ArrayBuffer, as the JS rows send: bytes made in Python's memory would be copied out of it.
    return js.ArrayBuffer.new(size)


def _is_detached(buffer: Any) -> bool:
    return bool(buffer.byteLength == 0)


class Bench(Target):
    def __init__(self) -> None:
        self.drivers: dict[str, Driver] = {}

    def versions(self) -> dict[str, str]:
        import pyodide  # type: ignore[import-not-found]

        return {"pyodide": pyodide.__version__, "pyodide_python": platform.python_version()}

    def serve_peer(self, port: JsEndpoint) -> None:
        """Row 5's exposing side: serve a ``Target`` on a port whose other end another worker has."""
        comlink_py.expose(Target(), port)

    def serve_floor(self, port: JsEndpoint) -> None:
        """Row 3's floor: a bare Python listener answers on ``port``."""
        floor.serve(port.port)

    def drive(self, row: str, port: JsEndpoint | None = None) -> None:
        """Make this worker the calling side of ``row``: 4 wraps the main thread's object, 5 a
        ``serve_peer`` port, and 4f calls a JS Comlink port with the bare caller."""
        if row == "4f":
            self.drivers[row] = Driver(
                floor.Caller(port.port),
                new_buffer=_new_buffer,
                is_detached=_is_detached,
                transfer=floor.transfer,
            )
            return
        remote = host() if port is None else comlink_py.wrap(port)
        self.drivers[row] = Driver(
            remote, new_buffer=_new_buffer, is_detached=_is_detached, transfer=comlink_py.transfer
        )

    async def warm_up(self, row: str, calls: int) -> None:
        await self.drivers[row].warm_up(calls)

    async def round_trips(self, row: str, calls: int) -> list[float]:
        return await self.drivers[row].round_trips(calls)

    async def rest(self, row: str, calls: int, smoke: bool) -> dict[str, Any]:
        return await self.drivers[row].rest(calls, smoke)


comlink_py.expose(Bench())
