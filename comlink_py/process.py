"""Comlink between CPython processes: virtual ports multiplexed over one socket, and worker processes.

A ``Connection`` carries frames over one connected stream socket (the end of a ``socketpair`` that a
child inherited, or any other). Every frame is addressed to a virtual port, so ``proxy()`` and
``create_endpoint`` open new ports over the same connection, as MessagePorts ride one postMessage
link in a browser. Values travel in the binary codec (``binary.py``), never pickled.

Frame: ``<u32 size of the rest> <u32 channel> <u8 kind>`` and a body. ``MESSAGE``: an encoded value.
``PORTS``: ``<u32 n>``, n channel ids, then an encoded value whose ports are those channels.
``CLOSE``: no body; the channel is gone. Each side numbers the channels it opens from 1 and the
receiver flips the top bit, so ids never collide without a handshake; channel 0 is the main port.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import socket
import struct
import sys
import threading
import traceback
from collections.abc import Callable, Generator, Sequence
from types import TracebackType
from typing import Any, Final

from .aio import Remote, expose, wrap
from .protocol.endpoint import Endpoint, MessageEvent, close, start
from .transport import binary
from .transport.channel import _CLOSE, MessagePort
from .transport.clone import CLONE_ATOMS, is_transferable

__all__ = [
    "Connection",
    "VirtualPort",
    "Worker",
    "WorkerError",
    "attach",
    "connect",
    "load_target",
    "serve",
    "serve_target",
    "spawn",
]

log = logging.getLogger("comlink_py")

_SIZE: Final = struct.Struct("<I")
_HEAD: Final = struct.Struct("<IIB")  # size of the rest, channel, kind
_MESSAGE, _PORTS, _CLOSE_FRAME = 0, 1, 2
_OPENED_BY_PEER: Final = 1 << 31


def _flip(channel: int) -> int:
    """A channel id as the other side names it (the main port is 0 on both sides)."""
    return channel ^ _OPENED_BY_PEER if channel else 0


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
            self._shut()
            self._connection._drop(key)

    def new_channel(self) -> tuple[VirtualPort, VirtualPort]:
        return self._connection.new_channel()

    def _arrive(self, data: Any) -> None:
        # Called on the connection's loop: deliver in this turn when this port runs there too.
        if self._loop is self._connection._loop:
            self._deliver(data)
        else:
            self._enqueue(data)

    def _hand_over(self, key: int) -> tuple[VirtualPort | None, list[Any]]:
        """This end goes to the peer: it is neutered here, its twin now talks over channel ``key``,
        and what was queued for this end goes along."""
        with self._lock:
            backlog = list(self._queue)
            self._queue.clear()
            self.closed = True
        twin, self._peer = self._peer, None
        if isinstance(twin, VirtualPort):
            twin._peer = None
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
        a._peer, b._peer = b, a
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
            port._peer_closed()
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
                (size,) = _SIZE.unpack_from(view, pos)
                stop = pos + 4 + size
                if stop > end:
                    break
                if size < _HEAD.size - 4:
                    self._fail(f"a frame of {size} bytes is too short")
                    break
                _, channel, kind = _HEAD.unpack_from(view, pos)
                self._frame(_flip(channel), kind, view[pos + _HEAD.size : stop])
                pos = stop
        return pos

    def _frame(self, key: int, kind: int, body: memoryview) -> None:
        if kind == _CLOSE_FRAME:
            port = self._ports.pop(key, None)
            if port is not None:
                port._peer_closed()
                self._close_if_idle()
            return
        ports: list[VirtualPort] = []
        if kind == _PORTS:
            try:
                (count,) = _SIZE.unpack_from(body, 0)
                ids = struct.unpack_from(f"<{count}I", body, 4)
            except struct.error:
                self._fail("a port table runs past the end of its frame")
                return
            body = body[4 + 4 * count :]
            for channel in ids:
                port = self._adopt(_flip(channel))
                if port is None:
                    return
                ports.append(port)
        elif kind != _MESSAGE:
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
            target._arrive(data)

    def _adopt(self, key: int) -> VirtualPort | None:
        """The local end of a channel that arrived in a message."""
        if not key & _OPENED_BY_PEER or key in self._ports:
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
        frame = bytearray(_HEAD.size)
        ports = binary.encode_into(frame, message, transfer)  # refusals raise in the caller's thread
        self._on_loop(self._post, key, frame, ports)

    def _post(self, key: int, frame: bytearray, ports: list[Any]) -> None:
        kind = _MESSAGE
        after: list[tuple[int, Any]] = []
        if ports:
            kind = _PORTS
            ids = [self._export(port, after) for port in ports]
            frame[_HEAD.size : _HEAD.size] = struct.pack(f"<I{len(ids)}I", len(ids), *ids)
        _HEAD.pack_into(frame, 0, len(frame) - 4, key, kind)
        self._write(frame)
        for channel, item in after:
            if item is _CLOSE:
                self._write(_HEAD.pack(_HEAD.size - 4, channel, _CLOSE_FRAME))
            else:
                self._send(channel, item, _ports_in(item))

    def _export(self, endpoint: Any, after: list[tuple[int, Any]]) -> int:
        """Hand ``endpoint`` to the peer; returns its channel id. What must follow the message
        (messages queued for a handed-over port, or its close) is added to ``after``."""
        key = self._next
        if key >= _OPENED_BY_PEER:
            raise ConnectionError("this connection has opened all the channels it can")
        self._next += 1
        if isinstance(endpoint, VirtualPort) and endpoint._connection is self and endpoint._key is None:
            twin, backlog = endpoint._hand_over(key)
            after.extend((key, item) for item in backlog if item is not _CLOSE)
            if twin is None:
                after.append((key, _CLOSE))
            else:
                self._ports[key] = twin
        elif getattr(endpoint, "closed", False) is True:
            after.append((key, _CLOSE))
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
            self._write(_HEAD.pack(_HEAD.size - 4, key, _CLOSE_FRAME))
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


# ----------------------------------------------------------------------------------------------
# workers: a child process that exposes one object on its connection's main port

_HELLO: Final = "comlink_py.worker"  # the key of the one message a worker sends before serving


class WorkerError(RuntimeError):
    """A worker process could not start serving (its target failed to load, it died, or it hung)."""


def load_target(spec: str) -> Any:
    """Import ``"package.module:name.attr"`` and return that object."""
    module_name, sep, qualname = spec.partition(":")
    if not sep or not module_name or not qualname:
        raise ValueError(f"a worker target looks like 'module:object', got {spec!r}")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


async def serve(obj: Any, sock: socket.socket) -> None:
    """Expose ``obj`` to the process at the other end of ``sock`` until the connection closes
    (the child side of ``attach``: use it in a ``multiprocessing`` target)."""
    await _serve_on(await connect(sock), obj)


async def serve_target(spec: str, sock: socket.socket) -> None:
    """``serve`` the object ``spec`` names; a failure to load it is reported to the parent too."""
    connection = await connect(sock)
    try:
        obj = load_target(spec)
    except Exception as error:
        report = "".join(traceback.format_exception(error))
        connection.port.post_message({_HELLO: "failed", "error": report})
        connection.close()
        await connection.wait_closed()
        raise
    await _serve_on(connection, obj)


async def _serve_on(connection: Connection, obj: Any) -> None:
    connection.port.post_message({_HELLO: "ready"})
    expose(obj, connection.port)
    await connection.wait_closed()


async def attach(sock: socket.socket, *, timeout: float = 30.0) -> tuple[Remote[Any], Connection]:
    """The parent side of ``serve``: wait until the child is ready, then wrap what it exposes."""
    connection = await connect(sock)
    try:
        await asyncio.wait_for(_greeting(connection.port), timeout)
    except TimeoutError as error:
        connection.close()
        raise WorkerError(f"the worker did not start within {timeout} s") from error
    except BaseException:
        connection.close()
        raise
    return wrap(connection.port), connection


async def _greeting(port: VirtualPort) -> None:
    ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def on_message(event: MessageEvent) -> None:
        data = event.data
        if ready.done():
            return
        if isinstance(data, dict) and data.get(_HELLO) == "ready":
            ready.set_result(None)
        elif isinstance(data, dict) and data.get(_HELLO) == "failed":
            ready.set_exception(WorkerError(f"the worker failed to start:\n{data.get('error')}"))
        else:
            ready.set_exception(WorkerError(f"the worker did not say it is ready; it sent {data!r}"))

    def on_close() -> None:
        if not ready.done():
            ready.set_exception(WorkerError("the worker closed the connection before it was ready"))

    port.add_listener(on_message)
    port.add_close_listener(on_close)
    port.start()
    try:
        await ready
    finally:
        port.remove_listener(on_message)


class Worker:
    """A child process serving one object. ``close()`` (or leaving ``async with``) ends and reaps it;
    if it dies on its own, every pending call fails with ``ConnectionClosedError``."""

    def __init__(self, process: asyncio.subprocess.Process, connection: Connection) -> None:
        self.process = process
        self.connection = connection
        self._closing = False
        self._watch = asyncio.ensure_future(self._watch_exit())

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def returncode(self) -> int | None:
        return self.process.returncode

    async def _watch_exit(self) -> int:
        code = await self.process.wait()
        if code and not self._closing:  # 0 is a worker that let go after its object was released
            log.warning("worker process %d exited with code %s", self.pid, code)
        self.connection.close()  # in case a grandchild keeps the socket open
        return code

    async def wait(self) -> int:
        """Wait for the process to exit; returns its exit code."""
        return await asyncio.shield(self._watch)

    def kill(self) -> None:
        """End the process now (SIGKILL); pending calls fail once it is gone."""
        self._closing = True
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()

    async def close(self, timeout: float = 5.0) -> int:
        """Close the connection, which makes the worker exit; kill it if it has not after
        ``timeout`` seconds. Returns the exit code; the process is reaped either way."""
        self._closing = True
        self.connection.close()
        try:
            return await asyncio.wait_for(self.wait(), timeout)
        except TimeoutError:
            self.kill()
            return await self.wait()

    async def __aenter__(self) -> Worker:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


class _Spawn:
    """What ``spawn`` returns: await it for ``(remote, worker)``, or use ``async with`` for the remote
    alone (the worker is closed on exit)."""

    def __init__(
        self, target: str, python: str | None, env: dict[str, str] | None, cwd: str | None, timeout: float
    ) -> None:
        self._args = (target, python, env, cwd, timeout)
        self._worker: Worker | None = None

    def __await__(self) -> Generator[Any, None, tuple[Remote[Any], Worker]]:
        return _spawn(*self._args).__await__()

    async def __aenter__(self) -> Remote[Any]:
        remote, self._worker = await _spawn(*self._args)
        return remote

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._worker is not None:
            await self._worker.close()


def spawn(
    target: str,
    *,
    python: str | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
) -> _Spawn:
    """Start ``python -m comlink_py.worker target`` in a child process and wrap what it exposes.

    ``remote, worker = await spawn("pkg.mod:obj")`` or ``async with spawn("pkg.mod:obj") as remote``.
    The child inherits one end of a socket pair (POSIX). With the default interpreter it also gets
    this process's ``sys.path``, so it can import what the parent can. ``WorkerError`` says why a
    child did not start.
    """
    return _Spawn(target, python, env, cwd, timeout)


async def _spawn(
    target: str, python: str | None, env: dict[str, str] | None, cwd: str | None, timeout: float
) -> tuple[Remote[Any], Worker]:
    parent, child = socket.socketpair()
    try:
        process = await asyncio.create_subprocess_exec(
            python or sys.executable,
            "-m",
            "comlink_py.worker",
            target,
            "--fd",
            str(child.fileno()),
            pass_fds=(child.fileno(),),
            stdin=asyncio.subprocess.DEVNULL,
            env=_child_env(env, python is None),
            cwd=cwd,
        )
    except BaseException:
        parent.close()
        raise
    finally:
        child.close()
    try:
        remote, connection = await attach(parent, timeout=timeout)
    except WorkerError as error:
        # A worker that gave up is on its way out; one that hung is not.
        hung = isinstance(error.__cause__, TimeoutError)
        code = await _reap(process, 0.0 if hung else 5.0)
        raise WorkerError(f"{error} (exit code {code})") from None
    except BaseException:
        await _reap(process, 0.0)
        raise
    return remote, Worker(process, connection)


async def _reap(process: asyncio.subprocess.Process, grace: float) -> int:
    """Wait ``grace`` seconds for the process to exit, then kill it; it is reaped either way."""
    with contextlib.suppress(TimeoutError):
        return await asyncio.wait_for(process.wait(), grace)
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    return await process.wait()


def _child_env(env: dict[str, str] | None, same_python: bool) -> dict[str, str]:
    result = dict(os.environ if env is None else env)
    if same_python:
        paths = [os.path.abspath(p) for p in sys.path]
        if result.get("PYTHONPATH"):
            paths.append(result["PYTHONPATH"])
        result["PYTHONPATH"] = os.pathsep.join(paths)
    return result
