"""A blocking client for ``comlink_py.process`` workers, for scripts that do not use asyncio.

It speaks the process link's frames (see ``comlink_py.process``) over a blocking socket: a call
writes its frame and reads the socket until the answer is there, with no event loop on this side.
Frames for channels this side opened (``proxy()`` callbacks) are delivered to them while it reads,
so a callback the worker calls before answering is served by the waiting call.

    remote, worker = spawn_sync("package.module:obj")
    with worker:
        remote.method(1, 2)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import struct
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any

from .aio import expose
from .blocking import SLICE, SyncRemote, wrap_sync
from .process import _HELLO, WorkerError, _child_env, load_target
from .protocol.endpoint import Endpoint, Listener, MessageEvent, call_each
from .transport import binary
from .transport.clone import DataCloneError
from .transport.connection import _CLOSE_FRAME, _HEAD, _MESSAGE, _OPENED_BY_PEER, _PORTS, _SIZE, _flip

__all__ = ["SyncConnection", "SyncPort", "SyncWorker", "serve_blocking", "spawn_sync"]

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
        self._need = 4  # bytes the buffer must hold before a whole frame can be in it
        self._timeout = -1.0  # the receive timeout set on the socket
        self._next = 1
        self.port = SyncPort(self, 0)
        self._ports: dict[int, SyncPort] = {0: self.port}
        self._far: dict[int, SyncPort] = {}  # ends that new_channel made for the peer, not sent yet

    @property
    def closed(self) -> bool:
        return self._sock is None

    def new_channel(self) -> tuple[SyncPort, SyncPort]:
        key = self._next
        if key >= _OPENED_BY_PEER:
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
        frame = bytearray(_HEAD.size)
        ports = binary.encode_into(frame, message, transfer)
        kind = _MESSAGE
        if ports:
            kind = _PORTS
            ids = [self._export(port) for port in ports]
            frame[_HEAD.size : _HEAD.size] = struct.pack(f"<I{len(ids)}I", len(ids), *ids)
        _HEAD.pack_into(frame, 0, len(frame) - 4, key, kind)
        self._write(frame)

    def _export(self, port: Any) -> int:
        if self._far.pop(id(port), None) is None:
            raise DataCloneError("only the far end of a channel this connection opened can be sent over it")
        key: int = port.key
        return key

    def _drop(self, key: int) -> None:
        if self._ports.pop(key, None) is not None:
            self._write(_HEAD.pack(_HEAD.size - 4, key, _CLOSE_FRAME))

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
            data = sock.recv(_READ_SIZE)
        except (BlockingIOError, InterruptedError):
            return  # nothing within the timeout
        except OSError:
            data = b""
        if not data:
            self.close()
            return
        buffer = self._buffer
        buffer += data
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
                (size,) = _SIZE.unpack_from(view, pos)
                stop = pos + 4 + size
                if stop > end:
                    self._need = stop - pos  # a large frame is not parsed again for every read
                    break
                if size < _HEAD.size - 4:
                    log.error("closing the connection: the peer sent a frame of %d bytes", size)
                    self.close()
                    break
                _, channel, kind = _HEAD.unpack_from(view, pos)
                self._frame(_flip(channel), kind, view[pos + _HEAD.size : stop])
                pos = stop
                if self._sock is None:
                    break
        return pos

    def _frame(self, key: int, kind: int, body: memoryview) -> None:
        try:
            self._read_frame(key, kind, body)
        except (struct.error, binary.DecodeError, ValueError) as error:
            # As process.Connection does: a peer that sends garbage is cut off, so every pending
            # call fails with ConnectionClosedError instead of waiting for an answer.
            log.error("closing the connection: the peer sent a malformed frame: %s", error)
            self.close()

    def _read_frame(self, key: int, kind: int, body: memoryview) -> None:
        if kind == _CLOSE_FRAME:
            port = self._ports.pop(key, None)
            if port is not None:
                port._shut()
            return
        ports: list[SyncPort] = []
        if kind == _PORTS:
            (count,) = _SIZE.unpack_from(body, 0)
            for channel in struct.unpack_from(f"<{count}I", body, 4):
                port = SyncPort(self, _flip(channel))
                self._ports[port.key] = port
                ports.append(port)
            body = body[4 + 4 * count :]
        elif kind != _MESSAGE:
            raise ValueError(f"unknown frame kind {kind}")
        data = binary.decode(body, ports)
        target = self._ports.get(key)
        if target is not None:
            call_each(target._listeners, MessageEvent(data))


class SyncWorker:
    """The child process of ``spawn_sync``; ``close()`` (or leaving ``with``) ends and reaps it."""

    def __init__(self, process: subprocess.Popen[bytes], connection: SyncConnection) -> None:
        self.process = process
        self.connection = connection

    @property
    def pid(self) -> int:
        return self.process.pid

    def close(self, timeout: float = 5.0) -> int:
        """Close the connection, which makes the worker exit; kill it if it has not after
        ``timeout`` seconds. Returns the exit code."""
        self.connection.close()
        return _reap(self.process, timeout)

    def __enter__(self) -> SyncWorker:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def spawn_sync(
    target: str,
    *,
    python: str | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
    call_timeout: float | None = None,
) -> tuple[SyncRemote[Any], SyncWorker]:
    """``process.spawn`` for code without an event loop: start ``python -m comlink_py.worker
    target`` and return a ``SyncRemote`` for what it exposes (calls time out after
    ``call_timeout`` seconds), and the ``SyncWorker``. ``WorkerError`` says why a child did not start.
    """
    parent, child = socket.socketpair()
    with child:  # the child process inherits it; this one has no use for it after the start
        try:
            process = subprocess.Popen(
                [python or sys.executable, "-m", __name__, target, "--fd", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                env=_child_env(env, python is None),
                cwd=cwd,
            )
        except BaseException:
            parent.close()
            raise
    connection = SyncConnection(parent)
    try:
        _greeting(connection, timeout)
    except WorkerError as error:
        connection.close()
        raise WorkerError(f"{error} (exit code {_reap(process, 5.0)})") from None
    except BaseException:
        connection.close()
        _reap(process, 0.0)
        raise
    return wrap_sync(connection.port, timeout=call_timeout), SyncWorker(process, connection)


def _reap(process: subprocess.Popen[bytes], grace: float) -> int:
    """Wait ``grace`` seconds for the process to exit, then kill it; it is reaped either way."""
    try:
        return process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()


def _greeting(connection: SyncConnection, timeout: float) -> None:
    """Wait for the worker's one message before it serves."""
    said: list[Any] = []
    port = connection.port
    port.add_listener(lambda event: said.append(event.data))
    deadline = time.monotonic() + timeout
    while not said:
        if connection.closed:
            raise WorkerError("the worker closed the connection before it was ready")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WorkerError(f"the worker did not start within {timeout} s")
        connection.wait(remaining)
    port._listeners = ()
    data = said[0]
    if isinstance(data, dict) and data.get(_HELLO) == "ready":
        return
    if isinstance(data, dict) and data.get(_HELLO) == "failed":
        raise WorkerError(f"the worker failed to start:\n{data.get('error')}")
    raise WorkerError(f"the worker did not say it is ready; it sent {data!r}")


# ----------------------------------------------------------------------------------------------
# the serving side: a worker that reads its socket blocking, as long as no call is awaiting


def serve_blocking(obj: Any, sock: socket.socket) -> None:
    """Expose ``obj`` to the process at the other end of ``sock`` until the connection closes.

    A call whose result is at hand is answered straight from the blocking read, with no event loop
    in between; one whose result is awaitable runs on an event loop, which then reads the socket
    too (a callback's answer, more calls) until no task is left.
    """
    connection = SyncConnection(sock)
    connection.port.post_message({_HELLO: "ready"})
    loop = asyncio.new_event_loop()
    made: list[asyncio.Task[Any]] = []  # tasks made since the loop last ran (cheaper than all_tasks)

    def task_factory(loop: asyncio.AbstractEventLoop, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        task = asyncio.Task(coro, loop=loop, **kwargs)
        made.append(task)
        return task

    loop.set_task_factory(task_factory)
    expose(obj, connection.port)
    try:
        while not connection.closed:
            asyncio._set_running_loop(loop)  # where expose makes tasks of awaitable results
            try:
                connection.wait(SLICE)
            finally:
                asyncio._set_running_loop(None)
            if made:
                made.clear()
                loop.run_until_complete(_tasks_done(loop, connection))
    finally:
        loop.close()


async def _tasks_done(loop: asyncio.AbstractEventLoop, connection: SyncConnection) -> None:
    sock = connection._sock
    if sock is None:
        return
    loop.add_reader(sock, connection.wait, 0.0)
    try:
        while tasks := asyncio.all_tasks(loop) - {asyncio.current_task(loop)}:
            await asyncio.wait(tasks)
            if connection.closed:
                return
    finally:
        if connection._sock is not None:
            loop.remove_reader(sock)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m comlink_py.blocking_process module:object --fd N``: the child ``spawn_sync`` starts."""
    parser = argparse.ArgumentParser(prog="python -m comlink_py.blocking_process", description=main.__doc__)
    parser.add_argument("target", help="the object to expose, as 'package.module:name'")
    parser.add_argument("--fd", type=int, required=True, help="a connected stream socket's file descriptor")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    try:
        obj = load_target(args.target)
    except Exception as error:
        report = "".join(traceback.format_exception(error))
        connection = SyncConnection(sock)
        connection.port.post_message({_HELLO: "failed", "error": report})
        connection.close()
        return 1
    serve_blocking(obj, sock)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
