"""Blocking calls in CPython: ``wrap_sync`` from a thread without an event loop to an object that
another thread's loop serves, and ``spawn_sync`` to a ``comlink_py.process`` worker."""

from __future__ import annotations

import _thread
import asyncio
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

import comlink_py
from comlink_py import blocking
from comlink_py.blocking_process import SyncConnection, spawn_sync
from comlink_py.process import WorkerError


class Counter:
    def __init__(self, start: int) -> None:
        self.value = start

    def inc(self) -> int:
        self.value += 1
        return self.value


class Api:
    name = "api"
    Counter = Counter

    def add(self, a: int, b: int = 0) -> int:
        return a + b

    def fail(self) -> None:
        raise KeyError("nope")

    async def later(self, x: int) -> int:
        await asyncio.sleep(0.01)
        return x * 2

    async def walk(self, steps: int, on_step: Any) -> list[Any]:
        return [await on_step(step) for step in range(steps)]

    async def forever(self) -> None:
        await asyncio.Event().wait()

    def counter(self) -> Any:
        return comlink_py.proxy(Counter(10))


class Served:
    """``Api`` exposed on one port of a channel by a loop on its own thread."""

    def __init__(self) -> None:
        self.channel = comlink_py.MessageChannel()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(self.loop)
            comlink_py.expose(Api(), self.channel.port1)
            self.loop.call_soon(ready.set)
            self.loop.run_forever()

        self.thread = threading.Thread(target=serve, daemon=True)
        self.thread.start()
        ready.wait(5)

    def close_port(self) -> None:
        self.loop.call_soon_threadsafe(self.channel.port1.close)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def served() -> Iterator[Served]:
    server = Served()
    yield server
    server.stop()


def _in_thread(fn: Any) -> Any:
    """Run ``fn`` on a fresh thread, which has no event loop; its result or its exception."""
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(("ok", fn()))
        except BaseException as error:
            out.append(("error", error))

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    kind, value = out[0]
    if kind == "error":
        raise value
    return value


def test_calls_reads_and_errors_from_a_thread_without_a_loop(served: Served) -> None:
    def use() -> Any:
        with pytest.raises(RuntimeError):
            asyncio.get_running_loop()
        remote = blocking.wrap_sync(served.channel.port2)
        with pytest.raises(KeyError) as caught:
            remote.fail()
        return [remote.add(1, b=2), blocking.get(remote.name), remote.later(21), str(caught.value)]

    assert _in_thread(use) == [3, "api", 42, "KeyError: 'nope'"]


def test_construct_assign_returned_proxies_and_release(served: Served) -> None:
    def use() -> Any:
        remote = blocking.wrap_sync(served.channel.port2)
        made = blocking.construct(remote.Counter, 5)
        returned = remote.counter()
        blocking.assign(remote.name, "changed")
        out = [made.inc(), made.inc(), type(returned).__name__, returned.inc(), blocking.get(remote.name)]
        blocking.release(made)
        with pytest.raises(comlink_py.ReleasedProxyError):
            made.inc()
        return out

    assert _in_thread(use) == [6, 7, "SyncRemote", 11, "changed"]


def test_callbacks_called_before_the_answer_are_served_by_the_waiting_call(served: Served) -> None:
    async def quick(step: int) -> int:
        await asyncio.sleep(0)
        return step * 100

    def use() -> Any:
        remote = blocking.wrap_sync(served.channel.port2, timeout=10)
        plain = remote.walk(3, comlink_py.proxy(lambda step: step * 10))
        awaiting = remote.walk(2, comlink_py.proxy(quick))
        return [plain, awaiting]

    assert _in_thread(use) == [[0, 10, 20], [0, 100]]


def test_a_callback_that_waits_fails_at_once_instead_of_deadlocking(served: Served) -> None:
    async def sleeper(step: int) -> int:
        await asyncio.sleep(0.5)
        return step

    def use() -> Any:
        remote = blocking.wrap_sync(served.channel.port2, timeout=10)
        started = time.monotonic()
        with pytest.raises(RuntimeError, match="cannot wait itself") as caught:
            remote.walk(1, comlink_py.proxy(sleeper))
        return [type(caught.value).__name__, time.monotonic() - started < 2]

    assert _in_thread(use) == ["RemoteRuntimeError", True]


def test_the_timeout_fails_a_call_and_a_late_answer_is_ignored(served: Served) -> None:
    def use() -> Any:
        remote = blocking.wrap_sync(served.channel.port2, timeout=0.2)
        started = time.monotonic()
        with pytest.raises(TimeoutError, match=r"no answer within 0\.2 s"):
            remote.forever()
        return [0.2 <= time.monotonic() - started < 1.5, remote.add(2, 2)]

    assert _in_thread(use) == [True, 4]


def test_a_peer_that_closes_fails_the_blocked_call_within_a_second(served: Served) -> None:
    def use() -> Any:
        remote = blocking.wrap_sync(served.channel.port2)
        threading.Timer(0.2, served.close_port).start()
        started = time.monotonic()
        with pytest.raises(comlink_py.ConnectionClosedError):
            remote.forever()
        elapsed = time.monotonic() - started
        with pytest.raises(comlink_py.ConnectionClosedError):
            remote.add(1)
        return elapsed < 1.2

    assert _in_thread(use) is True


def test_create_endpoint_gives_a_port_another_thread_can_wrap(served: Served) -> None:
    def use() -> Any:
        remote = blocking.wrap_sync(served.channel.port2, timeout=10)
        endpoint = blocking.create_endpoint(remote)
        elsewhere = _in_thread(lambda: blocking.wrap_sync(endpoint, timeout=10).add(2, 3))
        again = blocking.wrap_sync(blocking.create_endpoint(remote), timeout=10)
        out = [type(endpoint).__name__, elsewhere, again.add(4, 4), remote.add(1, 1)]
        blocking.release(again)
        return [*out, remote.add(1, 2)]

    assert _in_thread(use) == ["MessagePort", 5, 8, 2, 3]


def _pending(remote: blocking.SyncRemote[Any]) -> dict[str, Any]:
    return object.__getattribute__(remote, "_link").caller.pending  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "interrupt",
    [_thread.interrupt_main, lambda: os.kill(os.getpid(), signal.SIGINT)],
    ids=["interrupt_main", "SIGINT"],
)
def test_keyboard_interrupt_ends_a_blocked_call_and_the_next_call_works(
    served: Served, interrupt: Any
) -> None:
    # In the main thread, where Python raises KeyboardInterrupt: a signal wakes the wait at once,
    # interrupt_main (no signal) is seen at the end of the current slice.
    remote = blocking.wrap_sync(served.channel.port2, timeout=10)
    timer = threading.Timer(0.2, interrupt)
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        remote.forever()
    assert time.monotonic() - started < 0.2 + blocking.SLICE * 10  # a slice, with a margin for load
    assert _pending(remote) == {}
    assert remote.add(2, 3) == 5


def test_only_endpoints_that_can_wait_are_accepted() -> None:
    started = comlink_py.MessageChannel().port1
    asyncio.run(_start(started))
    with pytest.raises(TypeError, match="cannot block a thread"):
        blocking.wrap_sync(started)
    remote = blocking.wrap_sync(comlink_py.MessageChannel().port1)
    with pytest.raises(AttributeError, match="assign"):
        remote.name = "x"  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="needs a path"):
        blocking.assign(remote, 1)


async def _start(port: comlink_py.MessagePort) -> None:
    port.start()


# ----------------------------------------------------------------------------------------------
# process workers

TARGET = "tests.process_targets:service"


def test_a_process_worker_answers_blocking_calls() -> None:
    remote, worker = spawn_sync(TARGET)
    with worker:
        made = blocking.construct(remote.Counter, 3)
        blocking.assign(remote.value, {"a": [1]})
        with pytest.raises(ValueError, match="bad"):
            remote.fail("bad")
        assert remote.echo(1, k=2) == [[1], {"k": 2}]
        assert blocking.get(remote.value) == {"a": [1]}
        assert made.add(2) == 5
        assert remote.call_back(comlink_py.proxy(lambda x: x + 1), 41) == 42
        assert remote.call_many(comlink_py.proxy(lambda x: x * x), 4) == [0, 1, 4, 9]
        big = remote.identity(bytes(range(256)) * (1 << 18))  # 64 MiB
        assert len(big) == 64 << 20 and big[:3] == b"\x00\x01\x02"
    assert worker.process.returncode is not None


def test_create_endpoint_opens_a_second_channel_to_a_process_worker() -> None:
    remote, worker = spawn_sync(TARGET, call_timeout=10)
    with worker:
        second = blocking.wrap_sync(blocking.create_endpoint(remote), timeout=10)
        assert second.echo("second") == [["second"], {}]
        blocking.release(second)
        assert remote.echo("first") == [["first"], {}]


def test_keyboard_interrupt_ends_a_blocked_process_call() -> None:
    remote, worker = spawn_sync(TARGET, call_timeout=10)
    with worker:
        threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
        with pytest.raises(KeyboardInterrupt):
            remote.slow(5)
        assert _pending(remote) == {}
        assert remote.echo("next") == [["next"], {}]


def test_a_worker_that_dies_fails_the_blocked_call_within_a_second() -> None:
    remote, worker = spawn_sync(TARGET)
    with worker:
        started = time.monotonic()
        with pytest.raises(comlink_py.ConnectionClosedError):
            remote.die(3)
        assert time.monotonic() - started < 1.0
        assert worker.process.wait(5) == 3


def test_the_call_timeout_applies_to_process_calls() -> None:
    remote, worker = spawn_sync(TARGET, call_timeout=0.2)
    with worker:
        with pytest.raises(TimeoutError):
            remote.slow(5)
        assert remote.echo("still") == [["still"], {}]


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x01\x00\x00\x00\x00",
        b"\x05\x00\x00\x00\x00\x00\x00\x00\x09",
        b"\x06\x00\x00\x00\x00\x00\x00\x00\x00\xff",
    ],
    ids=["too-short", "unknown-kind", "unknown-tag"],
)
def test_a_malformed_frame_closes_the_connection_and_fails_the_call(garbage: bytes) -> None:
    near, far = socket.socketpair()
    with far:
        remote = blocking.wrap_sync(SyncConnection(near).port, timeout=10)

        def answer_with_garbage() -> None:
            far.recv(1 << 16)  # the request
            far.sendall(garbage)

        threading.Thread(target=answer_with_garbage).start()
        with pytest.raises(comlink_py.ConnectionClosedError):
            remote.anything()


def test_a_process_worker_that_cannot_start_says_why() -> None:
    with pytest.raises(WorkerError, match="No module named 'no_such_module'"):
        spawn_sync("no_such_module:x")
