"""Comlink between CPython processes: virtual ports multiplexed over one stream socket.

A ``Connection`` carries frames (``frames.py``) over one connected stream socket (the end of a
``socketpair`` that a child inherited, or any other). Every frame is addressed to a virtual port, so
``proxy()`` and ``create_endpoint`` open new ports over the same connection, as MessagePorts ride
one postMessage link in a browser. Values travel in the binary codec (``binary.py``), never pickled.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import threading
from collections.abc import Callable, Sequence
from typing import Any

from ..protocol.endpoint import Endpoint, MessageEvent, close, start
from . import binary
from .channel import PEER_CLOSED, MessagePort
from .clone import CLONE_ATOMS, is_transferable
from .frames import (
    CLOSE,
    HEAD,
    MESSAGE,
    OPENED_BY_PEER,
    PORTS,
    SIZE,
    close_frame,
    flip,
    port_table,
    read_port_table,
)

__all__ = ["Connection", "VirtualPort", "connect"]

log = logging.getLogger("comlink_py")


class VirtualPort(MessagePort):
    """One end of a channel that can cross a ``Connection``.

    Until one of a pair made by ``new_channel()`` is transferred, the two talk in memory like a
    ``MessageChannel``; after that the end left behind posts over the connection. A port that arrives
    in a message is one of these too, already talking over the connection.
    """

    def __init__(self, connection: Connection, key: int | None) -> None:
        super().__init__()
        self._connection = connection
        self._key = key

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        key = self._key
        if key is None:
            super().post_message(message, transfer)
        elif self.closed:
            raise ConnectionError("cannot post on a closed port")
        else:
            self._connection._send(key, message, transfer)

    def close(self) -> None:
        key = self._key
        if key is None:
            super().close()
        else:
            self.shut()
            self._connection._drop(key)

    def new_channel(self) -> tuple[VirtualPort, VirtualPort]:
        return self._connection.new_channel()

    def _hand_over(self, key: int) -> tuple[VirtualPort | None, list[Any]]:
        """This end goes to the peer: it is neutered here, its twin now talks over channel ``key``,
        and what was queued for this end goes along."""
        twin, backlog = self.detach()
        if isinstance(twin, VirtualPort):
            twin._key = key
            return twin, backlog
        return None, backlog


class Connection(asyncio.Protocol):
    """Virtual ports over one stream transport; ``port`` is the main one (channel 0).

    The connection closes when its last port closes or the peer goes away; then every open port
    hears of it through its close listeners, which is how pending calls fail instead of hanging.
    """

    def __init__(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._corked: list[bytes | bytearray] | None = None  # frames held back while reading
        self._next = 1
        self._finished: asyncio.Future[None] = self._loop.create_future()
        self.port = VirtualPort(self, 0)
        self._ports: dict[int, VirtualPort] = {0: self.port}

    @property
    def closed(self) -> bool:
        return self._finished.done()

    def new_channel(self) -> tuple[VirtualPort, VirtualPort]:
        """Two entangled ports; either can be transferred over this connection."""
        a, b = VirtualPort(self, None), VirtualPort(self, None)
        a.entangle(b)
        return a, b

    def close(self) -> None:
        """Close the socket once what was written is sent; every port hears of it."""
        if threading.get_ident() != self._thread:
            self._on_loop(self.close)
        elif self._transport is not None:
            self._flush()
            self._transport.close()

    async def wait_closed(self) -> None:
        await asyncio.shield(self._finished)

    # -- asyncio.Protocol -----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        if exc is not None:
            log.debug("connection lost: %r", exc)
        self._transport = None
        ports = list(self._ports.values())
        self._ports.clear()
        for port in ports:
            port.peer_closed()
        if not self._finished.done():
            self._finished.set_result(None)

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        source: bytes | bytearray = data
        if buffer:
            buffer += data
            source = buffer
        used = self._read_frames(source)
        if used == len(source):
            self._buffer = bytearray()
        elif used or source is not buffer:
            # A fresh buffer: views of the old one may still be alive (in a logged traceback).
            self._buffer = bytearray(memoryview(source)[used:])

    # -- frames in ------------------------------------------------------------------------------

    def _read_frames(self, source: bytes | bytearray) -> int:
        # What listeners answer while a batch of frames is read leaves in one write, not one each.
        self._corked = []
        try:
            return self._read_corked(source)
        finally:
            self._flush()

    def _read_corked(self, source: bytes | bytearray) -> int:
        pos = 0
        end = len(source)
        with memoryview(source) as view:
            while end - pos >= 4 and self._transport is not None:
                (size,) = SIZE.unpack_from(view, pos)
                stop = pos + 4 + size
                if stop > end:
                    break
                if size < HEAD.size - 4:
                    self._fail(f"a frame of {size} bytes is too short")
                    break
                _, channel, kind = HEAD.unpack_from(view, pos)
                self._frame(flip(channel), kind, view[pos + HEAD.size : stop])
                pos = stop
        return pos

    def _frame(self, key: int, kind: int, body: memoryview) -> None:
        if kind == CLOSE:
            port = self._ports.pop(key, None)
            if port is not None:
                port.peer_closed()
                self._close_if_idle()
            return
        ports: list[VirtualPort] = []
        if kind == PORTS:
            try:
                ids, body = read_port_table(body)
            except struct.error:
                self._fail("a port table runs past the end of its frame")
                return
            for channel in ids:
                port = self._adopt(flip(channel))
                if port is None:
                    return
                ports.append(port)
        elif kind != MESSAGE:
            self._fail(f"unknown frame kind {kind}")
            return
        try:
            data = binary.decode(body, ports)
        except binary.DecodeError as error:
            self._fail(str(error))
            return
        target = self._ports.get(key)
        if target is None:
            for port in ports:  # sent to a port that is gone: nobody will ever use these
                port.close()
        else:
            target.receive(data, self._loop)  # on the connection's loop: now if the port runs there

    def _adopt(self, key: int) -> VirtualPort | None:
        """The local end of a channel that arrived in a message."""
        if not key & OPENED_BY_PEER or key in self._ports:
            self._fail(f"the peer sent channel {key:#x}, which it did not open or already sent")
            return None
        port = VirtualPort(self, key)
        self._ports[key] = port
        return port

    def _fail(self, problem: str) -> None:
        log.error("closing the connection: the peer sent a malformed frame: %s", problem)
        transport, self._transport = self._transport, None  # read no further
        if transport is not None:
            transport.abort()

    # -- frames out -----------------------------------------------------------------------------

    def _send(self, key: int, message: Any, transfer: Sequence[Any]) -> None:
        if self._transport is None:
            return  # the peer is gone; this port's close listeners have been told
        frame = bytearray(HEAD.size)
        ports = binary.encode_into(frame, message, transfer)  # refusals raise in the caller's thread
        self._on_loop(self._post, key, frame, ports)

    def _post(self, key: int, frame: bytearray, ports: list[Any]) -> None:
        kind = MESSAGE
        after: list[tuple[int, Any]] = []
        if ports:
            kind = PORTS
            ids = [self._export(port, after) for port in ports]
            frame[HEAD.size : HEAD.size] = port_table(ids)
        HEAD.pack_into(frame, 0, len(frame) - 4, key, kind)
        self._write(frame)
        for channel, item in after:
            if item is PEER_CLOSED:
                self._write(close_frame(channel))
            else:
                self._send(channel, item, _ports_in(item))

    def _export(self, endpoint: Any, after: list[tuple[int, Any]]) -> int:
        """Hand ``endpoint`` to the peer; returns its channel id. What must follow the message
        (messages queued for a handed-over port, or its close) is added to ``after``."""
        key = self._next
        if key >= OPENED_BY_PEER:
            raise ConnectionError("this connection has opened all the channels it can")
        self._next += 1
        if isinstance(endpoint, VirtualPort) and endpoint._connection is self and endpoint._key is None:
            twin, backlog = endpoint._hand_over(key)
            after.extend((key, item) for item in backlog if item is not PEER_CLOSED)
            if twin is None:
                after.append((key, PEER_CLOSED))
            else:
                self._ports[key] = twin
        elif getattr(endpoint, "closed", False) is True:
            after.append((key, PEER_CLOSED))
        else:
            # A port from elsewhere (an in-memory channel, another connection, or one that came
            # from this peer): a relay port here passes its messages both ways.
            relay = VirtualPort(self, key)
            self._ports[key] = relay
            _bridge(relay, endpoint)
        return key

    def _drop(self, key: int) -> None:
        if threading.get_ident() != self._thread:
            self._on_loop(self._drop, key)
        elif self._ports.pop(key, None) is not None and self._transport is not None:
            self._write(close_frame(key))
            self._close_if_idle()

    def _close_if_idle(self) -> None:
        if not self._ports:
            self.close()

    def _on_loop(self, fn: Callable[..., None], *args: Any) -> None:
        """Run ``fn`` on the connection's loop, which owns the port table and the transport."""
        if threading.get_ident() == self._thread:
            fn(*args)
        else:
            self._loop.call_soon_threadsafe(fn, *args)

    def _write(self, frame: bytes | bytearray) -> None:
        transport = self._transport
        if transport is None:
            return
        if self._corked is not None:
            self._corked.append(frame)
        else:
            transport.write(frame)

    def _flush(self) -> None:
        corked, self._corked = self._corked, None
        if corked and self._transport is not None:
            self._transport.write(corked[0] if len(corked) == 1 else b"".join(corked))


def _ports_in(value: Any) -> list[Any]:
    """The endpoints inside a delivered message: what must be transferred to post it on."""
    found: list[Any] = []
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in CLONE_ATOMS or id(item) in seen:
            continue
        seen.add(id(item))
        if kind is list:
            stack.extend(item)
        elif kind is dict:
            stack.extend(item.values())
        elif kind is not bytearray and is_transferable(item):
            found.append(item)
    return found


def _bridge(a: Endpoint, b: Endpoint) -> None:
    """Pass messages both ways between two endpoints, and a close on either to the other."""
    for source, target in ((a, b), (b, a)):

        def forward(event: MessageEvent, target: Endpoint = target) -> None:
            target.post_message(event.data, _ports_in(event.data))

        source.add_listener(forward)
        add_close_listener = getattr(source, "add_close_listener", None)
        if add_close_listener is not None:
            add_close_listener(lambda target=target: close(target))
        start(source)


async def connect(sock: socket.socket) -> Connection:
    """Run a ``Connection`` over a connected stream socket on the running loop."""
    connection = Connection()
    await asyncio.get_running_loop().create_connection(lambda: connection, sock=sock)
    return connection
