"""Served by tests/interop/js/stopping.mjs: runaway calls to interrupt, a call to cancel, and the
caller's side of cancelling calls to a Python peer and to the JS host (real Comlink)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import comlink_py
import comlink_py.js as cjs


class Api:
    def __init__(self) -> None:
        self.stopped: float | None = None
        self.started = asyncio.Event()
        self.served: comlink_py.Exposed | None = None

    def spin(self) -> None:
        while True:
            pass

    async def spin_async(self) -> None:
        await asyncio.sleep(0)
        n = 0
        while True:
            n += 1

    def add(self, a: int, b: int) -> int:
        return a + b

    async def hold(self) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.stopped = time.monotonic()

    def serve_peer(self, port: cjs.JsEndpoint) -> None:
        self.served = comlink_py.expose(self, port)

    def state(self) -> dict[str, Any]:
        """Whether ``hold`` was stopped, and how many calls run as tasks here."""
        return {"stopped": self.stopped is not None, "running": self.served.running if self.served else None}

    async def cancel_peer(self, port: cjs.JsEndpoint) -> dict[str, Any]:
        """Call the peer's ``hold``, cancel it, and measure until the peer says its finally ran."""
        remote = comlink_py.wrap(port)
        call = remote.hold()
        await asyncio.sleep(0.3)  # running there by now
        begun = time.monotonic()
        call.cancel()
        while not (await remote.state())["stopped"]:
            pass
        elapsed = (time.monotonic() - begun) * 1000
        return {
            "elapsed_ms": elapsed,
            "peer": await remote.state(),
            "pending": len(remote._link.caller.pending),
            "next": await remote.add(2, 3),
        }

    async def cancel_host(self) -> dict[str, Any]:
        """Cancel a call to the JS host (real Comlink, which ignores CANCEL) and call it again."""
        host = cjs.host()
        outcome = "no timeout"
        try:
            await asyncio.wait_for(host.slow(), 0.05)
        except TimeoutError:
            outcome = "TimeoutError"
        call = host.slow()
        await asyncio.sleep(0.05)
        call.cancel()
        return {"timeout": outcome, "next": await host.add(1, 2), "pending": len(host._link.caller.pending)}


comlink_py.expose(Api())
