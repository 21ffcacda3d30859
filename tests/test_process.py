"""comlink_py between real CPython processes, and the virtual ports of one connection."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import multiprocessing
import os
import socket
import struct
import zoneinfo
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

import comlink_py as c
from comlink_py import process
from comlink_py.protocol.endpoint import MessageEvent
from tests import process_targets
from tests.helpers import run, same

TARGET = "tests.process_targets:service"


def reaped(pid: int) -> bool:
    """No process, not even a zombie, is left under ``pid`` for us to wait on."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


# ----------------------------------------------------------------------------------------------
# across real processes


def test_calls_attributes_and_constructors_across_processes() -> None:
    async def go() -> None:
        remote, worker = await process.spawn(TARGET)
        async with worker:
            assert await remote.pid() == worker.pid != os.getpid()
            assert await remote.echo(1, "two", three=[3]) == [[1, "two"], {"three": [3]}]
            assert await remote.value.nested[1] == 2
            assert await c.assign(remote.value, {"new": b"\x00" * 3}) is True
            assert await remote.value == {"new": b"\x00\x00\x00"}
            counter = await c.construct(remote.Counter, 40)
            assert await counter.add(2) == 42
        assert worker.returncode == 0 and reaped(worker.pid)

    run(go())


def test_values_cross_as_structured_clone_copies_them() -> None:
    shared = [1, 2]
    value: dict[str, Any] = {
        "big": -(2**100),
        "floats": [math.nan, -0.0, math.inf],
        "text": "\U0001f600\ud800",
        "bytes": b"\xff" * 10,
        "buffer": bytearray(b"buf"),
        "tuple": (1, (2,)),
        "set": {1, "a"},
        "when": dt.datetime(2024, 3, 31, 2, 30, tzinfo=zoneinfo.ZoneInfo("Europe/Paris")),
        "day": dt.date(2024, 1, 1),
        "span": dt.timedelta(days=-1, microseconds=1),
        "error": KeyError("k"),
        "a": shared,
        "b": shared,
    }
    value["self"] = value

    async def go() -> None:
        async with process.spawn(TARGET) as remote:
            got = await remote.identity(value)
            assert got["self"] is got and got["a"] is got["b"]
            assert got["tuple"] == [1, [2]] and isinstance(got["error"], KeyError)
            for key in ("big", "floats", "text", "bytes", "buffer", "set", "when", "day", "span"):
                assert same(got[key], value[key]), key

    run(go())


def test_large_payloads_and_transferred_buffers() -> None:
    async def go() -> None:
        async with process.spawn(TARGET) as remote:
            blob = os.urandom(8 * 1024 * 1024)
            assert await remote.identity(blob) == blob
            buffer = bytearray(b"moved")
            assert await remote.identity(c.transfer(buffer, [buffer])) == bytearray(b"moved")
            assert buffer == b""

    run(go())


def test_errors_cross_with_their_python_type() -> None:
    async def go() -> None:
        async with process.spawn(TARGET) as remote:
            with pytest.raises(ValueError, match="boom") as caught:
                await remote.fail("boom")
            assert "process_targets.py" in (caught.value.stack or "")  # type: ignore[attr-defined]
            with pytest.raises(TypeError, match="Unserializable return value"):
                await remote.unclonable()
            with pytest.raises(AttributeError):
                await remote.no_such_method()
            with pytest.raises(c.DataCloneError):
                remote.identity(object())
            assert await remote.identity(1) == 1  # still serving

    run(go())


def test_the_exposure_policy_holds_across_processes() -> None:
    async def go() -> None:
        async with process.spawn(TARGET) as remote:
            with pytest.raises(c.RemoteError, match="CONSTRUCT constructs classes only"):
                await c.construct(remote.slow, 0)
            with pytest.raises(PermissionError, match="module 'json'"):
                await remote.codec.codecs.sys.modules.os.getpid()
            with pytest.raises(PermissionError, match="module 'json'"):
                await c.assign(remote.codec.anything, 7)
            with pytest.raises(c.RemoteError) as info:
                await remote.empty()
            assert info.value.name == "StopIteration" and not isinstance(info.value, StopIteration)
            with pytest.raises(c.DataCloneError, match="tuple cannot be a dict key"):
                await remote.identity({(1, 2): 3})
            assert await remote.value.nested[1] == 2

    run(go())


def test_callbacks_are_called_back_in_the_parent() -> None:
    async def go() -> None:
        seen: list[int] = []

        def callback(x: int) -> int:
            seen.append(os.getpid())
            return x * 2

        async with process.spawn(TARGET) as remote:
            assert await remote.call_back(c.proxy(callback), 21) == 42
            assert await remote.call_many(c.proxy(callback), 50) == [i * 2 for i in range(50)]
            assert seen == [os.getpid()] * 51

    run(go())


def test_proxies_from_the_worker_are_released_and_finalized() -> None:
    async def go() -> None:
        async with process.spawn(TARGET) as remote:
            counter = await remote.make_counter(5)
            assert await counter.add() == 6
            await c.release(counter)
            with pytest.raises(c.ReleasedProxyError):
                counter.add()
            assert await remote.finalized() == [6]

    run(go())


def test_create_endpoint_serves_the_same_object_on_a_new_port() -> None:
    async def go() -> None:
        async with process.spawn(TARGET) as remote:
            endpoint = await c.create_endpoint(remote)
            assert isinstance(endpoint, process.VirtualPort)
            other = c.wrap(endpoint)
            await c.assign(other.value, "set through the new endpoint")
            assert await remote.value == "set through the new endpoint"
            await c.release(other)
            assert await remote.pid() > 0

    run(go())


def test_an_endpoint_of_one_worker_can_be_handed_to_another() -> None:
    async def go() -> None:
        async with process.spawn(TARGET) as first, process.spawn(TARGET) as second:
            endpoint = await c.create_endpoint(first)
            first_pid = await first.pid()
            assert await second.call_through(c.transfer(endpoint, [endpoint]), "pid") == first_pid
            assert await second.pid() != first_pid

    run(go())


def test_an_in_memory_port_can_be_handed_to_a_worker() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose({"hello": lambda name: f"hello {name} from {os.getpid()}"}, channel.port1)
        async with process.spawn(TARGET) as remote:
            port = channel.port2
            got = await remote.call_through(c.transfer(port, [port]), "hello", "worker")
            assert got == f"hello worker from {os.getpid()}"

    run(go())


def test_a_worker_exits_once_its_object_is_released() -> None:
    async def go() -> None:
        remote, worker = await process.spawn(TARGET)
        await c.release(remote)
        assert await asyncio.wait_for(worker.wait(), 10) == 0
        assert reaped(worker.pid)

    run(go())


@pytest.mark.parametrize("how", ["kill", "exit"])
def test_every_pending_call_fails_when_the_worker_dies(how: str) -> None:
    async def go() -> None:
        remote, worker = await process.spawn(TARGET)
        pending = [remote.slow(60) for _ in range(5)]
        await asyncio.sleep(0.05)
        if how == "kill":
            worker.kill()
        else:
            pending.append(remote.die(3))
        for call in pending:
            with pytest.raises(c.ConnectionClosedError):
                await asyncio.wait_for(call, 10)
        with pytest.raises(c.ConnectionClosedError):
            await remote.pid()
        code = await worker.close()
        assert code == (-9 if how == "kill" else 3)
        assert reaped(worker.pid)

    run(go())


def test_a_callback_port_of_a_dead_worker_closes_too() -> None:
    async def go() -> None:
        remote, worker = await process.spawn(TARGET)
        closed = asyncio.Event()
        endpoint = await c.create_endpoint(remote)
        assert isinstance(endpoint, process.VirtualPort)
        endpoint.add_close_listener(closed.set)
        endpoint.start()  # like a MessagePort, a port tells its listeners once started
        worker.kill()
        await asyncio.wait_for(closed.wait(), 10)
        await worker.close()

    run(go())


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("no_such_module_anywhere:thing", "ModuleNotFoundError"),
        ("tests.process_targets:no_such_name", "AttributeError"),
        ("not a target", "module:object"),
    ],
)
def test_a_worker_that_cannot_start_says_why(target: str, problem: str) -> None:
    async def go() -> None:
        with pytest.raises(process.WorkerError, match=problem) as caught:
            await process.spawn(target)
        assert "exit code 1" in str(caught.value)

    run(go())


def test_no_processes_are_left_behind() -> None:
    async def go() -> list[int]:
        pids = []
        for _ in range(3):
            remote, worker = await process.spawn(TARGET)
            pids.append(await remote.pid())
            await worker.close()
        return pids

    for pid in run(go()):
        assert reaped(pid) and not os.path.exists(f"/proc/{pid}")


def test_spawn_takes_an_interface_and_is_typed_by_it() -> None:
    """``interface`` changes nothing at run time (tests/test_typing.py checks the types)."""

    async def go() -> None:
        async with process.spawn(TARGET, process_targets.Service) as remote:
            assert await remote.pid() != os.getpid()
        remote, worker = await process.spawn(TARGET, process_targets.Service)
        async with worker:
            assert await remote.echo(1) == [[1], {}]

    run(go())


def test_spawn_outside_async_code_says_which_forms_work() -> None:
    """``asyncio.run(spawn(...))`` cannot work (the remote would outlive its loop): the error says
    so before any process starts, instead of asyncio's 'a coroutine was expected'."""
    with pytest.raises(RuntimeError, match=r"spawn\(\) is called in async code") as caught:
        asyncio.run(process.spawn(TARGET))  # type: ignore[arg-type]
    message = str(caught.value)
    assert "async with spawn(target) as remote:" in message
    assert "remote, worker = await spawn(target)" in message
    assert "asyncio.run(spawn(...)) cannot work" in message


def test_spawn_passes_env_and_cwd(tmp_path: Path) -> None:
    async def go() -> None:
        env = {**os.environ, "COMLINK_PY_TEST": "from the parent"}
        async with process.spawn("os:getenv", env=env) as getenv:
            assert await getenv("COMLINK_PY_TEST") == "from the parent"
        async with process.spawn("os:getcwd", cwd=str(tmp_path)) as getcwd:
            assert await getcwd() == str(tmp_path)

    run(go())


def test_a_connection_runs_over_tcp_on_localhost() -> None:
    async def go() -> None:
        with socket.create_server(("127.0.0.1", 0)) as server:
            client = socket.create_connection(server.getsockname())
            accepted, _ = server.accept()
        near, far = await process.connect(client), await process.connect(accepted)
        c.expose({"twice": lambda x: 2 * x}, far.port)
        remote = c.wrap(near.port)
        assert await remote.twice(b"ab") == b"abab"
        await c.release(remote)
        await asyncio.wait_for(far.wait_closed(), 5)  # the last port closed, so the connection did

    run(go(), timeout=10)


def test_a_multiprocessing_child_can_serve_an_object() -> None:
    async def go() -> None:
        parent, child = socket.socketpair()
        from tests.process_targets import serve_in_child

        worker = multiprocessing.get_context("spawn").Process(target=serve_in_child, args=(child,))
        worker.start()
        child.close()
        remote, connection = await process.attach(parent)
        assert await remote.pid() == worker.pid
        connection.close()
        await asyncio.get_running_loop().run_in_executor(None, worker.join, 10)
        assert worker.exitcode == 0

    run(go())


# ----------------------------------------------------------------------------------------------
# one connection, both ends in this process (fast): the virtual-port machinery itself


@asynccontextmanager
async def linked() -> AsyncIterator[tuple[process.Connection, process.Connection]]:
    a, b = socket.socketpair()
    left, right = await process.connect(a), await process.connect(b)
    try:
        yield left, right
    finally:
        left.close()
        right.close()


def collect(port: c.Endpoint) -> tuple[list[Any], asyncio.Queue[Any]]:
    queue: asyncio.Queue[Any] = asyncio.Queue()
    got: list[Any] = []

    def listener(event: MessageEvent) -> None:
        got.append(event.data)
        queue.put_nowait(event.data)

    port.add_listener(listener)
    getattr(port, "start", lambda: None)()
    return got, queue


def test_messages_queued_on_a_port_follow_it_when_it_is_transferred() -> None:
    async def go() -> None:
        async with linked() as (left, right):
            _, arrivals = collect(right.port)
            near, far = left.port.new_channel()
            near.post_message("sent before the transfer")
            left.port.post_message({"port": far}, [far])
            with pytest.raises(ConnectionError):
                far.post_message("a transferred port is neutered here")
            moved = (await arrivals.get())["port"]
            assert isinstance(moved, process.VirtualPort)
            _, on_moved = collect(moved)
            assert await on_moved.get() == "sent before the transfer"
            near.post_message("sent after")
            assert await on_moved.get() == "sent after"
            _, on_near = collect(near)
            moved.post_message("and back")
            assert await on_near.get() == "and back"

    run(go(), timeout=10)


def test_a_pair_that_stays_local_talks_in_memory() -> None:
    async def go() -> None:
        async with linked() as (left, _):
            a, b = left.port.new_channel()
            _, on_b = collect(b)
            a.post_message({"x": (1, 2)})
            assert await on_b.get() == {"x": [1, 2]}

    run(go(), timeout=10)


def test_closing_a_port_tells_the_far_end_and_the_last_close_ends_the_connection() -> None:
    async def go() -> None:
        async with linked() as (left, right):
            _, arrivals = collect(right.port)
            near, far = left.port.new_channel()
            left.port.post_message(far, [far])
            moved = await arrivals.get()
            closed = asyncio.Event()
            moved.add_close_listener(closed.set)
            moved.start()
            near.close()
            await asyncio.wait_for(closed.wait(), 5)
            assert not left.closed
            left.port.close()
            await asyncio.wait_for(right.wait_closed(), 5)
            await asyncio.wait_for(left.wait_closed(), 5)

    run(go(), timeout=10)


def test_ports_sent_to_a_closed_port_are_closed_not_leaked() -> None:
    async def go() -> None:
        async with linked() as (left, right):
            _, arrivals = collect(right.port)
            _keep_near, keep_far = left.port.new_channel()
            left.port.post_message(keep_far, [keep_far])  # keeps the connection open
            await arrivals.get()
            near, far = left.port.new_channel()
            orphan_closed = asyncio.Event()
            near.add_close_listener(orphan_closed.set)
            near.start()
            left.port.post_message(far, [far])
            right.port.close()  # before the message carrying the port arrives
            await asyncio.wait_for(orphan_closed.wait(), 5)
            assert not left.closed and not right.closed

    run(go(), timeout=10)


def frame(channel: int, kind: int, body: bytes) -> bytes:
    return struct.pack("<IIB", len(body) + 5, channel, kind) + body


@pytest.mark.parametrize(
    "garbage",
    [
        frame(0, 0, b"\x99"),  # unknown tag
        frame(0, 7, b""),  # unknown frame kind
        frame(0, 1, struct.pack("<II", 1, 5 | 1 << 31) + b"N"),  # a port the sender says we opened
        frame(0, 1, struct.pack("<III", 2, 5, 5) + b"N"),  # the same new port twice
        frame(0, 1, struct.pack("<I", 9)),  # a port table longer than its frame
        struct.pack("<I", 2) + b"xx",  # a frame too short for its header
    ],
)
def test_a_malformed_frame_closes_the_connection_and_fails_pending_calls(garbage: bytes) -> None:
    async def go() -> None:
        a, b = socket.socketpair()
        connection = await process.connect(a)
        remote = c.wrap(connection.port)
        call = remote.anything()
        await asyncio.sleep(0.01)
        b.sendall(garbage)
        with pytest.raises(c.ConnectionClosedError):
            await asyncio.wait_for(call, 5)
        b.close()

    run(go(), timeout=10)


def test_posting_from_another_thread_is_delivered() -> None:
    async def go() -> None:
        async with linked() as (left, right):
            _, arrivals = collect(right.port)
            loop = asyncio.get_running_loop()
            near, far = left.port.new_channel()
            send: Callable[[], None] = lambda: left.port.post_message({"port": far}, [far])  # noqa: E731
            await loop.run_in_executor(None, send)
            moved = (await arrivals.get())["port"]
            _, on_moved = collect(moved)
            await loop.run_in_executor(None, near.post_message, "from a thread")
            assert await on_moved.get() == "from a thread"

    run(go(), timeout=10)
