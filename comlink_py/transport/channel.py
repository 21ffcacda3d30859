"""An in-memory ``MessageChannel`` for asyncio, shaped like the browser's.

Messages are structured-cloned when posted, queued until the receiving port is started, and delivered
on the event loop that started it, so two threads with their own loops can talk through one channel.
Ports can travel inside messages as transferables, which is what proxies and ENDPOINT need.
"""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any, Final

from ..protocol.endpoint import Listener, MessageEvent, call_each
from .clone import structured_clone

__all__ = ["PEER_CLOSED", "Inbox", "MessageChannel", "MessagePort"]

#: Queued after the messages a closing peer sent before it closed.
PEER_CLOSED: Final = object()

#: What takes the messages of a redirected port (see ``MessagePort.redirect``).
Inbox = Callable[["MessagePort", Any], None]


class MessagePort:
    """One end of a ``MessageChannel``; implements the ``Endpoint`` protocol.

    Transports built on it (``comlink_py.transport.connection``, ``comlink_py.transport.waiting``)
    use the hooks ``entangle``, ``receive``, ``peer_closed``, ``shut``, ``detach``, ``redirect`` and
    ``deliver`` rather than its fields.
    """

    def __init__(self) -> None:
        self._peer: MessagePort | None = None
        self._listeners: list[Listener] = []
        self._close_listeners: list[Callable[[], None]] = []
        self._queue: deque[Any] = deque()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: Inbox | None = None  # see redirect
        self._thread = 0
        self._lock = threading.Lock()
        self.closed = False

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        if self.closed:
            raise ConnectionError("cannot post on a closed MessagePort")
        data = structured_clone(message, transfer)
        peer = self._peer
        if peer is not None and not peer.closed:
            peer.receive(data)

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def add_close_listener(self, callback: Callable[[], None]) -> None:
        self._close_listeners.append(callback)

    def start(self) -> None:
        """Begin delivery on the running event loop (messages posted earlier are kept until now)."""
        with self._lock:
            if self._loop is not None or self._inbox is not None:
                return
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                loop = asyncio.get_event_loop_policy().get_event_loop()
            self._loop, self._thread = loop, threading.get_ident()
            while self._queue:
                item = self._queue.popleft()
                if item is PEER_CLOSED:
                    self._schedule(self.shut)
                else:
                    self._schedule(self.deliver, item)

    def close(self) -> None:
        """Disentangle both ends. The peer still receives what was posted before, then learns of
        the close: each side's close listeners run once, on that side's loop."""
        peer, self._peer = self._peer, None
        self.shut()
        if peer is not None:
            peer.peer_closed()

    # -- hooks for transports -----------------------------------------------------------------

    def entangle(self, peer: MessagePort) -> None:
        """Make this port and ``peer`` the two ends of one channel."""
        self._peer, peer._peer = peer, self

    def peer_closed(self) -> None:
        """The other end went away: the close is queued behind what it sent, for this side's loop."""
        self._peer = None
        with self._lock:
            if self._loop is None:
                self._hold(PEER_CLOSED)
            else:
                self._schedule(self.shut)

    def new_channel(self) -> tuple[MessagePort, MessagePort]:
        channel = MessageChannel()
        return channel.port1, channel.port2

    def shut(self) -> None:
        """Close this end only, telling its close listeners (once), not the peer."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            callbacks, self._close_listeners = self._close_listeners, []
        call_each(callbacks)

    def receive(self, data: Any, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """A message from the peer: delivered in this call if the port was started on ``loop``
        (the caller's, running now), else queued for its own loop (or until it starts)."""
        if loop is not None and self._loop is loop:
            self.deliver(data)
            return
        with self._lock:
            if self._loop is None:
                self._hold(data)
            else:
                self._schedule(self.deliver, data)

    def redirect(self, inbox: Inbox) -> bool:
        """Hand this port's messages to ``inbox(port, item)`` instead of an event loop: what it
        queued, then what arrives (on the posting thread), with ``PEER_CLOSED`` where the peer
        closed. Its owner passes each item to ``deliver`` (or ``PEER_CLOSED`` to ``shut``) on a
        thread of its choice. False for a port that was started or redirected already."""
        with self._lock:
            if self._loop is not None or self._inbox is not None:
                return False
            self._inbox = inbox
            while self._queue:
                inbox(self, self._queue.popleft())
        return True

    def deliver(self, data: Any) -> None:
        """Give a message to the listeners, on this thread, unless the port is closed."""
        if self.closed:
            return
        event = MessageEvent(data)
        call_each(self._listeners, event)

    def detach(self) -> tuple[MessagePort | None, list[Any]]:
        """Neuter this end as it is transferred away: closed without telling anyone, unlinked from
        its peer. Returns the peer (unlinked too) and what was queued here (``PEER_CLOSED`` marks
        where the peer closed), for the transport to carry to the end's new home."""
        with self._lock:
            backlog = list(self._queue)
            self._queue.clear()
            self.closed = True
        peer, self._peer = self._peer, None
        if peer is not None:
            peer._peer = None
        return peer, backlog

    def _schedule(self, fn: Callable[..., None], *args: Any) -> None:
        loop = self._loop
        assert loop is not None
        if loop.is_closed():
            return
        if threading.get_ident() == self._thread:
            loop.call_soon(fn, *args)
        else:
            loop.call_soon_threadsafe(fn, *args)

    def _hold(self, item: Any) -> None:
        """Keep what arrived for a port with no loop (the lock held): queued, or to its inbox."""
        inbox = self._inbox
        if inbox is None:
            self._queue.append(item)
        else:
            inbox(self, item)


class MessageChannel:
    """Two entangled ports: what one posts, the other receives."""

    __slots__ = ("port1", "port2")

    def __init__(self) -> None:
        self.port1 = MessagePort()
        self.port2 = MessagePort()
        self.port1.entangle(self.port2)
