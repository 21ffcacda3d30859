"""Bad input, dead peers, cancellation and leaks: nothing hangs, nothing dies, nothing stays behind."""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import comlink_py as c
from tests.helpers import recording_channel, run


class Target:
    healthcheck = "alive"

    def __init__(self) -> None:
        self.data = {"k": [1, 2, 3]}

    def echo(self, *args: Any) -> Any:
        return args

    def method_object(self) -> Any:
        return self.echo  # a bound method cannot be cloned

    def deep(self, depth: int) -> Any:
        value: Any = []
        for _ in range(depth):
            value = [value]
        return value


anything = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)
paths = st.lists(st.sampled_from(["data", "k", "0", "echo", "deep", "method_object", "nope", "__class__"]))
wire_values = st.fixed_dictionaries(
    {"type": st.sampled_from(["RAW", "HANDLER", "PROXY", 3])},
    optional={"value": anything, "name": st.sampled_from(["proxy", "throw", "kwargs", "nope", 1])},
)
requests = st.fixed_dictionaries(
    {"id": st.text(min_size=1, max_size=6) | st.integers(1, 10**6)},
    optional={
        "type": st.sampled_from(["GET", "SET", "APPLY", "CONSTRUCT", "ENDPOINT", "BOGUS", 7, None])
        | st.lists(st.just("RAW"), max_size=1),  # unhashable: it cannot even be looked up in a set
        "path": paths | anything,
        "argumentList": st.lists(wire_values | anything, max_size=3) | anything,
        "value": wire_values | anything,
    },
)
garbage = st.one_of(requests, anything)


def _answers_expected(message: Any) -> bool:
    return isinstance(message, dict) and bool(message) and message.get("id") is not None


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(garbage, min_size=40, max_size=50))
def test_thousands_of_malformed_messages_get_clear_answers_and_the_worker_lives(batch: list[Any]) -> None:
    async def go() -> None:
        near, far = recording_channel()
        c.expose(Target(), far)
        near.start()
        for message in batch:
            near.post_message(message)
        for _ in range(20):
            await asyncio.sleep(0)
        answers = list(far.sent)
        assert len(answers) == sum(_answers_expected(m) for m in batch)
        for answer in answers:
            assert answer["type"] in ("RAW", "HANDLER")
            if answer["type"] == "HANDLER" and answer["name"] == "throw":
                assert answer["value"]["value"]["message"], "every error says what went wrong"
        assert await c.wrap(near).healthcheck == "alive"

    run(go())


def test_huge_deep_and_unclonable_results_are_errors_not_crashes() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose(Target(), channel.port1)
        remote = c.wrap(channel.port2)
        with pytest.raises(TypeError, match="Unserializable return value"):
            await remote.method_object()
        with pytest.raises(TypeError, match="Unserializable return value"):
            await remote.deep(100_000)
        big = "x" * 10_000_000
        assert len(await remote.echo(big)) == 1
        assert await remote.healthcheck == "alive"

    run(go())


def test_the_classic_escape_to_os_is_refused() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose(Target(), channel.port1)
        remote = c.wrap(channel.port2)
        escape = remote.echo["__func__"]["__globals__"]["os"]["system"]
        with pytest.raises(PermissionError, match="'__func__'"):
            await escape("echo pwned")
        with pytest.raises(PermissionError, match="'__class__'"):
            await remote["__class__"]["__init__"]["__globals__"]
        with pytest.raises(PermissionError):
            await c.assign(remote["__class__"], 1)

    run(go())


def never_answering() -> c.MessageChannel:
    """A channel whose port1 serves ``wait()``, which never answers, and ``ok()``, which does."""
    channel = c.MessageChannel()
    loop = asyncio.get_running_loop()
    # A future per call: the caller's cancel cancels the task awaiting it, and with it the future.
    c.expose({"wait": loop.create_future, "ok": lambda: 1}, channel.port1)
    return channel


def test_a_closed_peer_fails_pending_calls_promptly() -> None:
    async def go() -> None:
        channel = never_answering()
        remote = c.wrap(channel.port2)
        calls = [remote.wait() for _ in range(3)]
        await asyncio.sleep(0)
        channel.port1.close()
        for call in calls:
            with pytest.raises(c.ConnectionClosedError):
                await asyncio.wait_for(call, 1)
        with pytest.raises(c.ConnectionClosedError):
            await remote.wait()

    run(go())


def test_timeouts_and_cancellation_leave_no_pending_entry() -> None:
    async def go() -> None:
        channel = never_answering()
        remote = c.wrap(channel.port2, timeout=0.05)
        with pytest.raises(TimeoutError, match=r"no answer within 0\.05 s"):
            await remote.wait()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(c.wrap(channel.port2).wait(), 0.01)
        cancelled = remote.wait()
        cancelled.cancel()
        await asyncio.sleep(0)
        assert remote._link.caller.pending == {}
        assert await remote.ok() == 1

    run(go())


def test_release_leaves_no_listener_port_or_pending_entry() -> None:
    async def go() -> None:
        channel = never_answering()
        remote = c.wrap(channel.port2)
        pending = remote.wait()
        await c.release(remote)
        with pytest.raises(c.ReleasedProxyError):
            await pending
        for port in (channel.port1, channel.port2):
            assert port.closed and port._listeners == []
        assert remote._link.caller.pending == {}

    run(go())


def test_ten_thousand_callback_proxies_leave_memory_flat() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose({"call": lambda cb, x: cb(x)}, channel.port1)
        remote = c.wrap(channel.port2)

        async def batch(n: int) -> None:
            for i in range(n):
                assert await remote.call(c.proxy(lambda x: x + 1), i) == i + 1
            for _ in range(5):
                await asyncio.sleep(0)
            gc.collect()

        await batch(1_000)
        tracemalloc.start()
        await batch(1_000)
        before = tracemalloc.take_snapshot()
        await batch(8_000)
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        growth = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
        assert growth < 200_000, f"memory grew by {growth} bytes over 8,000 callback proxies"

    run(go(), timeout=120)
