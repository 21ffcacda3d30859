"""A rich object graph to expose, the hostile path vocabulary, and the oracle that says whether a
path escaped: shared by the hypothesis test in CPython and the random walk in Pyodide.

The oracle has two parts. An audit hook (PEP 578) sees every ``exec``, ``eval``, ``compile``,
``open``, ``__import__``, ``os.system`` and frame-attribute read (``object.__getattr__``) while a
request is being served. ``Exposer.resolve`` is watched so that no step ever yields a forbidden
object (a frame, code, a module, ``sys.modules``, a namespace dict or a gateway function).
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import functools
import importlib
import json
import logging
import os
import pathlib
import sys
import types
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from comlink_py import proxy
from comlink_py.protocol import exposing

GATEWAYS = (eval, exec, compile, open, __import__, importlib.import_module, getattr, setattr, vars, globals)
FORBIDDEN_TYPES = (
    types.FrameType,
    types.CodeType,
    types.TracebackType,
    types.ModuleType,
    types.CellType,
    types.GeneratorType,
    types.CoroutineType,
    types.AsyncGeneratorType,
)
AUDITED = {"exec", "compile", "open", "import", "os.system", "object.__getattr__", "sys._getframe"}

VOCABULARY = [
    # the doors the issue found, and their neighbours
    "codec", "codecs", "sys", "modules", "os", "getpid", "system", "builtins", "eval", "exec", "open",
    "__import__", "io", "FileIO", "cr_frame", "gi_frame", "ag_frame", "gi_code", "cr_code", "f_globals",
    "f_builtins", "f_locals", "f_back", "f_code", "tb_frame", "tb_next", "co_consts", "__class__",
    "__init__", "__globals__", "__dict__", "__code__", "__self__", "__func__", "__builtins__", "mro",
    "register", "func", "args", "keywords", "fget", "constructor", "import_module", "environ", "path",
    "read_text", "parent", "manager", "root", "handlers", "loggerDict", "format", "upper", "append",
    "get", "keys", "__subclasses__", "__bases__", "with_traceback", "send", "throw", "close",
    # the graph's own names
    "api", "data", "k", "x", "0", "1", "length", "mods", "fn", "lam", "work", "rows", "arows", "gen",
    "coro", "frames", "tb", "error", "Thing", "make", "prop", "cm", "sm", "part", "code", "namespace",
    "everything", "logger", "where", "hand_out", "hand_out_gen", "kept", "keep", "call_back",
    "numbers", "greeting", "counter", "increment", "json",
]  # fmt: skip


def _frame() -> types.FrameType:
    return sys._getframe()


def _traceback() -> types.TracebackType:
    try:
        raise ValueError("held")
    except ValueError as error:
        assert error.__traceback__ is not None
        return error.__traceback__


class Thing:
    """A user class with the class machinery around it: properties, class and static methods."""

    kind = "thing"

    def __init__(self, x: int = 0) -> None:
        self.x = x

    @property
    def prop(self) -> int:
        return self.x

    @classmethod
    def cm(cls) -> str:
        return cls.kind

    @staticmethod
    def sm() -> str:
        return "static"

    def increment(self, by: Any = 1) -> Any:
        self.x += by if isinstance(by, int) else 1
        return self.x


def _plain(value: Any) -> Any:
    return value


class Api:
    """What an author might expose, holding everything a careless author might hold."""

    greeting = "Hello {}"

    def __init__(self) -> None:
        self.codec = json
        self.mods = {"os": os, "sys": sys, "json": json}
        self.data = {"k": [1, {"x": 2}], "_private": 3}
        self.numbers = [1, 2, 3]
        self.fn = _plain
        self.lam = lambda *args: len(args)
        self.Thing = Thing
        self.counter = Thing(1)
        self.part = functools.partial(_plain, 1)
        self.code = _plain.__code__
        self.namespace = _plain.__globals__
        self.everything = builtins.__dict__
        self.frames = [_frame()]
        self.tb = _traceback()
        self.error = ValueError("kept")
        self.logger = logging.getLogger("comlink_py.hostile")
        self.where = pathlib.Path(".")
        self.gen = (i for i in range(3))
        self.kept: Any = None
        self._secret = "hidden"

    async def work(self) -> int:
        return 1

    def rows(self) -> Iterator[int]:
        yield 1

    async def arows(self) -> Any:
        yield 1

    def make(self, x: Any = 0) -> Any:
        return proxy(Thing(x if isinstance(x, int) else 0))

    def hand_out(self) -> Any:
        return proxy(self)

    def hand_out_gen(self) -> Any:
        return proxy(self.rows())

    def keep(self, value: Any) -> None:
        self.kept = value

    async def call_back(self, callback: Any, *args: Any) -> Any:
        return await callback(*args)


def is_forbidden(value: Any) -> bool:
    if isinstance(value, FORBIDDEN_TYPES):
        return True
    if value is sys.modules or value is builtins.__dict__:
        return True
    if isinstance(value, dict) and "__builtins__" in value:
        return True
    return any(value is gateway for gateway in GATEWAYS)


class Escape(AssertionError):
    """A path reached what the policy must keep closed."""


class Oracle:
    """Watches the exposing side of this process while hostile requests are served: what each
    step yields, and the audit events raised while a request is performed (errors are formatted
    for the answer later, outside, as that reads traceback frames legitimately)."""

    def __init__(self) -> None:
        self.performing = 0
        self.escapes: list[str] = []
        sys.addaudithook(self._hook)

    def _hook(self, event: str, args: tuple[Any, ...]) -> None:
        if self.performing and event in AUDITED:
            self.escapes.append(f"audit event {event} {args[:2]!r}")

    @contextlib.contextmanager
    def watch(self) -> Iterator[None]:
        oracle = self
        resolve, perform = exposing.Exposer.resolve, exposing.Exposer.perform

        def watched_resolve(exposer: exposing.Exposer, path: Any) -> Any:
            result = resolve(exposer, path)
            if path and is_forbidden(result):
                oracle.escapes.append(f"{'.'.join(path)} yielded {type(result).__name__}")
            return result

        def watched_perform(exposer: exposing.Exposer, dispatch: Any) -> Any:
            oracle.performing += 1
            try:
                return perform(exposer, dispatch)
            finally:
                oracle.performing -= 1

        exposing.Exposer.resolve = watched_resolve  # type: ignore[method-assign]
        exposing.Exposer.perform = watched_perform  # type: ignore[method-assign]
        self.escapes.clear()
        try:
            yield
        finally:
            exposing.Exposer.resolve = resolve  # type: ignore[method-assign]
            exposing.Exposer.perform = perform  # type: ignore[method-assign]
        if self.escapes:
            raise Escape("; ".join(self.escapes[:5]))


def module_state() -> dict[str, Any]:
    """What a SET must never change: the namespaces of modules the graph holds."""
    return {name: dict(vars(module)) for name, module in (("json", json), ("os", os), ("sys", sys))}


# -- the walk ---------------------------------------------------------------------------------

OPERATIONS = ("GET", "APPLY", "CONSTRUCT", "SET")
ARGUMENTS: list[Any] = [None, 1, "1+1", "__import__('os').getpid()", "os", "/etc/hostname", {"k": 1}, [1]]
CALLBACK = "<callback>"  # stands for a proxy() callback in an argument list


@dataclass
class Step:
    """One hostile request: on which root (0 is the exposed object; later ones are proxies that
    earlier answers handed out), which operation, along which path, with which arguments."""

    root: int
    operation: str
    path: list[str]
    args: list[Any]


async def walk(connect: Any, steps: list[Step], *, strict: bool = False, timeout: float = 5) -> None:
    """Serve a fresh ``Api`` and reach it through ``connect(obj, strict)`` (a ``Remote``), then
    make every request of ``steps``: errors are the expected answers, escapes are the oracle's."""
    import comlink_py

    roots: list[Any] = [connect(Api(), strict)]
    callback_calls: list[Any] = []
    for step in steps:
        remote = roots[step.root % len(roots)]
        for segment in step.path:
            remote = remote[segment]
        args = [
            comlink_py.proxy(lambda *a: callback_calls.append(a)) if a == CALLBACK else a for a in step.args
        ]
        try:
            if step.operation == "GET":
                call = remote
            elif step.operation == "APPLY":
                call = remote(*args)
            elif step.operation == "CONSTRUCT":
                call = comlink_py.construct(remote, *args)
            elif step.path:
                call = comlink_py.assign(remote, args[0] if args else None)
            else:
                continue
            result = await asyncio.wait_for(_awaited(call), timeout)
        except (Exception, asyncio.CancelledError):
            continue
        if isinstance(result, comlink_py.Remote):
            roots.append(result)


async def _awaited(call: Any) -> Any:
    return await call
