"""The worker half of comlink_rpc.html: a Python object that a page wraps with JS Comlink.

``startPythonWorker`` (js_shim/browser.mjs) runs this file as ``__main__`` in a Pyodide Web Worker.
The page's main thread calls the object through ``Comlink.wrap``, and Pyodide on the main thread
through ``comlink_py.wrap``: both speak Comlink's protocol over the same Worker.
"""

from __future__ import annotations

import sys
from typing import Any

import comlink_py
from comlink_py.js import JsArrayBuffer


class Calculator:
    python = sys.version.split()[0]

    def add(self, a: float, b: float) -> float:
        return a + b

    def greet(self, name: str) -> str:
        return f"Hello, {name}, from Python {self.python} in a worker"

    def fail(self, message: str) -> None:
        raise ValueError(message)

    def checksum(self, data: JsArrayBuffer) -> dict[str, int]:
        """``data`` is the ArrayBuffer the page transferred (moved, not copied); ``sum`` reads it."""
        return {"length": len(data), "sum": sum(data)}

    async def count(self, n: int, on_progress: comlink_py.Remote[Any]) -> int:
        """Sum 1..n, reporting each step to the caller's ``Comlink.proxy`` callback on its own thread."""
        total = 0
        for i in range(1, n + 1):
            total += i
            await on_progress(i, n)
        return total

    def ask(self) -> str:
        """Ordinary blocking Python: ``input()`` asks the page (its prompt dialog, by default)."""
        name = input("What is your name? ")
        return f"Hello, {name}, said input() in the worker"


comlink_py.expose(Calculator())
