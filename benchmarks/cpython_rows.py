"""Row 6: comlink_py in CPython over the in-memory ``MessageChannel``, in one thread and across two.

Buffers are bytearrays, the Python counterpart of an ArrayBuffer: the channel copies them as
``postMessage`` copies an ArrayBuffer, and a transfer empties the sender's.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any

import comlink_py
from comlink_py import MessageChannel, MessagePort

from .measure import Driver, Target


async def _measure_port(port: MessagePort, calls: int, smoke: bool) -> dict[str, Any]:
    remote = comlink_py.wrap(port)
    driver = Driver(
        remote,
        new_buffer=bytearray,
        is_detached=lambda buffer: len(buffer) == 0,
        transfer=comlink_py.transfer,
    )
    try:
        return await driver.measure(calls, smoke)
    finally:
        await comlink_py.release(remote)


async def same_thread(calls: int, smoke: bool) -> dict[str, Any]:
    channel = MessageChannel()
    comlink_py.expose(Target(), channel.port1)
    return await _measure_port(channel.port2, calls, smoke)


async def across_threads(calls: int, smoke: bool) -> dict[str, Any]:
    """The exposing side runs its own event loop in a second thread."""
    channel = MessageChannel()
    loop = asyncio.new_event_loop()
    serving = threading.Event()

    async def serve() -> None:
        comlink_py.expose(Target(), channel.port1)
        serving.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(serve())
        loop.run_forever()

    thread = threading.Thread(target=run, name="comlink_py benchmark server", daemon=True)
    thread.start()
    try:
        if not serving.wait(10):
            raise RuntimeError("the serving thread did not start")
        return await _measure_port(channel.port2, calls, smoke)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


ROWS: dict[str, Callable[[int, bool], Awaitable[dict[str, Any]]]] = {
    "6a": same_thread,
    "6b": across_threads,
}
