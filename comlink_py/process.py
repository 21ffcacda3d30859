"""Comlink between CPython processes: worker processes that serve one object over a ``Connection``
(``comlink_py.transport.connection``: virtual ports multiplexed over one socket, which this module
re-exports).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import os
import signal
import socket
import sys
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, Generator, Sequence
from functools import partial
from types import TracebackType
from typing import Any, Final, Generic, TypeVar, cast, overload

from .aio import ConnectionClosedError, Remote, _Link, _link_of, expose, wrap
from .protocol import wire
from .protocol.endpoint import MessageEvent
from .transport.connection import Connection, VirtualPort, connect

__all__ = [
    "Connection",
    "Pool",
    "VirtualPort",
    "Worker",
    "WorkerError",
    "attach",
    "connect",
    "load_target",
    "serve",
    "serve_target",
    "spawn",
    "spawn_pool",
]

log = logging.getLogger("comlink_py")
T = TypeVar("T")


# ----------------------------------------------------------------------------------------------
# workers: a child process that exposes one object on its connection's main port

#: The key of the one message a worker sends before serving (``comlink_py.blocking_process`` too).
HELLO: Final = "comlink_py.worker"


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
        connection.port.post_message({HELLO: "failed", "error": report})
        connection.close()
        await connection.wait_closed()
        raise
    await _serve_on(connection, obj)


async def _serve_on(connection: Connection, obj: Any) -> None:
    connection.port.post_message({HELLO: "ready"})
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
        if isinstance(data, dict) and data.get(HELLO) == "ready":
            ready.set_result(None)
        elif isinstance(data, dict) and data.get(HELLO) == "failed":
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


class _Spawn(Generic[T]):
    """What ``spawn`` returns: await it for ``(remote, worker)``, or use ``async with`` for the remote
    alone (the worker is closed on exit)."""

    def __init__(
        self, target: str, python: str | None, env: dict[str, str] | None, cwd: str | None, timeout: float
    ) -> None:
        self._args = (target, python, env, cwd, timeout)
        self._worker: Worker | None = None

    def __await__(self) -> Generator[Any, None, tuple[Remote[T], Worker]]:
        return _spawn(*self._args).__await__()

    async def __aenter__(self) -> Remote[T]:
        remote, self._worker = await _spawn(*self._args)
        return remote

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._worker is not None:
            await self._worker.close()


@overload
def spawn(
    target: str,
    interface: None = None,
    *,
    python: str | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
) -> _Spawn[Any]: ...
@overload
def spawn(
    target: str,
    interface: Callable[..., T],
    *,
    python: str | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
) -> _Spawn[T]: ...
def spawn(
    target: str,
    interface: Callable[..., Any] | None = None,
    *,
    python: str | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
) -> _Spawn[Any]:
    """Start ``python -m comlink_py.worker target`` in a child process and wrap what it exposes.

    ``remote, worker = await spawn("pkg.mod:obj")`` or ``async with spawn("pkg.mod:obj") as remote``,
    in async code: the remote belongs to the running event loop. ``interface`` is for type checkers,
    as in ``wrap``: ``spawn(target, Api)`` gives a ``Remote[Api]``. The child inherits one end of a
    socket pair (POSIX). With the default interpreter it also gets this process's ``sys.path``, so
    it can import what the parent can. ``WorkerError`` says why a child did not start.
    """
    _check_async_code("'async with spawn(target) as remote:' or 'remote, worker = await spawn(target)'")
    return _Spawn(target, python, env, cwd, timeout)


def _check_async_code(forms: str) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        name = forms.partition("(")[0].rpartition(" ")[2]
        raise RuntimeError(NOT_IN_ASYNC_CODE.format(name=name, forms=forms)) from None


NOT_IN_ASYNC_CODE: Final = (
    "{name}() is called in async code, as {forms} inside a coroutine (run your 'async def main()' "
    "with asyncio.run(main()), or use the 'python -m asyncio' prompt); asyncio.run({name}(...)) "
    "cannot work: the remote would outlive its event loop"
)


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
            env=child_env(env, python is None),
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


def child_env(env: dict[str, str] | None, same_python: bool) -> dict[str, str]:
    """The environment of a worker process: ``env`` (or this one's), and with the same interpreter
    this process's ``sys.path`` too, so that it imports what this one can."""
    result = dict(os.environ if env is None else env)
    if same_python:
        paths = [os.path.abspath(p) for p in sys.path]
        if result.get("PYTHONPATH"):
            paths.append(result["PYTHONPATH"])
        result["PYTHONPATH"] = os.pathsep.join(paths)
    return result


# ----------------------------------------------------------------------------------------------
# pools: n workers serving the same target, each call on an idle one


class _PoolLink:
    """What a ``Remote`` uses of its link, for a pool: each call (APPLY) or read (GET) runs on an
    idle worker's own link. Anything that would tie the caller to one worker's state is refused."""

    def __init__(self, pool: Pool[Any]) -> None:
        self.pool = pool
        self.refs = 0

    @property
    def released(self) -> bool:
        return self.pool.closed

    def send(
        self,
        kind: wire.MessageType,
        path: Sequence[str] = (),
        *,
        value: Any = None,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> asyncio.Future[Any]:
        if kind not in (wire.APPLY, wire.GET):
            raise TypeError(
                f"a pool's remote only calls and reads ({kind} refused): its workers share no state, "
                "so construct, assign and create_endpoint would each reach one worker at random"
            )
        return asyncio.ensure_future(self.pool._run(kind, tuple(path), args, kwargs))

    def release(self) -> asyncio.Future[None]:
        raise TypeError("a pool's remote is not released: close the pool (await pool.close())")

    def drop(self) -> None:
        self.refs -= 1


class Pool(Generic[T]):
    """``size`` worker processes serving the same target. ``remote`` calls a method (or reads an
    attribute) on an idle worker, waiting for one while all are busy. A worker that dies is replaced
    by a new process; the call it was running fails with ``WorkerError`` and is not retried.
    ``close()`` (or leaving ``async with``) ends and reaps every process."""

    def __init__(
        self,
        spawner: Callable[[], Awaitable[tuple[Remote[Any], Worker]]],
        members: list[tuple[Remote[Any], Worker]],
    ) -> None:
        self._spawner = spawner
        self._remotes: dict[Worker, Remote[Any]] = {}  # held: a Remote no one holds releases its worker
        self._idle: list[Worker] = []
        self._waiters: deque[asyncio.Future[Worker]] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._broken: str | None = None
        self.closed = False
        self.size = len(members)
        self.remote: Remote[T] = Remote(cast(_Link, _PoolLink(self)))
        for remote, worker in members:
            self._join(remote, worker)

    @property
    def workers(self) -> list[Worker]:
        """The live workers, replacements included."""
        return list(self._remotes)

    def _join(self, remote: Remote[Any], worker: Worker) -> None:
        self._remotes[worker] = remote
        task = asyncio.ensure_future(self._supervise(worker))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._release(worker)

    async def _supervise(self, worker: Worker) -> None:
        """Replace the worker once it exits, unless the pool is closing."""
        await worker.wait()
        self._remotes.pop(worker, None)
        if self.closed:
            return
        try:
            remote, new = await self._spawner()
        except Exception as error:
            self._break(f"a worker died and could not be replaced: {error}")
            return
        if self.closed:
            await new.close()
        else:
            self._join(remote, new)

    def _break(self, why: str) -> None:
        self._broken = why
        self._fail_waiters(WorkerError(why))

    def _fail_waiters(self, error: Exception) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(error)

    def _release(self, worker: Worker) -> None:
        """Hand an idle worker to the first caller waiting for one; a dead one is dropped."""
        if worker not in self._remotes or worker.connection.closed:
            return
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(worker)
                return
        self._idle.append(worker)

    async def _acquire(self) -> Worker:
        while True:
            if self.closed:
                raise ConnectionClosedError("the pool is closed")
            if self._broken is not None:
                raise WorkerError(self._broken)
            if self._idle:
                worker = self._idle.pop()
            else:
                waiter: asyncio.Future[Worker] = asyncio.get_running_loop().create_future()
                self._waiters.append(waiter)
                try:
                    worker = await waiter
                except asyncio.CancelledError:
                    if waiter.done() and not waiter.cancelled():
                        self._release(waiter.result())  # handed over as the caller gave up
                    raise
            if worker in self._remotes and not worker.connection.closed:
                return worker

    async def _run(self, kind: wire.MessageType, path: tuple[str, ...], args: Any, kwargs: Any) -> Any:
        worker = await self._acquire()
        try:
            return await _link_of(self._remotes[worker]).send(kind, path, args=args, kwargs=kwargs)
        except ConnectionClosedError as error:
            if self.closed:
                raise
            code = await _reap(worker.process, 5.0)
            name = ".".join(path) or "the served object"
            raise WorkerError(
                f"worker process {worker.pid} died ({_exit_status(code)}) while running {name}; "
                "the call was not retried (a new worker replaces it)"
            ) from error
        finally:
            self._release(worker)

    async def close(self, timeout: float = 5.0) -> None:
        """Stop taking calls, end every worker (killing any that is not gone after ``timeout``
        seconds) and reap them all; calls still waiting for a worker fail."""
        if self.closed:
            return
        self.closed = True
        self._fail_waiters(ConnectionClosedError("the pool is closed"))
        self._idle.clear()
        await asyncio.gather(*(worker.close(timeout) for worker in list(self._remotes)))
        for task in self._tasks:
            task.cancel()  # a replacement being started is reaped by _spawn
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def __aenter__(self) -> Pool[T]:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def _exit_status(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


class _SpawnPool(Generic[T]):
    """What ``spawn_pool`` returns: await it for the ``Pool``, or use ``async with`` (closed on exit)."""

    def __init__(self, size: int, args: tuple[Any, ...]) -> None:
        self._size = size
        self._args = args
        self._pool: Pool[T] | None = None

    def __await__(self) -> Generator[Any, None, Pool[T]]:
        return self._start().__await__()

    async def _start(self) -> Pool[T]:
        spawner = partial(_spawn, *self._args)
        started = await asyncio.gather(*(spawner() for _ in range(self._size)), return_exceptions=True)
        members = [each for each in started if not isinstance(each, BaseException)]
        failures = [each for each in started if isinstance(each, BaseException)]
        if failures:
            await asyncio.gather(*(worker.close() for _, worker in members))
            raise failures[0]
        return Pool(spawner, members)

    async def __aenter__(self) -> Pool[T]:
        self._pool = await self._start()
        return self._pool

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pool is not None:
            await self._pool.close()


@overload
def spawn_pool(
    size: int,
    target: str,
    interface: None = None,
    *,
    python: str | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
) -> _SpawnPool[Any]: ...
@overload
def spawn_pool(
    size: int,
    target: str,
    interface: Callable[..., T],
    *,
    python: str | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
) -> _SpawnPool[T]: ...
def spawn_pool(
    size: int,
    target: str,
    interface: Callable[..., Any] | None = None,
    *,
    python: str | None = None,
    env: dict[str, str] | None = None,
    cwd: str | None = None,
    timeout: float = 30.0,
) -> _SpawnPool[Any]:
    """Start ``size`` workers serving ``target`` (as ``spawn`` does), for work that keeps no state
    between calls: ``async with spawn_pool(4, "pkg.mod:obj", Api) as pool``, then
    ``await pool.remote.method(...)`` runs on an idle worker (``pool.remote`` is a ``Remote[Api]``).
    """
    if type(size) is not int or size < 1:
        raise ValueError(f"a pool needs at least one worker, got size={size!r}")
    _check_async_code(
        "'async with spawn_pool(size, target) as pool:' or 'pool = await spawn_pool(size, target)'"
    )
    return _SpawnPool(size, (target, python, env, cwd, timeout))
