"""The frames of a process link (``frames.py``) over a blocking socket, for a thread with no event
loop: a ``SyncConnection`` reads the socket only while one of its ports ``wait``s, and delivers
every whole frame to its port's listeners on that thread. Frames for channels this side opened
(``proxy()`` callbacks) are delivered while it reads, so a callback the peer calls before it
answers is served by the waiting call. ``comlink_py.blocking_process`` runs it.
"""

from __future__ import annotations

import logging
import socket
import struct
from collections.abc import Callable, Sequence
from typing import Any

from ..protocol.endpoint import Endpoint, Listener, MessageEvent, call_each
from . import binary, frames
from .clone import DataCloneError

__all__ = ["SyncConnection", "SyncPort"]

log = logging.getLogger("comlink_py")

_READ_SIZE = 1 << 20
_TIMEVAL = struct.Struct("@ll")


class SyncPort:
    """One channel of a ``SyncConnection``; a ``WaitingEndpoint``. The far end of a pair that
    ``new_channel`` made only stands for its channel in a transfer list."""

    def __init__(self, connection: SyncConnection, key: int) -> None:
        self._connection = connection
        self.key = key
        self._listeners: tuple[Listener, ...] = ()
        self._close_listeners: list[Callable[[], None]] = []
        self.closed = False

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        if self.closed:
            raise ConnectionError("cannot post on a closed port")
        self._connection._send(self.key, message, transfer)

    def add_listener(self, listener: Listener) -> None:
        self._listeners += (listener,)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners = tuple(known for known in self._listeners if known is not listener)

    def add_close_listener(self, callback: Callable[[], None]) -> None:
        if self.closed:
            callback()
        else:
            self._close_listeners.append(callback)

    def wait(self, timeout: float) -> None:
        self._connection.wait(timeout)

    def adopt(self, endpoint: Endpoint) -> SyncPort:
        if not isinstance(endpoint, SyncPort) or endpoint._connection is not self._connection:
            raise TypeError(f"{type(endpoint).__name__} did not arrive over this connection")
        return endpoint

    def new_channel(self) -> tuple[SyncPort, SyncPort]:
        return self._connection.new_channel()

    def close(self) -> None:
        if not self.closed:
            self._connection._drop(self.key)
            self._shut()

    def _shut(self) -> None:
        self.closed = True
        callbacks, self._close_listeners = self._close_listeners, []
        call_each(callbacks)


class SyncConnection:
    """The process link's channels over one blocking stream socket; ``port`` is channel 0."""

    def __init__(self, sock: socket.socket) -> None:
        sock.setblocking(True)
        self._sock: socket.socket | None = sock
        self._buffer = bytearray()
        # What reads go into: recv(1 MiB) mapped a new 1 MiB buffer for every read (measured: 22 µs
        # a read against 3 µs; the client's CPU per process round trip went from 90-104 to 47-64 µs).
        self._chunk = bytearray(_READ_SIZE)
        self._need = 4  # bytes the buffer must hold before a whole frame can be in it
        self._timeout = -1.0  # the receive timeout set on the socket
        self._next = 1
        self.port = SyncPort(self, 0)
        self._ports: dict[int, SyncPort] = {0: self.port}
        self._far: dict[int, SyncPort] = {}  # ends that new_channel made for the peer, not sent yet

    @property
    def closed(self) -> bool:
        return self._sock is None

    @property
    def socket(self) -> socket.socket | None:
        """The socket, until the connection closes (an event loop may watch it for reading)."""
        return self._sock

    def new_channel(self) -> tuple[SyncPort, SyncPort]:
        key = self._next
        if key >= frames.OPENED_BY_PEER:
            raise ConnectionError("this connection has opened all the channels it can")
        self._next += 1
        near, far = SyncPort(self, key), SyncPort(self, key)
        self._ports[key] = near
        self._far[id(far)] = far
        return near, far

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()
        ports = list(self._ports.values())
        self._ports.clear()
        for port in ports:
            port._shut()

    # -- out --------------------------------------------------------------------------------------

    def _send(self, key: int, message: Any, transfer: Sequence[Any]) -> None:
        frame = bytearray(frames.HEAD.size)
        ports = binary.encode_into(frame, message, transfer)
        kind = frames.MESSAGE
        if ports:
            kind = frames.PORTS
            ids = [self._export(port) for port in ports]
            frame[frames.HEAD.size : frames.HEAD.size] = frames.port_table(ids)
        frames.HEAD.pack_into(frame, 0, len(frame) - 4, key, kind)
        self._write(frame)

    def _export(self, port: Any) -> int:
        if self._far.pop(id(port), None) is None:
            raise DataCloneError("only the far end of a channel this connection opened can be sent over it")
        key: int = port.key
        return key

    def _drop(self, key: int) -> None:
        if self._ports.pop(key, None) is not None:
            self._write(frames.close_frame(key))

    def _write(self, frame: bytes | bytearray) -> None:
        sock = self._sock
        if sock is None:
            return  # the peer is gone; the ports' close listeners have been told
        try:
            sock.sendall(frame)
        except OSError:
            self.close()

    # -- in ---------------------------------------------------------------------------------------

    def wait(self, timeout: float) -> None:
        """Read what arrives within ``timeout`` seconds and deliver every whole frame."""
        sock = self._sock
        if sock is None:
            return
        if timeout != self._timeout:
            # The kernel bounds a blocking recv (SO_RCVTIMEO): one system call per read, where a
            # select() before it, or a socket timeout (a poll()), costs a second.
            self._timeout = timeout
            seconds, fraction = divmod(max(timeout, 1e-6), 1)
            sock.setsockopt(
                socket.SOL_SOCKET, socket.SO_RCVTIMEO, _TIMEVAL.pack(int(seconds), int(fraction * 1e6))
            )
        try:
            size = sock.recv_into(self._chunk)
        except (BlockingIOError, InterruptedError):
            return  # nothing within the timeout
        except OSError:
            size = 0
        if not size:
            self.close()
            return
        buffer = self._buffer
        with memoryview(self._chunk) as chunk:
            buffer += chunk[:size]
        if len(buffer) >= self._need:
            used = self._frames(buffer)
            if used:
                # A fresh buffer: views of the old one may still be alive (in a logged traceback).
                self._buffer = bytearray(memoryview(buffer)[used:])

    def _frames(self, source: bytearray) -> int:
        pos = 0
        end = len(source)
        self._need = 4
        with memoryview(source) as view:
            while end - pos >= 4:
                (size,) = frames.SIZE.unpack_from(view, pos)
                stop = pos + 4 + size
                if stop > end:
                    self._need = stop - pos  # a large frame is not parsed again for every read
                    break
                if size < frames.HEAD.size - 4:
                    log.error("closing the connection: the peer sent a frame of %d bytes", size)
                    self.close()
                    break
                _, channel, kind = frames.HEAD.unpack_from(view, pos)
                self._frame(frames.flip(channel), kind, view[pos + frames.HEAD.size : stop])
                pos = stop
                if self._sock is None:
                    break
        return pos

    def _frame(self, key: int, kind: int, body: memoryview) -> None:
        try:
            self._read_frame(key, kind, body)
        except (struct.error, binary.DecodeError, ValueError) as error:
            # As connection.Connection does: a peer that sends garbage is cut off, so every pending
            # call fails with ConnectionClosedError instead of waiting for an answer.
            log.error("closing the connection: the peer sent a malformed frame: %s", error)
            self.close()

    def _read_frame(self, key: int, kind: int, body: memoryview) -> None:
        if kind == frames.CLOSE:
            port = self._ports.pop(key, None)
            if port is not None:
                port._shut()
            return
        ports: list[SyncPort] = []
        if kind == frames.PORTS:
            channels, body = frames.read_port_table(body)
            for channel in channels:
                port = SyncPort(self, frames.flip(channel))
                self._ports[port.key] = port
                ports.append(port)
        elif kind != frames.MESSAGE:
            raise ValueError(f"unknown frame kind {kind}")
        data = binary.decode(body, ports)
        target = self._ports.get(key)
        if target is not None:
            call_each(target._listeners, MessageEvent(data))
