"""Stopping work between comlink_py peers: a call the caller cancels (``cancel()``, ``wait_for``,
``wrap(timeout=)``) sends CANCEL, and the peer cancels the task running it; nothing stays behind."""

from __future__ import annotations

import asyncio
import gc
import itertools
import os
import signal
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest

import comlink_py as c
from comlink_py import abort, aio, process
from comlink_py.abort import ABORT_HANDLER, AbortError, Cancellation
from comlink_py.pyodide.endpoint import JsEndpoint
from tests.helpers import recording_channel, run

LIMIT = 0.25  # the bound is 50 ms; a loaded 2-core machine gets a generous margin


class Holder:
    """An async method that waits until cancelled and says when its ``finally`` ran."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.stopped: float | None = None

    async def hold(self) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.stopped = time.monotonic()

    def ok(self) -> int:
        return 1


async def _until(check: Callable[[], bool], limit: float = 2.0) -> None:
    deadline = time.monotonic() + limit
    while not check():
        assert time.monotonic() < deadline, "the remote task was not cancelled"
        await asyncio.sleep(0.001)


Stop = Callable[[asyncio.Future[Any]], Awaitable[None]]


async def _cancel(call: asyncio.Future[Any]) -> None:
    call.cancel()


async def _wait_for(call: asyncio.Future[Any]) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(call, 0.02)


async def _task_cancel(call: asyncio.Future[Any]) -> None:
    async def caller() -> Any:
        return await call

    task = asyncio.ensure_future(caller())
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


@pytest.mark.parametrize("stop", [_cancel, _wait_for, _task_cancel], ids=["cancel", "wait_for", "task"])
def test_cancelling_a_call_cancels_the_remote_task(stop: Stop) -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        holder = Holder()
        exposed = c.expose(holder, channel.port1)
        remote = c.wrap(channel.port2)
        call = remote.hold()
        await holder.started.wait()
        assert exposed.running == 1
        begun = time.monotonic()
        await stop(call)
        await _until(lambda: holder.stopped is not None)
        assert holder.stopped is not None and holder.stopped - begun < LIMIT
        assert exposed.running == 0
        assert remote._link.caller.pending == {}
        assert await remote.ok() == 1  # the peer keeps serving

    run(go())


def test_a_timeout_on_wrap_cancels_the_remote_task() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        holder = Holder()
        exposed = c.expose(holder, channel.port1)
        remote = c.wrap(channel.port2, timeout=0.05)
        with pytest.raises(TimeoutError):
            await remote.hold()
        await _until(lambda: holder.stopped is not None)
        assert exposed.running == 0 and remote._link.caller.pending == {}

    run(go())


def test_cancel_is_one_message_that_is_never_answered() -> None:
    async def go() -> None:
        caller, server = recording_channel()
        holder = Holder()
        c.expose(holder, server)
        remote = c.wrap(caller)
        call = remote.hold()
        await holder.started.wait()
        call.cancel()
        await _until(lambda: holder.stopped is not None)
        await asyncio.sleep(0.01)
        request, cancel = caller.sent
        assert cancel == {"type": "CANCEL", "id": request["id"]}
        assert server.sent == []  # neither the cancelled call nor the CANCEL is answered

    run(go())


def test_cancel_of_an_unknown_or_finished_call_is_ignored() -> None:
    async def go() -> None:
        caller, server = recording_channel()
        c.expose(Holder(), server)
        for data in ({"type": "CANCEL", "id": "nope"}, {"type": "CANCEL"}, {"type": "CANCEL", "id": [1]}):
            caller.post_message(data)
        remote = c.wrap(caller)
        assert await remote.ok() == 1
        assert len(server.sent) == 1  # only the call's answer

    run(go())


def test_a_cancelled_call_that_awaits_a_remote_call_cancels_that_one_too() -> None:
    """Cancellation travels along a chain of peers: A -> B -> C."""

    async def go() -> None:
        inner = c.MessageChannel()
        holder = Holder()
        c.expose(holder, inner.port1)
        far = c.wrap(inner.port2)

        class Middle:
            async def relay(self) -> None:
                await far.hold()

        outer = c.MessageChannel()
        middle = c.expose(Middle(), outer.port1)
        call = c.wrap(outer.port2).relay()
        await holder.started.wait()
        call.cancel()
        await _until(lambda: holder.stopped is not None)
        assert middle.running == 0 and far._link.caller.pending == {}

    run(go())


def test_cancel_reaches_the_task_in_a_worker_process() -> None:
    async def go() -> None:
        async with process.spawn("tests.process_targets:service") as remote:
            tasks = await remote.tasks()
            call = remote.hold()
            await asyncio.sleep(0.2)  # the call is running in the child
            assert await remote.tasks() == tasks + 1
            begun = time.monotonic()
            call.cancel()
            stopped: list[float | None] = [None]

            async def check() -> None:
                while stopped[0] is None:
                    stopped[0] = await remote.when_stopped()

            await asyncio.wait_for(check(), 2)
            assert stopped[0] is not None and stopped[0] - begun < LIMIT
            assert await remote.tasks() == tasks
            assert remote._link.caller.pending == {}

    run(go(), timeout=30)


# -- AbortSignal: the shim's handler sends {port, aborted, reason}; here a Python port plays JS's part


_ids = itertools.count()


def _signal_argument(aborted: bool = False, reason: Any = None) -> tuple[dict[str, Any], c.MessagePort]:
    """The HANDLER wire value the shim's AbortSignal handler makes, and the port JS aborts through."""
    channel = c.MessageChannel()
    value = {"port": channel.port2, "aborted": aborted, "reason": reason}
    return {"type": "HANDLER", "name": "AbortSignal", "value": value}, channel.port1


class Signals:
    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.seen: list[Any] = []

    async def hold(self, signal: Cancellation) -> None:
        self.started.set()
        try:
            await asyncio.Event().wait()
        finally:
            self.seen = [signal.aborted, signal.reason]

    def check(self, signal: Cancellation) -> bool:
        signal.check()
        return signal.aborted


async def _call_with(
    port: c.MessagePort, method: str, argument: dict[str, Any], timeout: float = 2
) -> dict[str, Any]:
    """Send an APPLY whose argument is ``argument`` and return the raw answer."""
    answers: asyncio.Queue[Any] = asyncio.Queue()
    port.add_listener(lambda event: answers.put_nowait(event.data))
    port.start()
    ports = [argument["value"]["port"]] if isinstance(argument["value"].get("port"), c.MessagePort) else []
    id = f"call-{next(_ids)}"
    port.post_message({"id": id, "type": "APPLY", "path": [method], "argumentList": [argument]}, ports)
    while (answer := await asyncio.wait_for(answers.get(), timeout))["id"] != id:
        pass
    return answer  # type: ignore[no-any-return]


def test_an_abort_signal_cancels_the_task_and_the_call_fails_with_abort_error() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        signals = Signals()
        exposed = c.expose(signals, channel.port1)
        argument, abort_port = _signal_argument()
        answer = asyncio.ensure_future(_call_with(channel.port2, "hold", argument))
        await signals.started.wait()
        abort_port.post_message({"reason": {"name": "AbortError", "message": "stop"}})
        data = await answer
        assert data["name"] == "throw" and data["value"]["value"]["name"] == "AbortError"
        assert data["value"]["value"]["message"] == "stop"
        assert signals.seen == [True, {"name": "AbortError", "message": "stop"}]
        assert exposed.running == 0

    run(go())


def test_an_aborted_signal_fails_the_call_before_it_runs_and_check_raises() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        signals = Signals()
        c.expose(signals, channel.port1)
        argument, _ = _signal_argument(aborted=True, reason="no")
        data = await _call_with(channel.port2, "hold", argument)
        assert data["value"]["value"]["name"] == "AbortError" and not signals.started.is_set()
        argument, _ = _signal_argument(aborted=True, reason="no")
        data = await _call_with(channel.port2, "check", argument)
        assert data["value"]["value"]["name"] == "AbortError"
        argument, _ = _signal_argument()
        assert (await _call_with(channel.port2, "check", argument))["value"] is False

    run(go())


def test_a_cancellation_is_awaitable_and_calls_back() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        cancellation = Cancellation(channel.port2)
        called: list[Any] = []
        cancellation.add_callback(lambda signal: called.append(signal.reason))
        waiter = asyncio.ensure_future(_await(cancellation))
        await asyncio.sleep(0)
        channel.port1.post_message({"reason": "why"})
        assert await asyncio.wait_for(waiter, 1) == "why"
        assert called == ["why"] and cancellation.aborted
        with pytest.raises(AbortError, match="why"):
            cancellation.check()
        assert await cancellation == "why"  # already aborted: at once

    run(go())


async def _await(cancellation: Cancellation) -> Any:
    return await cancellation


def test_a_malformed_abort_signal_is_answered_with_a_clear_error() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose(Signals(), channel.port1)
        bad = {"type": "HANDLER", "name": "AbortSignal", "value": {"port": 1}}
        data = await _call_with(channel.port2, "check", bad)
        assert data["value"]["value"]["name"] == "TypeError"
        assert "AbortSignal arrives as {port, aborted, reason}" in data["value"]["value"]["message"]

    run(go())


def test_a_call_cancelled_before_its_task_began_never_runs_and_leaves_nothing(recwarn: Any) -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        holder = Holder()
        exposed = c.expose(holder, channel.port1)
        remote = c.wrap(channel.port2)
        remote.hold().cancel()  # CANCEL follows the request before the peer read either
        await asyncio.sleep(0.05)
        assert not holder.started.is_set() and exposed.running == 0
        assert remote._link.caller.pending == {}

    run(go())
    gc.collect()
    assert not [w for w in recwarn if "never awaited" in str(w.message)]


def test_a_cancellation_decoded_outside_a_call_s_arguments_is_noted_nowhere() -> None:
    """An AbortSignal that arrives as a result belongs to no call: it is not kept, and a later
    call does not take it for its own (its abort cancels nothing)."""

    async def go() -> None:
        peer = c.MessageChannel()

        def answer_with_a_signal(event: Any) -> None:
            argument, _ = _signal_argument()
            peer.port1.post_message({**argument, "id": event.data["id"]}, [argument["value"]["port"]])

        peer.port1.add_listener(answer_with_a_signal)
        peer.port1.start()
        result = await c.wrap(peer.port2).anything()
        assert isinstance(result, Cancellation) and ABORT_HANDLER.received == []
        channel = c.MessageChannel()
        holder = Holder()
        exposed = c.expose(holder, channel.port1)
        call = c.wrap(channel.port2).hold()
        await holder.started.wait()
        result._abort("not this call's")
        await asyncio.sleep(0.05)
        assert not call.done() and exposed.running == 1
        call.cancel()

    run(go())


# -- an abort interrupting code that runs: in Pyodide JS writes ABORT_SIGNUM into the interrupt
# buffer; here a thread sends this process the same signal, with Python lists for the shared flags


@pytest.fixture
def interrupts() -> Iterator[list[list[int]]]:
    """Arm aborts as a Pyodide worker's shim does; the flags of the Cancellations made, in order."""
    flags: list[list[int]] = []

    def new_flag() -> list[int]:
        flags.append([0])
        return flags[-1]

    before = signal.signal(abort.ABORT_SIGNUM, aio.abort_interrupt)
    abort.arm("buffer", new_flag, lambda endpoint: not getattr(endpoint, "untrusted", False))
    try:
        yield flags
    finally:
        abort._interrupts = None
        signal.signal(abort.ABORT_SIGNUM, before)


def _abort_soon(flags: list[list[int]], index: int, after: float) -> threading.Thread:
    """Once the ``index``-th Cancellation is made, wait ``after`` seconds, then set its flag and
    signal this process, as the caller's side does on abort."""

    def later() -> None:
        limit = time.monotonic() + 10
        while len(flags) <= index and time.monotonic() < limit:
            time.sleep(0.005)
        time.sleep(after)
        flags[index][0] = 1
        os.kill(os.getpid(), abort.ABORT_SIGNUM)

    thread = threading.Thread(target=later)
    thread.start()
    return thread


class Spinner:
    def __init__(self) -> None:
        self.started = asyncio.Event()

    def spin(self, signal: Cancellation) -> str:
        limit = time.monotonic() + 5
        while time.monotonic() < limit:
            pass
        return "not interrupted"

    async def spin_later(self, signal: Cancellation) -> str:
        await asyncio.sleep(0)
        return self.spin(signal)

    async def hold(self, signal: Cancellation) -> None:
        self.started.set()
        await asyncio.Event().wait()

    def add(self, a: int, b: int) -> int:
        return a + b


async def _signalled_call(port: c.MessagePort, method: str) -> tuple[asyncio.Future[Any], c.MessagePort]:
    argument, abort_port = _signal_argument()
    return asyncio.ensure_future(_call_with(port, method, argument, timeout=10)), abort_port


@pytest.mark.parametrize("method", ["spin", "spin_later"])
def test_an_abort_interrupts_the_call_that_received_the_signal(
    interrupts: list[list[int]], method: str
) -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose(Spinner(), channel.port1)
        begun = time.monotonic()
        thread = _abort_soon(interrupts, 0, 0.1)
        answer, _ = await _signalled_call(channel.port2, method)
        data = await answer
        thread.join()
        assert data["value"]["value"]["name"] == "AbortError"
        assert data["value"]["value"]["message"] == "the call was aborted"  # the reason is a message behind
        assert time.monotonic() - begun < 2
        assert await c.wrap(channel.port2).add(1, 2) == 3

    run(go())


def test_an_abort_interrupts_no_other_call(interrupts: list[list[int]]) -> None:
    """A signal whose call awaits, flagged while another call spins: the spinning call runs on,
    and the awaiting one fails once the abort's message is read."""

    async def go() -> None:
        channel = c.MessageChannel()
        spinner = Spinner()
        c.expose(spinner, channel.port1)
        waiting, waiting_port = await _signalled_call(channel.port2, "hold")
        await spinner.started.wait()
        spinning, _ = await _signalled_call(channel.port2, "spin")
        thread = _abort_soon(interrupts, 0, 0.3)  # the waiting call's flag, during the spin
        waiting_port.post_message({"reason": "stop"})
        data = await spinning
        thread.join()
        assert data["value"] == "not interrupted"
        assert (await waiting)["value"]["value"]["name"] == "AbortError"

    run(go(), timeout=60)


def test_an_abort_that_arrives_when_no_call_runs_is_ignored(interrupts: list[list[int]]) -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose(Spinner(), channel.port1)
        remote = c.wrap(channel.port2)
        _abort_soon([[0]], 0, 0).join()  # no Cancellation's flag: nothing to raise
        for _ in range(100):
            assert await remote.add(1, 2) == 3

    run(go())


def test_a_signal_from_an_endpoint_that_is_not_trusted_gets_no_interrupt_buffer(
    interrupts: list[list[int]],
) -> None:
    """Whoever holds the interrupt buffer can interrupt any call: only calls from the worker's
    starter (in Pyodide, its call port) hand it out, with the signal's flag."""

    async def told(untrusted: bool) -> list[Any]:
        """What the signal's port hears from a call on an endpoint so marked."""
        channel = c.MessageChannel()
        channel.port1.untrusted = untrusted  # type: ignore[attr-defined]
        c.expose(Signals(), channel.port1)
        argument, abort_port = _signal_argument()
        heard: list[Any] = []
        abort_port.add_listener(lambda event: heard.append(event.data))
        abort_port.start()
        assert (await _call_with(channel.port2, "check", argument))["value"] is False
        await asyncio.sleep(0.01)
        return heard

    assert run(told(False)) == [{"interrupt": "buffer", "flag": [0]}]
    assert run(told(True)) == []
    assert len(interrupts) == 1


class Deliverer:
    """A synchronous call inside which a Pyodide endpoint's entry from JS delivers an answer, as
    while a blocking call pumps its messages: where the shim's interrupt() may be raised."""

    def deliver(self) -> dict[str, bool]:
        seen = {"the call's own code": aio.interrupting(sys._getframe())}

        def answer_listener(msg_id: str, value: Any) -> bool:
            seen["an answer delivered in it"] = aio.interrupting(sys._getframe())
            return True

        JsEndpoint._answered(SimpleNamespace(_answer_listeners=(answer_listener,)), "an id", None)  # type: ignore[arg-type]
        return seen


def test_an_interrupt_is_raised_in_a_calls_own_code_never_in_an_answer_delivered_inside_it() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose(Deliverer(), channel.port1)
        seen = await c.wrap(channel.port2).deliver()
        assert seen == {"the call's own code": True, "an answer delivered in it": False}

    run(go())
