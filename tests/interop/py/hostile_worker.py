"""The Python side of tests/interop/js/hostile.mjs: the hostile graph exposed in a Pyodide worker
to the real JS Comlink, and the same random walk as tests/test_policy.py run inside Pyodide.

Hypothesis ships a native module that Pyodide cannot load, so the walk here draws its steps with a
seeded ``random.Random`` from the same vocabulary, over a JS MessageChannel (``JsEndpoint``)."""

import random

import hostile_graph
import js
from pyodide.code import run_js
from pyodide.ffi import to_js

import comlink_py
from comlink_py.js import JsEndpoint
from comlink_py.protocol import exposing
from comlink_py.pyodide import fastpath

ORACLE = hostile_graph.Oracle()

# How many requests took the checked shortcut (COMLINK_PY_FASTPATH=0 runs everything without it).
_CHECKED = [0]
_receive_call = exposing.Exposer.receive_call


def _counted_receive_call(self, *parts):
    _CHECKED[0] += 1
    return _receive_call(self, *parts)


exposing.Exposer.receive_call = _counted_receive_call
ARGUMENTS = [*hostile_graph.ARGUMENTS, hostile_graph.CALLBACK]


def _connect(obj, strict):
    channel = js.MessageChannel.new()
    comlink_py.expose(obj, JsEndpoint(channel.port2), strict=strict)
    return comlink_py.wrap(JsEndpoint(channel.port1), timeout=5)


def _step(rng):
    return hostile_graph.Step(
        root=rng.randrange(4),
        operation=rng.choice(hostile_graph.OPERATIONS),
        path=[rng.choice(hostile_graph.VOCABULARY) for _ in range(rng.randrange(7))],
        args=[
            rng.choice([*hostile_graph.ARGUMENTS, hostile_graph.CALLBACK]) for _ in range(rng.randrange(3))
        ],
    )


class Api(hostile_graph.Api):
    def __init__(self):
        super().__init__()
        self.box = {}

    def json_changed(self):
        return hasattr(hostile_graph.json, "anything")

    def empty(self):
        return next(iter([]))

    def polluted(self):
        """Whether a write through a JS object held here reached Function.prototype."""
        return bool(js.Reflect.has(js.Function.prototype, "polluted"))

    async def walk(self, seed, walks, strict):
        """Random hostile walks; the escapes the oracle saw (an empty list is a pass)."""
        rng = random.Random(seed)
        try:
            with ORACLE.watch():
                for _ in range(walks):
                    steps = [_step(rng) for _ in range(rng.randrange(1, 8))]
                    await hostile_graph.walk(_connect, steps, strict=strict, timeout=2)
        except hostile_graph.Escape as escape:
            return [str(escape)]
        return []

    def shortcuts(self):
        """Whether the fast path's shortcuts are on, and how many requests went through them."""
        return [fastpath.ENABLED, _CHECKED[0]]

    async def thrown_stop_iteration(self):
        """Python wraps a JS Comlink object whose function throws an Error named StopIteration."""
        channel = js.MessageChannel.new()
        thrower = js.Function.new("const e = new Error('from JS'); e.name = 'StopIteration'; throw e;")
        comlink = await run_js("import('comlink')")
        comlink.expose(to_js({"f": thrower}, dict_converter=js.Object.fromEntries), channel.port2)
        remote = comlink_py.wrap(JsEndpoint(channel.port1), timeout=5)
        try:
            value = await remote.f()
        except comlink_py.RemoteError as error:
            return ["raised", error.name, error.message, isinstance(error, StopIteration)]
        return ["returned", repr(value)]


comlink_py.expose(Api())
