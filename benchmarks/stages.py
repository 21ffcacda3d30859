"""The stages of one no-op call's path in Pyodide, for ``steps.mjs`` (``python -m benchmarks.steps``).

Runs inside Pyodide, in the thread that measures. Each exposing stage is the path up to one more
step, hooked on a fake JS port whose listener the JS side drives with Comlink requests; each
wrapping stage is timed here over a fake port that answers at once. Stage minus stage before is
that step's CPU cost: no worker, no scheduler and no other thread take part.
"""

from __future__ import annotations

import time
from typing import Any

from pyodide.ffi import create_proxy

import comlink_py
from comlink_py.protocol import wire
from comlink_py.protocol.exposing import Exposer
from comlink_py.protocol.wrapping import Caller
from comlink_py.pyodide import fastpath
from comlink_py.pyodide.endpoint import JsEndpoint, load_ffi

#: The exposing stages in order: each generic stage adds one step to the one before; the last is
#: the path as shipped, where a request the JS listener checked skips decode and validate.
EXPOSING = {
    "listener": "the JS listener sorts the message, writes its id to the id buffer (no Python)",
    "crossing": "+ the FFI call into Python with the message's parts (a Python no-op)",
    "decode": "+ JsEndpoint rebuilds the request dict and its MessageEvent",
    "validate": "+ Exposer.receive: origin, type, wire.parse_request",
    "walk unchecked": "+ the path walked with the policy off (allow_private=True)",
    "walk": "+ the policy's checks on each step (instead of the line above)",
    "call": "+ the policy's call check and the call itself",
    "served, switch off": "+ the asyncio glue, the answer posted: expose(), shortcuts off",
    "served": "expose() as shipped: the checked request reaches Exposer.receive_call as parts",
}

#: The wrapping stages. request and post are timed here; answer is timed in JS (the answers of
#: calls made beforehand, delivered to the endpoint's listener); awaited is the whole call.
WRAPPING = {
    "request": "Caller.request_atoms: the id, the call pending (then forgotten)",
    "post": "+ JsEndpoint.post_call: the route's number, the FFI call, JS building and posting the message",
    "answer": "the answer delivered: the JS listener, the FFI call, the pending call's future resolved",
    "awaited": "the whole call, await remote.noop(), answered in a microtask (the coroutine resumed)",
    "awaited, switch off": "the same with comlink_py.pyodide.fastpath.ENABLED = False",
}


class Target:
    def noop(self) -> None:
        return None


def _ignore(*_: Any) -> None:
    return None


def exposing(stage: str, port: Any) -> Any:
    """Hook ``stage`` on ``port``: the JS listener (``listener``) or the fake port captures it."""
    if stage == "listener":
        return load_ffi().fast.bind(port)[0]  # JS calls it with its own no-op deliver
    if stage == "crossing":
        listen = load_ffi().fast.bind(port)[0]
        return listen(create_proxy(_ignore), True)[0]  # the listener, without its plans
    endpoint = JsEndpoint(port)
    if stage.startswith("served"):
        fastpath.ENABLED = stage == "served"
        try:
            comlink_py.expose(Target(), endpoint)
        finally:
            fastpath.ENABLED = True
        return None
    exposer = Exposer(Target(), endpoint, _ignore, allow_private=stage == "walk unchecked")
    if stage == "decode":
        endpoint.add_listener(_ignore)
    elif stage == "validate":
        endpoint.add_listener(exposer.receive)
    elif stage in ("walk unchecked", "walk"):

        def walk(event: Any) -> None:
            dispatch = exposer.receive(event)
            exposer.resolve(dispatch.request["path"])  # type: ignore[index,union-attr]

        endpoint.add_listener(walk)
    elif stage == "call":
        endpoint.add_listener(lambda event: exposer.perform(exposer.receive(event)))  # type: ignore[arg-type]
    else:
        raise ValueError(f"unknown exposing stage {stage!r}")
    return None


async def wrapping(stage: str, port: Any, calls: int) -> float | None:
    """Microseconds per call of ``stage``; ``answer``: the calls made, for JS to answer and time."""
    if stage in ("request", "post"):
        endpoint = JsEndpoint(port)
        caller: Caller[None] = Caller(endpoint)
        post = stage == "post"
        path = ("noop",)
        start = time.perf_counter()
        for _ in range(calls):
            msg_id = caller.request_atoms(None, wire.APPLY, path, ())
            if post:
                endpoint.post_call(msg_id, wire.APPLY, path, ())  # type: ignore[arg-type]
            caller.forget(msg_id)  # type: ignore[arg-type]
        return (time.perf_counter() - start) * 1e6 / calls
    fastpath.ENABLED = stage != "awaited, switch off"
    try:
        remote = comlink_py.wrap(JsEndpoint(port))
    finally:
        fastpath.ENABLED = True
    noop = remote.noop
    if stage == "answer":
        for _ in range(calls):
            noop()
        return None
    if stage.startswith("awaited"):
        await noop()  # the first call sets up the link's loop
        start = time.perf_counter()
        for _ in range(calls):
            await noop()
        return (time.perf_counter() - start) * 1e6 / calls
    raise ValueError(f"unknown wrapping stage {stage!r}")
