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
        self.interrupted = 0.0
        self.signal_state: list[Any] = []

    def spin(self) -> None:
        try:
            while True:
                pass
        except KeyboardInterrupt:
            self.interrupted = time.time()  # wall clock: the JS side compares it with Date.now()
            raise

    async def spin_async(self) -> None:
        await asyncio.sleep(0)
        n = 0
        try:
            while True:
                n += 1
        except KeyboardInterrupt:
            self.interrupted = time.time()
            raise

    def interrupted_at(self) -> float:
        return self.interrupted * 1000

    def add(self, a: int, b: int) -> int:
        return a + b

    async def echo_async(self, value: Any) -> Any:
        await asyncio.sleep(0)
        return value

    async def hold(self) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.stopped = time.time()  # wall clock: the caller in another worker compares it

    def serve_peer(self, port: cjs.JsEndpoint) -> None:
        self.served = comlink_py.expose(self, port)

    def state(self) -> dict[str, Any]:
        """When ``hold`` was stopped, and how many calls run as tasks here."""
        running = self.served.running if self.served else None
        return {"started": self.started.is_set(), "stopped": self.stopped, "running": running}

    async def until_aborted(self, signal: Any) -> str:
        """Wait for the caller's AbortSignal (a Cancellation); note when the finally ran."""
        self.stopped = None
        try:
            await asyncio.Event().wait()
        finally:
            self.stopped = time.time()
            self.signal_state = [signal.aborted, signal.reason]
        return "not aborted"

    async def awaits_signal(self, signal: Any) -> Any:
        """Awaiting the signal itself: the abort cancels this task all the same."""
        return await signal

    def spin_signal(self, signal: Any) -> None:
        """Run until the caller's signal aborts: the abort interrupts this loop."""
        self.stopped = None
        try:
            while True:
                pass
        finally:
            self.stopped = time.time()
            self.signal_state = [signal.aborted, signal.reason]

    async def spin_signal_async(self, signal: Any) -> None:
        """The same loop in an async method, between two awaits."""
        await asyncio.sleep(0)
        self.spin_signal(signal)

    async def wait_signal(self, signal: Any) -> None:
        await asyncio.Event().wait()

    def signal_seen(self) -> Any:
        return {"stopped": self.stopped, "state": self.signal_state}

    def takes_signal(self, signal: Any) -> list[Any]:
        signal.check()
        return [type(signal).__name__, signal.aborted]

    async def cancel_peer(self, port: cjs.JsEndpoint) -> dict[str, Any]:
        """Call the peer's ``hold``, cancel it, and measure until the peer says its finally ran."""
        remote = comlink_py.wrap(port)
        call = remote.hold()
        while not (await remote.state())["started"]:
            pass
        begun = time.time()
        call.cancel()
        while (stopped := (await remote.state())["stopped"]) is None:
            pass
        state = await remote.state()
        return {
            "elapsed_ms": (stopped - begun) * 1000,
            "peer_running": state["running"],
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
