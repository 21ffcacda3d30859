"""In-memory ports a thread without an event loop can block on (``comlink_py.blocking.wrap_sync``).

A ``MessagePort`` delivers on the event loop that started it. A thread with no loop redirects an
unstarted port instead (``MessagePort.redirect``): what arrives for it goes into a mailbox, and
``wait`` delivers it on the waiting thread. Ports such a port opens for ``proxy()`` callbacks share
its mailbox, so a callback the peer calls while a call waits is served by that wait.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from ..protocol.endpoint import Endpoint, Listener
from .channel import PEER_CLOSED, MessageChannel, MessagePort

__all__ = ["WaitingPort", "adopt_port"]


class _Mailbox:
    """What arrived for the ports of one waiting thread, in order."""

    def __init__(self) -> None:
        self._ready = threading.Condition(threading.Lock())
        self._items: deque[tuple[MessagePort, Any]] = deque()

    def put(self, port: MessagePort, item: Any) -> None:
        with self._ready:
            self._items.append((port, item))
            self._ready.notify()

    def wait(self, timeout: float) -> None:
        with self._ready:
            if not self._items:
                self._ready.wait(timeout)
            batch = list(self._items)
            self._items.clear()
        for port, item in batch:
            if item is PEER_CLOSED:
                port.shut()
            else:
                port.deliver(item)


class WaitingPort:
    """An in-memory ``MessagePort`` whose messages ``wait`` delivers on the thread that waits; a
    ``WaitingEndpoint``."""

    __slots__ = ("_mailbox", "port")

    def __init__(self, port: MessagePort, mailbox: _Mailbox) -> None:
        self.port = port
        self._mailbox = mailbox

    @property
    def closed(self) -> bool:
        return self.port.closed

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        self.port.post_message(message, transfer)

    def add_listener(self, listener: Listener) -> None:
        self.port.add_listener(listener)

    def remove_listener(self, listener: Listener) -> None:
        self.port.remove_listener(listener)

    def add_close_listener(self, callback: Callable[[], None]) -> None:
        self.port.add_close_listener(callback)

    def close(self) -> None:
        self.port.close()

    def wait(self, timeout: float) -> None:
        self._mailbox.wait(timeout)

    def adopt(self, endpoint: Endpoint) -> WaitingPort:
        adopted = adopt_port(endpoint, self._mailbox)
        if adopted is None:
            raise TypeError(f"{type(endpoint).__name__} arrived on a waiting port but cannot wait")
        return adopted

    def new_channel(self) -> tuple[WaitingPort, MessagePort]:
        """The near end waits with this port; the far one is an ordinary port for the peer's loop."""
        channel = MessageChannel()
        channel.port1.redirect(self._mailbox.put)
        return WaitingPort(channel.port1, self._mailbox), channel.port2


def adopt_port(endpoint: Endpoint, mailbox: _Mailbox | None = None) -> WaitingPort | None:
    """An in-memory ``MessagePort`` nobody started, redirected to ``mailbox`` (a new one by
    default) with what it queued; ``None`` for anything else."""
    if isinstance(endpoint, WaitingPort):
        return endpoint
    if type(endpoint) is not MessagePort:
        return None
    mailbox = mailbox or _Mailbox()
    if not endpoint.redirect(mailbox.put):
        return None
    return WaitingPort(endpoint, mailbox)
