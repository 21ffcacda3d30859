"""A task awaiting a call resumes as soon as the answer is decoded (in Pyodide each deferred
wake-up is a trip through the JS event loop), and nothing else about asyncio changes: a wake-up
from inside a running task, cancellation, timeouts and other done-callbacks keep their usual path
and order."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable, Sequence
from typing import Any

import pytest

import comlink_py as c
from comlink_py.endpoint import Listener, MessageEvent
from tests.helpers import run


class Manual:
    """An endpoint the test answers by hand."""

    def __init__(self) -> None:
        self.sent: list[Any] = []
        self.listeners: list[Listener] = []

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        self.sent.append(message)

    def add_listener(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self.listeners.remove(listener)

    def answer(self, value: Any, index: int = -1) -> None:
        self.deliver({"type": "RAW", "value": value, "id": self.sent[index]["id"]})

    def throw(self, name: str, message: str) -> None:
        error = {"isError": True, "value": {"name": name, "message": message}}
        self.deliver({"type": "HANDLER", "name": "throw", "value": error, "id": self.sent[-1]["id"]})

    def deliver(self, data: Any) -> None:
        for listener in list(self.listeners):
            listener(MessageEvent(data))


def test_the_waiting_task_has_resumed_when_the_answer_is_delivered() -> None:
    async def main() -> None:
        endpoint, task = await _waiting()
        seen: list[bool] = []
        _from_the_loop(lambda: (endpoint.answer(42), seen.append(task.done())))
        await asyncio.sleep(0)
        assert seen == [True]
        assert task.result() == 42

    run(main())


def test_an_answer_delivered_inside_a_running_task_resumes_the_waiter_later() -> None:
    async def main() -> None:
        endpoint, task = await _waiting()
        endpoint.answer(7)  # from inside this test's own task: no other task may run now
        assert not task.done()
        assert await task == 7

    run(main())


def test_done_callbacks_registered_first_still_run_first() -> None:
    async def main() -> None:
        endpoint = Manual()
        remote = c.wrap(endpoint)
        order: list[str] = []
        call = remote.f()
        call.add_done_callback(lambda _: order.append("callback"))

        async def waiter() -> None:
            await call
            order.append("task")

        task = asyncio.create_task(waiter())
        await asyncio.sleep(0)
        _from_the_loop(lambda: endpoint.answer(1))
        await task
        assert order == ["callback", "task"]

    run(main())


def test_an_error_answer_reaches_the_task_and_counts_as_retrieved(caplog: pytest.LogCaptureFixture) -> None:
    async def main() -> None:
        endpoint, task = await _waiting()
        _from_the_loop(lambda: endpoint.throw("KeyError", "gone"))
        with pytest.raises(KeyError, match="gone"):
            await task

    with caplog.at_level(logging.ERROR, logger="asyncio"):
        run(main())
        gc.collect()
    assert "never retrieved" not in caplog.text


@pytest.mark.parametrize("bound", ["timeout", "wait_for"])
def test_timeouts_still_raise_timeout_error_and_forget_the_call(bound: str) -> None:
    async def main() -> None:
        endpoint = Manual()
        remote = c.wrap(endpoint)
        with pytest.raises(TimeoutError):
            if bound == "timeout":
                async with asyncio.timeout(0.02):
                    await remote.never()
            else:
                await asyncio.wait_for(remote.never(), 0.02)
        endpoint.answer("late")  # ignored: the call was forgotten
        assert await _answered(endpoint, remote.next()) == "next"

    run(main())


def test_cancelling_the_waiting_task_cancels_it() -> None:
    async def main() -> None:
        _, task = await _waiting()
        _from_the_loop(task.cancel)
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())


async def _await(call: Any) -> Any:
    return await call


async def _waiting() -> tuple[Manual, asyncio.Task[Any]]:
    """A task awaiting a call whose request is out, and the endpoint that will answer it."""
    endpoint = Manual()
    task = asyncio.create_task(_await(c.wrap(endpoint).f()))
    await asyncio.sleep(0)
    return endpoint, task


def _from_the_loop(callback: Callable[[], Any]) -> None:
    """Run ``callback`` as a loop callback, as every transport delivers messages (no task runs)."""
    asyncio.get_running_loop().call_soon(callback)


async def _answered(endpoint: Manual, call: Any) -> Any:
    _from_the_loop(lambda: endpoint.answer("next"))
    return await call
