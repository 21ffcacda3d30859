"""Any interleaving of many concurrent calls resolves each call to its own answer."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import comlink_py as c
from tests.helpers import run


class Service:
    async def tagged(self, tag: int, yields: int) -> int:
        for _ in range(yields):
            await asyncio.sleep(0)
        return tag

    def sync(self, tag: int) -> int:
        return -tag


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.booleans()), min_size=1, max_size=200))
def test_each_call_resolves_to_its_own_answer(plan: list[tuple[int, bool]]) -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose(Service(), channel.port1)
        remote = c.wrap(channel.port2)
        calls = [
            remote.tagged(i, yields) if is_async else remote.sync(i)
            for i, (yields, is_async) in enumerate(plan)
        ]
        results = await asyncio.gather(*calls)
        expected = [i if is_async else -i for i, (_, is_async) in enumerate(plan)]
        assert results == expected

    run(go())


def test_two_wraps_on_one_endpoint_do_not_steal_each_others_answers() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose(Service(), channel.port1)
        first, second = c.wrap(channel.port2), c.wrap(channel.port2)
        results = await asyncio.gather(*(r.tagged(i, i % 3) for i in range(50) for r in (first, second)))
        assert results == [i for i in range(50) for _ in (0, 1)]

    run(go())


def test_calls_across_threads_each_with_its_own_event_loop() -> None:
    channel = c.MessageChannel()
    ready = threading.Event()
    stop: list[Any] = []

    def serve() -> None:
        async def main() -> None:
            c.expose(Service(), channel.port1)
            done = asyncio.get_running_loop().create_future()
            stop.append((asyncio.get_running_loop(), done))
            ready.set()
            await done

        asyncio.run(main())

    worker = threading.Thread(target=serve)
    worker.start()
    assert ready.wait(5)

    async def go() -> list[int]:
        remote = c.wrap(channel.port2)
        return list(await asyncio.gather(*(remote.tagged(i, i % 4) for i in range(500))))

    try:
        assert run(go()) == list(range(500))
    finally:
        loop, done = stop[0]
        loop.call_soon_threadsafe(done.set_result, None)
        worker.join(5)
    assert not worker.is_alive()
