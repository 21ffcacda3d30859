"""The floors of rows 3 and 4: the least a Python peer in Pyodide can do to answer, or to make, a
Comlink call. No comlink_py, no validation, no conversion beyond what the reply needs; the JS side
is real Comlink. The gap between a comlink_py row and its floor is what comlink_py costs; the gap
between a floor and row 2 is what crossing into Pyodide's Python costs.
"""

from __future__ import annotations

import asyncio
from typing import Any

import js  # type: ignore[import-not-found]
from measure import collect_garbage
from pyodide.ffi import create_proxy, to_js  # type: ignore[import-not-found]

_from_entries = js.Object.fromEntries


def _js(value: Any) -> Any:
    return to_js(value, dict_converter=_from_entries, create_pyproxies=False)


def serve(port: Any) -> None:
    """Answer every request on the JS ``port`` as the benchmark's target would: ``size`` with its
    argument's byteLength, ``collect`` after collecting garbage, anything else with nothing."""
    post = port.postMessage

    def on_message(event: Any) -> None:
        data = event.data
        value = None
        if data.path[0] == "collect":
            collect_garbage()
        elif data.argumentList.length:
            value = data.argumentList[0].value.byteLength
        post(_js({"type": "RAW", "value": value, "id": data.id}))

    port.addEventListener("message", create_proxy(on_message))  # lives as long as the worker
    port.start()


class Caller:
    """Calls the object JS Comlink exposes on ``port``, with an id, a future and one listener."""

    def __init__(self, port: Any) -> None:
        self.post = port.postMessage
        self.pending: dict[str, asyncio.Future[Any]] = {}
        self.count = 0
        port.addEventListener("message", create_proxy(self._on_message))  # lives as long as the worker
        port.start()

    def _on_message(self, event: Any) -> None:
        data = event.data
        self.pending.pop(data.id).set_result(data.value)

    def _call(self, name: str, args: list[Any], transfer: Any = None) -> asyncio.Future[Any]:
        self.count += 1
        id = str(self.count)
        future = self.pending[id] = asyncio.get_event_loop().create_future()
        message = _js({"id": id, "type": "APPLY", "path": [name], "argumentList": args})
        if transfer is None:
            self.post(message)
        else:
            self.post(message, _js(transfer))
        return future

    def noop(self) -> asyncio.Future[Any]:
        return self._call("noop", [])

    def collect(self) -> asyncio.Future[Any]:
        return self._call("collect", [])

    def size(self, arg: Any) -> asyncio.Future[Any]:
        """``arg`` is an ArrayBuffer, or ``(buffer, transfer list)`` as ``transfer`` marks it."""
        buffer, transfer = arg if type(arg) is tuple else (arg, None)
        return self._call("size", [{"type": "RAW", "value": buffer}], transfer)


def transfer(buffer: Any, transferables: list[Any]) -> tuple[Any, list[Any]]:
    return buffer, transferables
