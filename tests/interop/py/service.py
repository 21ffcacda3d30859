"""The Python peer of the interop matrix, run as a Pyodide worker thread's main module.

It exposes ``Api``, the same surface the JS peer (``tests/interop/js/api.mjs``) implements, so one
list of checks (``run_checks``) drives a JS peer and a Python peer alike.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
from typing import Any

import pyodide_js  # type: ignore[import-not-found]
from pyodide.ffi import JsException, JsNull, JsProxy  # type: ignore[import-not-found]

import comlink_py
from comlink_py import js as cjs

# Pyodide's own count of live PyProxies: the leak checks compare it before and after.
pyodide_js._module.enable_pyproxy_allocation_tracing()

finalized: list[str] = []


def describe(value: Any) -> Any:
    """A JSON-able description of a received value's Python type and content."""
    if value is None:
        return "None"
    if isinstance(value, JsNull):
        return "jsnull"
    if isinstance(value, cjs.JsEndpoint):
        return "JsEndpoint"
    if isinstance(value, bool | str):
        return [type(value).__name__, value]
    if isinstance(value, int):
        return [type(value).__name__, str(value)]
    if isinstance(value, float):
        return ["float", repr(value)]
    if isinstance(value, bytes | bytearray):
        return [type(value).__name__, list(value)]
    if isinstance(value, memoryview):
        return ["memoryview", value.format, value.tolist()]
    if isinstance(value, cjs.JsArrayBuffer):  # an ArrayBuffer, left uncopied in JS
        return ["JsArrayBuffer", list(bytes(value))]
    if isinstance(value, list):
        return ["list", [describe(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", {str(k): describe(v) for k, v in value.items()}]
    if isinstance(value, set):
        return ["set", sorted(repr(v) for v in value)]
    if isinstance(value, dt.datetime):
        return ["datetime", value.isoformat()]
    if isinstance(value, JsException):
        return ["JsException", value.name, value.message]
    if isinstance(value, JsProxy):
        return ["JsProxy", value.constructor.name]
    return ["other", type(value).__name__]


class Counter:
    def __init__(self, start: int = 0) -> None:
        self.value = start

    def increment(self, by: int = 1) -> int:
        self.value += by
        return self.value


class Resource:
    def __init__(self, name: str) -> None:
        self.name = name

    def ping(self) -> str:
        return f"pong {self.name}"

    def __comlink_finalizer__(self) -> None:
        finalized.append(self.name)


class Greeter:
    def __init__(self, greeting: str) -> None:
        self.greeting = greeting

    def greet(self, name: str) -> str:
        return f"{self.greeting}, {name}"

    def __comlink_finalizer__(self) -> None:
        finalized.append(f"greeter {self.greeting}")


class Api:
    """What both peers expose (see the module docstring)."""

    Counter = Counter
    Resource = Resource

    def __init__(self) -> None:
        self.data = {"nested": {"list": [1, "two", {"three": 3.5}], "flag": True}}
        self.store: dict[str, Any] = {}

    def add(self, a: Any, b: Any) -> Any:
        return a + b

    async def slow_double(self, x: Any) -> Any:
        await asyncio.sleep(0.005)
        return x * 2

    def fail(self, message: str) -> None:
        raise ValueError(message)

    async def call_back(self, callback: Any, x: Any) -> Any:
        return await callback(x)

    def byte_sum(self, data: Any) -> list[Any]:
        return [type(data).__name__, sum(bytes(data))]

    def make_greeter(self, greeting: str) -> Greeter:
        return comlink_py.proxy(Greeter(greeting))

    def finalized(self) -> list[str]:
        return list(finalized)

    def describe(self, *values: Any) -> list[Any]:
        return [describe(v) for v in values]

    def sample(self) -> dict[str, Any]:
        return {
            "none": None,
            "true": True,
            "int": 7,
            "float": 1.5,
            "big": 2**60,
            "str": "ü€",
            "bytes": b"\x00\x01",
            "bytearray": bytearray(b"\x02"),
            "list": [1, [2]],
            "tuple": (3, 4),
            "dict": {"k": {"n": 1}},
            "set": {5},
            "date": dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
        }

    async def echo(self, i: int, s: str) -> list[Any]:
        if i % 3 == 0:  # answer out of order
            await asyncio.sleep((i % 7) / 1000)
        return [i, s]

    # -- harness helpers -----------------------------------------------------------------------

    async def live(self, expected: Any = None) -> dict[str, int]:
        """Live PyProxies and listening JS endpoints. Releases travel as messages, so with
        ``expected`` this waits (up to 5 s) for the count to come back to it; a leak never does."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while True:
            gc.collect()
            await asyncio.sleep(0.02)
            listening = sum(1 for o in gc.get_objects() if isinstance(o, cjs.JsEndpoint) and o.listening)
            count = {"pyproxies": pyodide_js._module.pyproxy_alloc_map.size, "listening": listening}
            if expected is None or count == expected or loop.time() > deadline:
                return count

    def serve_peer(self, port: cjs.JsEndpoint) -> str:
        """Expose a fresh ``Api`` on a port from another worker (Python <-> Python)."""
        comlink_py.expose(Api(), port)
        return type(port).__name__

    async def check_peer(self, port: cjs.JsEndpoint) -> dict[str, Any]:
        return await run_checks(comlink_py.wrap(port))

    async def check_host(self) -> dict[str, Any]:
        return await run_checks(cjs.host())


async def _outcome(awaitable: Any) -> Any:
    """The check's value, or a description of what it raised."""
    try:
        return await awaitable
    except Exception as error:
        return {"raised": type(error).__name__, "error": str(error)}


async def run_checks(remote: Any) -> dict[str, Any]:
    """The matrix row "Python wraps a peer": every check's observed value, by name."""
    checks = {
        "get_nested": _get_nested,
        "set_then_get": _set_then_get,
        "apply_sync": _apply_sync,
        "apply_async": _apply_async,
        "construct": _construct,
        "create_endpoint": _create_endpoint,
        "release_finalizer": _release_finalizer,
        "error": _error,
        "proxy_callback": _proxy_callback,
        "transfer": _transfer,
        "returned_proxy": _returned_proxy,
        "values_from_peer": _values_from_peer,
        "values_to_peer": _values_to_peer,
        "in_flight": _in_flight,
        "leaks": _leaks,
    }
    return {name: await _outcome(check(remote)) for name, check in checks.items()}


async def _get_nested(r: Any) -> Any:
    return [await r.data.nested.list[2].three, await r.data.nested.flag, describe(await r.data)]


async def _set_then_get(r: Any) -> Any:
    await comlink_py.assign(r.store.mode, "fast")
    await comlink_py.assign(r.store.shape, {"sides": [3, 4]})
    return [await r.store.mode, await r.store.shape]


async def _apply_sync(r: Any) -> Any:
    return [await r.add(2, 3), await r.add("a", "b")]


async def _apply_async(r: Any) -> Any:
    return await asyncio.gather(r.slow_double(21), r.slow_double(1))


async def _construct(r: Any) -> Any:
    counter = await comlink_py.construct(r.Counter, 10)
    values = [await counter.increment(), await counter.increment(5), await counter.value]
    await comlink_py.release(counter)
    return [type(counter).__name__, values]


async def _create_endpoint(r: Any) -> Any:
    endpoint = await comlink_py.create_endpoint(r)
    second = comlink_py.wrap(endpoint)
    result = await second.add(1, 1)
    await comlink_py.release(second)
    return [type(endpoint).__name__, result, await r.add(2, 2)]


async def _release_finalizer(r: Any) -> Any:
    resource = await comlink_py.construct(r.Resource, "r1")
    pong = await resource.ping()
    await comlink_py.release(resource)
    try:
        await resource.ping()
        after = "answered"
    except comlink_py.ReleasedProxyError:
        after = "ReleasedProxyError"
    # The peer runs the finalizer as it acknowledges the release, which release() awaited.
    return [pong, after, "r1" in await r.finalized()]


async def _error(r: Any) -> Any:
    try:
        await r.fail("bad input")
    except comlink_py.RemoteError as error:
        return {
            "classes": [c.__name__ for c in type(error).__mro__],
            "name": error.name,
            "message": error.message,
            "stack_mentions_message": "bad input" in (error.stack or ""),
        }
    return "no error"


async def _proxy_callback(r: Any) -> Any:
    async def triple_later(x: int) -> int:
        await asyncio.sleep(0)
        return x * 3

    return [
        await r.call_back(comlink_py.proxy(lambda x: x + 1), 41),
        await r.call_back(comlink_py.proxy(triple_later), 7),
    ]


async def _transfer(r: Any) -> Any:
    buffer = bytearray(b"\x01\x02\x03")
    result = await r.byte_sum(comlink_py.transfer(buffer, [buffer]))
    return [result, len(buffer)]


async def _returned_proxy(r: Any) -> Any:
    greeter = await r.make_greeter("hi")
    greeting = await greeter.greet("ada")
    await comlink_py.release(greeter)
    return [greeting, "greeter hi" in await r.finalized()]


async def _values_from_peer(r: Any) -> Any:
    return describe(await r.sample())


async def _values_to_peer(r: Any) -> Any:
    return await r.describe(*Api().sample().values())


async def _in_flight(r: Any) -> Any:
    answers = await asyncio.gather(*(r.echo(i, f"s{i}") for i in range(300)))
    return sum(1 for i, answer in enumerate(answers) if answer == [i, f"s{i}"])


async def _leaks(r: Any) -> Any:
    """Proxies in both directions, made and released many times, leave no PyProxy behind."""
    api = Api()
    before = await api.live()
    for i in range(20):
        await r.call_back(comlink_py.proxy(lambda x: x), i)
        greeter = await r.make_greeter(f"g{i}")
        await greeter.greet("x")
        await comlink_py.release(greeter)
        counter = await comlink_py.construct(r.Counter, i)
        await counter.increment()
        del counter  # released when garbage collected, as Comlink does
        second = comlink_py.wrap(await comlink_py.create_endpoint(r))
        await second.add(i, i)
        await comlink_py.release(second)
    return [before, await api.live(before)]


if __name__ == "__main__":
    comlink_py.expose(Api())
