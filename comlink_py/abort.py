"""A caller's ``AbortSignal`` in Python: the ``AbortSignal`` transfer handler and ``Cancellation``.

The JS shim registers a Comlink transfer handler under the same name (``js_shim/abort.mjs``): an
``AbortSignal`` argument travels as ``{port, aborted, reason}``, and the JS side posts
``{reason}`` on the port when the signal aborts. The exposing side (``aio``) cancels the task of
an ``async`` method that received one, and answers the call with ``AbortError``.

A message cannot reach code that runs without returning to the event loop, so in a Pyodide worker
with an interrupt buffer (``arm``) the ``Cancellation`` of a call from the worker's starter also
hands the caller, on its port, a shared flag and the worker's interrupt buffer: on abort JS sets
the flag and writes ``ABORT_SIGNUM`` into the buffer, and ``aio`` raises ``AbortError`` in the
call the flag belongs to, if it is the one running (docs/wire-format.md).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Generator, Sequence
from typing import Any, Final

from .protocol.endpoint import Endpoint, MessageEvent, close, start
from .protocol.exposing import Exposer
from .protocol.handlers import register_built_in
from .protocol.wire import describe

__all__ = ["ABORT_SIGNAL", "ABORT_SIGNUM", "AbortError", "Cancellation"]

#: The handler's wire name, the same in JS (``Comlink.transferHandlers``) and in Python.
ABORT_SIGNAL: Final = "AbortSignal"

#: What JS writes into Pyodide's interrupt buffer when a signal aborts (SIGUSR1 in Emscripten's
#: numbering): not SIGINT, whose default handler raises KeyboardInterrupt in whatever runs. The
#: shim's abort.mjs uses the same number.
ABORT_SIGNUM: Final = 10


class _Interrupts:
    """A Pyodide worker's interrupt buffer, how to make a shared flag (a JS ``Int32Array`` over a
    ``SharedArrayBuffer``) for a ``Cancellation``, and which endpoints' callers may have the buffer:
    whoever holds it can raise ``KeyboardInterrupt`` in any call, so only the worker's starter,
    which made it, is handed it."""

    def __init__(self, buffer: Any, new_flag: Callable[[], Any], trusted: Callable[[Endpoint], bool]) -> None:
        self.buffer = buffer
        self.new_flag = new_flag
        self.trusted = trusted


_interrupts: _Interrupts | None = None


def arm(buffer: Any, new_flag: Callable[[], Any], trusted: Callable[[Endpoint], bool]) -> None:
    """Let aborts interrupt running code (``comlink_py.js`` calls this in a Pyodide worker started
    with an interrupt buffer; the signal handler is ``aio``'s): the signals of calls that arrive on
    an endpoint ``trusted`` accepts get a flag."""
    global _interrupts
    _interrupts = _Interrupts(buffer, new_flag, trusted)


class AbortError(Exception):
    """The caller aborted the call (its ``AbortSignal``); JS sees an error named ``AbortError``."""


class Cancellation:
    """The caller's ``AbortSignal``: ``aborted`` and ``reason`` (``{"name", "message"}`` for an
    error, or a string), ``check()`` for code that runs long, and ``await cancellation`` to wait
    for the abort (it returns the reason)."""

    def __init__(self, port: Endpoint | None, aborted: bool = False, reason: Any = None) -> None:
        self._aborted = aborted
        self.reason = reason
        self._callbacks: list[Callable[[Cancellation], None]] = []
        self._waiters: list[asyncio.Future[Any]] = []
        self._port = port
        self._flag: Any = None  # set by JS when the signal aborts (Pyodide with an interrupt buffer)
        if port is not None and not aborted:
            port.add_listener(self._on_message)
            start(port)
        elif port is not None:
            close(port)

    def _share_flag(self, interrupts: _Interrupts) -> None:
        """Hand the caller the interrupt buffer and a flag of this signal's own (docs/wire-format.md)."""
        if self._port is not None:
            self._flag = interrupts.new_flag()
            self._port.post_message({"interrupt": interrupts.buffer, "flag": self._flag})

    @property
    def aborted(self) -> bool:
        """Whether the signal aborted; in a Pyodide worker seen at once, event loop or not."""
        return self._aborted or self.interrupted

    @property
    def interrupted(self) -> bool:
        """Whether JS flagged the abort in shared memory (the reason follows as a message)."""
        flag = self._flag
        return flag is not None and flag[0] != 0

    def _on_message(self, event: MessageEvent) -> None:
        data = event.data
        self._abort(data.get("reason") if isinstance(data, dict) else None)

    def detach(self) -> None:
        """Stop listening for the abort (the call ended): the port closes."""
        if self._port is not None:
            self._port.remove_listener(self._on_message)
            close(self._port)
            self._port = None

    def _abort(self, reason: Any) -> None:
        self.detach()
        if self._aborted:
            return
        self._aborted = True
        self.reason = reason
        for callback in self._callbacks:
            callback(self)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(reason)

    def add_callback(self, callback: Callable[[Cancellation], None]) -> None:
        """Call ``callback(self)`` when the abort arrives (at once if it has)."""
        if self._aborted:
            callback(self)
        else:
            self._callbacks.append(callback)

    def check(self) -> None:
        """Raise ``AbortError`` if the signal aborted; call it now and then in code that runs long.
        Outside Pyodide the abort arrives as a message, so it is seen once the event loop ran since."""
        if self.aborted:
            raise AbortError(self.message)

    @property
    def message(self) -> str:
        reason = self.reason
        message = reason.get("message") if isinstance(reason, dict) else None
        if isinstance(message, str):
            return message
        return "the call was aborted" if reason is None else str(reason)

    def __await__(self) -> Generator[Any, None, Any]:
        if self._aborted:
            return self.reason
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return (yield from waiter)

    def __repr__(self) -> str:
        return f"<Cancellation aborted={self.aborted} reason={describe(self.reason)}>"


#: The exposing core's method that decodes a call's arguments and runs the call.
PERFORM: Final = Exposer.perform.__code__


def _decoding_arguments() -> bool:
    """Whether a call's arguments are being decoded (``Exposer.perform`` is on the stack), rather
    than a result, say. Looked up only for an ``AbortSignal``, so calls without one pay nothing."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code is PERFORM:
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


class _AbortSignalHandler:
    """Decodes the shim's ``AbortSignal``; Python never sends one, so ``can_handle`` is false.

    Each ``Cancellation`` decoded among a call's arguments is noted in ``received`` for the
    exposing side to claim once the call is performed; decoded anywhere else (a result) it is
    noted nowhere. A signal that aborted before the call began fails the call there, before it
    runs."""

    def __init__(self) -> None:
        self.received: list[Cancellation] = []

    def can_handle(self, value: Any) -> bool:
        return False

    def serialize(self, value: Any, endpoint: Endpoint) -> tuple[Any, Sequence[Any]]:
        raise TypeError("a Cancellation cannot be sent on")

    def deserialize(self, value: Any, endpoint: Endpoint) -> Cancellation:
        if not isinstance(value, dict) or not callable(getattr(value.get("port"), "add_listener", None)):
            raise TypeError(f"an AbortSignal arrives as {{port, aborted, reason}}, got {describe(value)}")
        aborted = value.get("aborted") is True
        cancellation = Cancellation(value["port"], aborted, value.get("reason") if aborted else None)
        if _decoding_arguments():
            if aborted:
                raise AbortError(cancellation.message)
            self.received.append(cancellation)
            if _interrupts is not None and _interrupts.trusted(endpoint):
                cancellation._share_flag(_interrupts)
        return cancellation

    def claim(self) -> list[Cancellation]:
        """The cancellations decoded since the last claim (the arguments of the call just made)."""
        received = self.received
        self.received = []
        return received


ABORT_HANDLER: Final = _AbortSignalHandler()
# Built in: it never takes an atom, so the answers of atoms keep their shortcut (registering it as a
# custom handler cost the exposing path 5 µs a call in Pyodide, 7 -> 12 µs).
register_built_in(ABORT_SIGNAL, ABORT_HANDLER)
