"""Served by tests/interop/js/lifecycle.mjs and the Chromium lifecycle tests: a worker that says
which start of it answers, works for a while, and can die, for restart() and pools."""

from __future__ import annotations

import asyncio
import os
import secrets
import time

import comlink_py

TOKEN = secrets.token_hex(8)  # a new one for every start: which worker answered


class Nested:
    def add(self, a: int, b: int) -> int:
        return a + b


class Api:
    version = "lifecycle 1"
    nested = Nested()

    def who(self) -> str:
        return TOKEN

    def die(self) -> None:
        os._exit(3)  # Pyodide fails fatally: the worker is gone

    def work(self, ms: float) -> list[object]:
        """Busy for `ms` of wall-clock time: which worker, and when it began and ended (ms)."""
        begun = time.time()
        while time.time() - begun < ms / 1000:
            pass
        return [TOKEN, begun * 1000, time.time() * 1000]

    async def wait(self) -> None:
        await asyncio.Event().wait()  # answers never

    def spin(self) -> None:
        while True:
            pass


comlink_py.expose(Api())
