"""A caller's ``AbortSignal`` in Python: the ``AbortSignal`` transfer handler and ``Cancellation``.

The JS shim registers a Comlink transfer handler under the same name (``js_shim/abort.mjs``): an
``AbortSignal`` argument travels as ``{port, aborted, reason}``, and the JS side posts
``{reason}`` on the port when the signal aborts. The exposing side (``aio``) cancels the task of
an ``async`` method that received one, and answers the call with ``AbortError``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Generator, Sequence
from typing import Any, Final

from .protocol.endpoint import Endpoint, MessageEvent, close, start
from .protocol.handlers import register_built_in
from .protocol.wire import describe

__all__ = ["ABORT_SIGNAL", "AbortError", "Cancellation"]

#: The handler's wire name, the same in JS (``Comlink.transferHandlers``) and in Python.
ABORT_SIGNAL: Final = "AbortSignal"


class AbortError(Exception):
    """The caller aborted the call (its ``AbortSignal``); JS sees an error named ``AbortError``."""


class Cancellation:
    """The caller's ``AbortSignal``: ``aborted`` and ``reason`` (``{"name", "message"}`` for an
    error, or a string), ``check()`` for code that runs long, and ``await cancellation`` to wait
    for the abort (it returns the reason)."""

    def __init__(self, port: Endpoint | None, aborted: bool = False, reason: Any = None) -> None:
        self.aborted = aborted
        self.reason = reason
        self._callbacks: list[Callable[[Cancellation], None]] = []
        self._waiters: list[asyncio.Future[Any]] = []
        self._port = port
        if port is not None and not aborted:
            port.add_listener(self._on_message)
            start(port)
        elif port is not None:
            close(port)

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
        if self.aborted:
            return
        self.aborted = True
        self.reason = reason
        for callback in self._callbacks:
            callback(self)
        for waiter in self._waiters:
            if not waiter.done():
                waiter.set_result(reason)

    def add_callback(self, callback: Callable[[Cancellation], None]) -> None:
        """Call ``callback(self)`` when the signal aborts (at once if it has)."""
        if self.aborted:
            callback(self)
        else:
            self._callbacks.append(callback)

    def check(self) -> None:
        """Raise ``AbortError`` if the signal aborted; call it now and then in code that runs long.
        The abort arrives as a message, so it is seen once the event loop ran since."""
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
        if self.aborted:
            return self.reason
        waiter = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        return (yield from waiter)

    def __repr__(self) -> str:
        return f"<Cancellation aborted={self.aborted} reason={describe(self.reason)}>"


class _AbortSignalHandler:
    """Decodes the shim's ``AbortSignal``; Python never sends one, so ``can_handle`` is false.
    Each ``Cancellation`` decoded is noted in ``received`` for the exposing side to claim."""

    def __init__(self) -> None:
        self.received: list[Cancellation] = []

    def can_handle(self, value: Any) -> bool:
        return False

    def serialize(self, value: Any, endpoint: Endpoint) -> tuple[Any, Sequence[Any]]:
        raise TypeError("a Cancellation cannot be sent on")

    def deserialize(self, value: Any, endpoint: Endpoint) -> Cancellation:
        if not isinstance(value, dict) or not callable(getattr(value.get("port"), "add_listener", None)):
            raise TypeError(f"an AbortSignal arrives as {{port, aborted, reason}}, got {describe(value)}")
        cancellation = Cancellation(value["port"], value.get("aborted") is True, value.get("reason"))
        self.received.append(cancellation)
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
