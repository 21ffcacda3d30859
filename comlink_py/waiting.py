"""In-memory ports a thread without an event loop can block on (``blocking.wrap_sync``).

A ``comlink_py.MessagePort`` delivers on the event loop that started it. A thread with no loop
adopts an unstarted port instead: what arrives for it goes into a mailbox, and ``wait`` delivers
it on the waiting thread. Ports such a port opens for ``proxy()`` callbacks share its mailbox, so
a callback the peer calls while a call waits is served by that wait.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import Any

from .protocol.endpoint import Endpoint
from .transport.channel import PEER_CLOSED, MessagePort

__all__ = ["WaitingPort", "adopt_port"]


class _Mailbox:
    """What arrived for the ports of one waiting thread, in order."""

    def __init__(self) -> None:
        self._ready = threading.Condition(threading.Lock())
        self._items: deque[tuple[WaitingPort, Any]] = deque()

    def put(self, port: WaitingPort, item: Any) -> None:
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
                port._deliver(item)


class WaitingPort(MessagePort):
    """A ``MessagePort`` whose messages are delivered by ``wait`` on the thread that waits."""

    _mailbox: _Mailbox

    def start(self) -> None:
        """Nothing to start: ``wait`` delivers."""

    def wait(self, timeout: float) -> None:
        self._mailbox.wait(timeout)

    def adopt(self, endpoint: Endpoint) -> WaitingPort:
        adopted = adopt_port(endpoint, self._mailbox)
        if adopted is None:
            raise TypeError(f"{type(endpoint).__name__} arrived on a waiting port but cannot wait")
        return adopted

    def new_channel(self) -> tuple[MessagePort, MessagePort]:
        """The near end waits with this port; the far one is an ordinary port for the peer's loop."""
        near = _waiting(MessagePort(), self._mailbox)
        far = MessagePort()
        near.entangle(far)
        return near, far

    def receive(self, data: Any, loop: Any = None) -> None:
        self._mailbox.put(self, data)

    def peer_closed(self) -> None:
        self._peer = None
        self._mailbox.put(self, PEER_CLOSED)


def _waiting(port: MessagePort, mailbox: _Mailbox) -> WaitingPort:
    # The port becomes a WaitingPort in place: its peer holds it, so it cannot be replaced.
    port.__class__ = WaitingPort
    port._mailbox = mailbox  # type: ignore[attr-defined]
    return port  # type: ignore[return-value]


def adopt_port(endpoint: Endpoint, mailbox: _Mailbox | None = None) -> WaitingPort | None:
    """An in-memory ``MessagePort`` nobody started, made a ``WaitingPort`` (with what it queued);
    ``None`` for anything else."""
    if isinstance(endpoint, WaitingPort):
        return endpoint
    if type(endpoint) is not MessagePort or endpoint._loop is not None:
        return None
    with endpoint._lock:
        port = _waiting(endpoint, mailbox or _Mailbox())
        queued = list(port._queue)
        port._queue.clear()
    for item in queued:
        port._mailbox.put(port, item)
    return port
