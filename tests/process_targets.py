"""Objects that tests/test_process.py serves from real worker processes."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import time
from typing import Any

import comlink_py as c

finalized: list[int] = []


class Counter:
    def __init__(self, start: int = 0) -> None:
        self.count = start

    def add(self, n: int = 1) -> int:
        self.count += n
        return self.count

    def __comlink_finalizer__(self) -> None:
        finalized.append(self.count)


class Service:
    """Served by ``tests.process_targets:service``."""

    def __init__(self) -> None:
        self.value: Any = {"nested": [1, 2, 3]}
        self.Counter = Counter
        self.released = False
        self.codec = json  # a careless author's module: the exposure policy must keep it closed

    def echo(self, *args: Any, **kwargs: Any) -> Any:
        return [list(args), kwargs]

    def identity(self, value: Any) -> Any:
        return value

    def pid(self) -> int:
        return os.getpid()

    def fail(self, message: str) -> None:
        raise ValueError(message)

    def empty(self) -> Any:
        return next(iter([]))

    def unclonable(self) -> Any:
        return object()

    async def slow(self, seconds: float) -> str:
        await asyncio.sleep(seconds)
        return "done"

    async def hold(self) -> None:
        """Wait until cancelled; ``stopped`` says when its ``finally`` ran (a monotonic time)."""
        self.stopped: float | None = None
        try:
            await asyncio.Event().wait()
        finally:
            self.stopped = time.monotonic()

    def when_stopped(self) -> float | None:
        return self.stopped

    def tasks(self) -> int:
        return len(asyncio.all_tasks())

    async def call_back(self, callback: Any, *args: Any) -> Any:
        return await callback(*args)

    async def call_many(self, callback: Any, n: int) -> list[Any]:
        return list(await asyncio.gather(*(callback(i) for i in range(n))))

    def make_counter(self, start: int) -> Counter:
        return c.proxy(Counter(start))

    def finalized(self) -> list[int]:
        return finalized

    async def call_through(self, port: Any, name: str, *args: Any) -> Any:
        """Wrap an endpoint the caller transferred, call ``name`` on it, and let it go."""
        remote = c.wrap(port)
        try:
            return await remote[name](*args)
        finally:
            await c.release(remote)

    def die(self, code: int) -> None:
        os._exit(code)

    def crunch(self, seconds: float) -> list[float]:
        """Keep a core busy for ``seconds``: [pid, start, end] on the machine-wide monotonic clock."""
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            pass
        return [os.getpid(), start, time.monotonic()]


service = Service()


def serve_in_child(sock: socket.socket) -> None:
    """A ``multiprocessing`` target: serve ``service`` to the parent on an inherited socket."""
    from comlink_py import process

    asyncio.run(process.serve(service, sock))


class Streamer:
    """Served by ``tests.process_targets:streamer``: generators for tests/test_streams.py."""

    def __init__(self) -> None:
        self._log: list[str] = []

    def rows(self, n: int) -> Any:
        try:
            for i in range(n):
                yield {"i": i, "v": "x"}
        finally:
            self._log.append("rows closed")

    async def ticks(self, n: int) -> Any:
        try:
            for i in range(n):
                await asyncio.sleep(0)
                yield i
        finally:
            self._log.append("ticks closed")

    async def total(self, numbers: Any) -> int:
        return sum([x async for x in numbers])

    async def hold(self, items: Any) -> Any:
        """Read one item and keep the stream open (until this process dies)."""
        self._held = items
        return await anext(items)

    def log(self) -> list[str]:
        return self._log


streamer = Streamer()
