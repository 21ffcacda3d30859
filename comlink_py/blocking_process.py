"""A blocking client for worker processes, for scripts that do not use asyncio.

It speaks the process link's frames over a blocking socket (``comlink_py.transport.sync_connection``):
a call writes its frame and reads the socket until the answer is there, with no event loop on this
side. Its worker is ``python -m comlink_py.blocking_process module:object --fd N``, which serves
from a blocking read too.

    remote, worker = spawn_sync("package.module:obj")
    with worker:
        remote.method(1, 2)
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import socket
import subprocess
import sys
import time
import traceback
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from .aio import expose
from .blocking import SLICE, SyncRemote, wrap_sync
from .process import HELLO, WorkerError, child_env, load_target
from .resume import set_running_loop
from .transport.sync_connection import SyncConnection, SyncPort

__all__ = ["SyncConnection", "SyncPort", "SyncWorker", "serve_blocking", "spawn_sync"]

log = logging.getLogger("comlink_py")


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
    """``process.spawn`` for code without an event loop: start ``python -m
    comlink_py.blocking_process target`` and return a ``SyncRemote`` for what it exposes (calls time out after
    ``call_timeout`` seconds), and the ``SyncWorker``. ``WorkerError`` says why a child did not start.
    """
    parent, child = socket.socketpair()
    with child:  # the child process inherits it; this one has no use for it after the start
        try:
            process = subprocess.Popen(
                [python or sys.executable, "-m", __name__, target, "--fd", str(child.fileno())],
                pass_fds=(child.fileno(),),
                stdin=subprocess.DEVNULL,
                env=child_env(env, python is None),
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
    listen = said.append  # one bound method, so that remove_listener finds it
    port.add_listener(listen)
    deadline = time.monotonic() + timeout
    while not said:
        if connection.closed:
            raise WorkerError("the worker closed the connection before it was ready")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise WorkerError(f"the worker did not start within {timeout} s")
        connection.wait(remaining)
    port.remove_listener(listen)
    data = said[0].data
    if isinstance(data, dict) and data.get(HELLO) == "ready":
        return
    if isinstance(data, dict) and data.get(HELLO) == "failed":
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
    connection.port.post_message({HELLO: "ready"})
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
            outer = set_running_loop(loop)  # where expose makes tasks of awaitable results
            try:
                connection.wait(SLICE)
            finally:
                set_running_loop(outer)
            if made:
                made.clear()
                loop.run_until_complete(_tasks_done(loop, connection))
    finally:
        loop.close()


async def _tasks_done(loop: asyncio.AbstractEventLoop, connection: SyncConnection) -> None:
    sock = connection.socket
    if sock is None:
        return
    loop.add_reader(sock, connection.wait, 0.0)
    try:
        while tasks := asyncio.all_tasks(loop) - {asyncio.current_task(loop)}:
            await asyncio.wait(tasks)
            if connection.closed:
                return
    finally:
        if connection.socket is not None:
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
        connection.port.post_message({HELLO: "failed", "error": report})
        connection.close()
        return 1
    serve_blocking(obj, sock)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
