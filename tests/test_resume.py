"""What waits for a call (a task, gather, any done-callback) runs as soon as the answer is decoded
(in Pyodide each deferred callback is a trip through the JS event loop), and nothing else about
asyncio changes: an answer delivered inside a running task, cancellation, timeouts, errors and the
callbacks of other futures keep their usual path, and a failing callback is reported as the loop
reports it. The shim (``comlink_py.resume``, the only user of asyncio's private names) can be
switched off."""

from __future__ import annotations

import ast
import asyncio
import gc
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

import comlink_py as c
from comlink_py import resume
from comlink_py.protocol.endpoint import Listener, MessageEvent
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


def test_gather_is_done_when_the_last_answer_is_delivered() -> None:
    async def main() -> None:
        endpoint = Manual()
        remote = c.wrap(endpoint)
        outer = asyncio.gather(remote.a(), remote.b())
        seen: list[bool] = []
        _from_the_loop(lambda: (endpoint.answer(1, 0), endpoint.answer(2, 1), seen.append(outer.done())))
        await asyncio.sleep(0)
        assert seen == [True]
        assert await outer == [1, 2]

    run(main())


def test_a_failing_done_callback_is_reported_and_the_others_still_run() -> None:
    async def main() -> None:
        reported: list[dict[str, Any]] = []
        asyncio.get_running_loop().set_exception_handler(lambda loop, context: reported.append(context))
        endpoint = Manual()
        call = c.wrap(endpoint).f()
        order: list[Any] = []
        call.add_done_callback(lambda _: 1 / 0)
        call.add_done_callback(lambda done: order.append(done.result()))
        _from_the_loop(lambda: (endpoint.answer(5), order.append("delivered")))
        await asyncio.sleep(0)
        assert order == [5, "delivered"]
        assert [type(context["exception"]) for context in reported] == [ZeroDivisionError]

    run(main())


def test_callbacks_of_other_futures_keep_the_loop() -> None:
    async def main() -> None:
        endpoint, first, second = _two_calls()
        order: list[str] = []
        second.add_done_callback(lambda _: order.append("second"))
        first.add_done_callback(lambda _: (second.cancel(), order.append("first")))
        _from_the_loop(lambda: (endpoint.answer(1, 0), order.append("delivered")))
        for _ in range(3):
            await asyncio.sleep(0)
        assert order == ["first", "delivered", "second"]

    run(main())


def test_an_answer_delivered_by_a_callback_runs_its_callbacks_and_the_first_calls_go_on() -> None:
    async def main() -> None:
        endpoint, first, second = _two_calls()
        order: list[str] = []
        first.add_done_callback(lambda _: endpoint.answer(2, 1))
        first.add_done_callback(lambda _: order.append("first"))
        second.add_done_callback(lambda _: order.append("second"))
        _from_the_loop(lambda: (endpoint.answer(1, 0), order.append("delivered")))
        await asyncio.sleep(0)
        assert order == ["second", "first", "delivered"]

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


def _two_calls() -> tuple[Manual, Any, Any]:
    """An endpoint the test answers by hand, with two calls out on it (sent[0] and sent[1])."""
    endpoint = Manual()
    remote = c.wrap(endpoint)
    return endpoint, remote.a(), remote.b()


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


def test_with_the_shim_off_the_waiter_resumes_a_turn_later(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resume, "ENABLED", False)

    async def main() -> None:
        endpoint, task = await _waiting()
        seen: list[bool] = []
        _from_the_loop(lambda: (endpoint.answer(42), seen.append(task.done())))
        await asyncio.sleep(0)
        assert seen == [False]  # asyncio's own path: the wake-up was scheduled, not run
        assert await task == 42

    run(main())


@pytest.mark.parametrize(("value", "enabled"), [(None, True), ("1", True), ("0", False)])
def test_the_environment_switches_the_shim(value: str | None, enabled: bool) -> None:
    env = {k: v for k, v in os.environ.items() if k != "COMLINK_PY_RESUME"}
    if value is not None:
        env["COMLINK_PY_RESUME"] = value
    script = "import comlink_py.resume as r; print(r.ENABLED)"
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str(enabled)


def test_only_the_resume_module_uses_asyncio_private_names() -> None:
    users = set()
    for path in Path(c.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "asyncio"
                and node.attr.startswith("_")
            ):
                users.add(path.name)
    assert users == {"resume.py"}
