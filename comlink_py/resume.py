"""Run what waits for a call as soon as its answer is decoded, instead of a loop turn later.

asyncio schedules each done-callback of a future (the awaiting task's wake-up, ``gather``'s count,
...) with ``call_soon``. In Pyodide that costs a PyProxy and a trip through the JS event loop
(``setImmediate``, or a MessageChannel message in a browser), about 10 µs, per callback. A call's
future is therefore made with a ``Resumer`` as its loop: while ``resolve`` sets the future's result,
the callbacks it schedules run at once, in their order. Everything else (cancellation, timeouts,
errors, other futures' callbacks) goes through the real loop.

This is the only module that uses asyncio's private API (``_get_running_loop``,
``_set_running_loop``). ``COMLINK_PY_RESUME=0`` in the environment, or ``ENABLED = False`` before
the first call of a ``wrap``, turns it off: calls then resume as plain asyncio futures do.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["ENABLED", "Resumer", "resumer_for", "set_running_loop"]

#: Whether new wraps resume their callers at once; off with ``COMLINK_PY_RESUME=0``.
ENABLED = os.environ.get("COMLINK_PY_RESUME", "1") != "0"

_IN_PYODIDE = sys.platform == "emscripten"


class Resumer:
    """The loop a call's future is given. ``resolve`` arms it with the future: while that future's
    callbacks are scheduled, and no task is running, they run at once, a failing one reported as
    the loop reports it. Every other ``call_soon`` and attribute goes to the real loop."""

    __slots__ = ("armed", "loop")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.armed: object = None  # the future whose callbacks may run now

    def resolve(self, future: asyncio.Future[Any], value: Any) -> None:
        """Set ``future``'s result, its callbacks run now where they may. Not for errors: asyncio
        marks an exception unretrieved after the callbacks are scheduled, so a task that took it at
        once would leave a spurious warning behind."""
        outer, self.armed = self.armed, future  # an answer delivered by a callback nests
        try:
            future.set_result(value)
        finally:
            self.armed = outer

    def call_soon(self, callback: Callable[..., Any], *args: Any, context: Any = None) -> Any:
        loop = self.loop
        armed = self.armed
        if armed is not None and args and args[0] is armed and _may_resume_now(loop):
            try:
                if context is None:
                    callback(*args)
                else:
                    context.run(callback, *args)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as error:  # reported as the loop reports a failed callback
                loop.call_exception_handler(
                    {"message": f"Exception in callback {callback!r}", "exception": error}
                )
            return None
        return loop.call_soon(callback, *args, context=context)

    def get_debug(self) -> bool:  # asked by every new future: spelled out, as __getattr__ is slow
        return self.loop.get_debug()

    def __getattr__(self, name: str) -> Any:  # call_exception_handler, ...
        return getattr(self.loop, name)


def resumer_for(loop: asyncio.AbstractEventLoop) -> Resumer | None:
    """A ``Resumer`` over ``loop``, or ``None`` while the shim is off."""
    return Resumer(loop) if ENABLED else None


def set_running_loop(loop: Any) -> Any:
    """Make ``loop`` this thread's running loop (what ``expose`` gives its tasks to) and return the
    one before: for a thread that serves callbacks while it blocks instead of running a loop
    (``comlink_py.blocking``, ``comlink_py.blocking_process``)."""
    outer = asyncio._get_running_loop()
    asyncio._set_running_loop(loop)
    return outer


def _may_resume_now(loop: asyncio.AbstractEventLoop) -> bool:
    """Whether a task of ``loop`` may run its next step right here: on the loop's thread, with no
    task running (answers are delivered by loop callbacks or JS events, never inside a task)."""
    running = asyncio._get_running_loop()
    if running is None and _IN_PYODIDE:
        # Pyodide may run a JS event's handler on a thread state of its own (stack switching); its
        # WebLoop claims it before each of its callbacks in the same way.
        asyncio._set_running_loop(loop)
        running = loop
    return running is loop and asyncio.current_task(loop) is None
