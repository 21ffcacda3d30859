"""Streams between comlink_py peers in memory and across processes (comlink_py.streams)."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import comlink_py as c
from comlink_py import RemoteStream, process, stream, transfer
from comlink_py.aio import _link_of
from comlink_py.protocol.endpoint import close
from tests.helpers import run


class Rows:
    """A producer that records how far it ran and whether its ``finally`` ran."""

    def __init__(self) -> None:
        self.produced = 0
        self.log: list[str] = []

    def rows(self, n: int) -> Iterator[dict[str, Any]]:
        try:
            for i in range(n):
                self.produced += 1
                yield {"i": i, "v": "x"}
        finally:
            self.log.append("rows closed")

    async def ticks(self, n: int) -> AsyncIterator[int]:
        try:
            for i in range(n):
                await asyncio.sleep(0)
                self.produced += 1
                yield i
        finally:
            self.log.append("ticks closed")

    def windowed(self, n: int, batch: int, window: int, is_async: bool) -> Any:
        return stream(self.ticks(n) if is_async else self.rows(n), batch=batch, window=window)

    def failing(self) -> Iterator[int]:
        yield 1
        yield 2
        raise KeyError("no such row")

    async def failing_async(self) -> AsyncIterator[int]:
        yield 1
        raise ValueError("broken source")

    def chunks(self, kept: list[bytearray]) -> Iterator[Any]:
        for i in range(3):
            chunk = bytearray([i]) * 1024
            kept.append(chunk)
            yield transfer(chunk, [chunk])

    async def total(self, numbers: AsyncIterator[int]) -> int:
        return sum([x async for x in numbers])

    async def first(self, items: RemoteStream[int], n: int) -> list[int]:
        got = [x async for x in _take(items, n)]
        await items.aclose()
        return got


async def _take(items: AsyncIterator[int], n: int) -> AsyncIterator[int]:
    async for x in items:
        yield x
        n -= 1
        if n == 0:
            return


def _pair(obj: Any) -> tuple[c.Remote[Any], c.Exposed]:
    channel = c.MessageChannel()
    return c.wrap(channel.port2), c.expose(obj, channel.port1)


async def _settled() -> int:
    """comlink_py's tasks (pulls, pumps, closes) once the loop has had a few turns to finish them."""
    for _ in range(20):
        await asyncio.sleep(0)
    codes = [getattr(task.get_coro(), "cr_code", None) for task in asyncio.all_tasks()]
    return sum(1 for code in codes if code is not None and "comlink_py" in code.co_filename)


def test_generators_and_async_generators_arrive_as_remote_streams() -> None:
    async def go() -> None:
        rows = Rows()
        remote, _ = _pair(rows)
        got = await remote.rows(1000)
        assert isinstance(got, RemoteStream)
        assert [x async for x in got] == [{"i": i, "v": "x"} for i in range(1000)]
        assert [x async for x in await remote.ticks(300)] == list(range(300))
        windowed = [x async for x in await remote.windowed(5, 2, 1, False)]
        assert windowed == [{"i": i, "v": "x"} for i in range(5)]
        assert rows.log == ["rows closed", "ticks closed", "rows closed"]
        assert await _settled() == 0
        assert not _link_of(remote).caller.pending

    run(go())


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(0, 200),
    batch=st.integers(1, 16),
    window=st.integers(1, 4),
    is_async=st.booleans(),
    read=st.integers(1, 50),
)
def test_the_producer_runs_at_most_batch_times_window_ahead(
    n: int, batch: int, window: int, is_async: bool, read: int
) -> None:
    async def go() -> None:
        rows = Rows()
        remote, _ = _pair(rows)
        items = await remote.windowed(n, batch, window, is_async)
        got = []
        async for x in items:
            got.append(x)
            await _settled()
            assert rows.produced - len(got) <= batch * window
            if len(got) == read:
                break
        await items.aclose()
        assert len(got) == min(n, read)
        assert rows.log == [("ticks" if is_async else "rows") + " closed"]
        assert await _settled() == 0

    run(go())


def test_leaving_early_closes_the_producer() -> None:
    async def go() -> None:
        rows = Rows()
        remote, _ = _pair(rows)
        async for row in await remote.rows(10**9):  # dropped after the loop: garbage, then released
            if row["i"] == 3:
                break
        ticks = await remote.ticks(10**9)
        async with ticks:
            assert await anext(ticks) == 0
        assert rows.log[-1] == "ticks closed"  # aclose() waits for the finally
        for _ in range(50):
            await asyncio.sleep(0)
            if len(rows.log) == 2:
                break
        assert sorted(rows.log) == ["rows closed", "ticks closed"]
        assert await _settled() == 0

    run(go())


def test_a_consumer_that_goes_away_closes_the_producer() -> None:
    async def go() -> None:
        rows = Rows()
        remote, _ = _pair(rows)
        items = await remote.ticks(10**9)
        assert await anext(items) == 0
        del items
        gc.collect()
        for _ in range(100):
            await asyncio.sleep(0)
        assert rows.log == ["ticks closed"]
        # A closed port (a dead peer) closes it too.
        items = await remote.rows(10**9)
        assert await anext(items) == {"i": 0, "v": "x"}
        assert items._remote is not None
        close(_link_of(items._remote).endpoint)
        for _ in range(20):
            await asyncio.sleep(0)
        assert rows.log == ["ticks closed", "rows closed"]

    run(go())


def test_an_error_in_the_producer_follows_the_items_before_it() -> None:
    async def go() -> None:
        remote, _ = _pair(Rows())
        got: list[int] = []
        with pytest.raises(KeyError) as caught:
            async for x in await remote.failing():
                got.append(x)
        assert got == [1, 2]
        assert isinstance(caught.value, c.RemoteError)
        assert (caught.value.name, caught.value.message) == ("KeyError", "'no such row'")
        got = []
        with pytest.raises(ValueError, match="broken source"):
            async for x in await remote.failing_async():
                got.append(x)
        assert got == [1]
        assert await _settled() == 0

    run(go())


def test_transferred_chunks_are_moved_not_copied() -> None:
    async def go() -> None:
        kept: list[bytearray] = []
        remote, _ = _pair(Rows())
        got = [bytes(x) async for x in await remote.chunks(c.proxy(kept))]
        assert got == [bytes([i]) * 1024 for i in range(3)]

    run(go())


def test_async_iterators_passed_as_arguments_are_streams_both_ways() -> None:
    async def go() -> None:
        remote, _ = _pair(Rows())

        async def numbers() -> AsyncIterator[int]:
            for i in range(1, 101):
                yield i

        assert await remote.total(numbers()) == 5050
        assert await remote.total(stream(range(10), batch=3)) == 45
        log: list[str] = []

        async def endless() -> AsyncIterator[int]:
            try:
                i = 0
                while True:
                    yield i
                    i += 1
            finally:
                log.append("endless closed")

        assert await remote.first(stream(endless(), batch=4, window=1), 3) == [0, 1, 2]
        assert log == ["endless closed"]
        assert await _settled() == 0

    run(go())


def test_the_producer_served_for_a_stream_offers_pull_and_close_only() -> None:
    async def go() -> None:
        remote, _ = _pair(Rows())
        items = await remote.rows(10)
        producer = items._remote
        assert producer is not None
        for path in ("_iter", "_aiter", "pull.__globals__", "close.__self__", "__comlink_finalizer__"):
            target = producer
            for step in path.split("."):
                target = target[step]
            with pytest.raises(PermissionError):
                await target
        with pytest.raises(ValueError, match="pull"):
            await producer.pull(0)
        assert [x["i"] async for x in items] == list(range(10))

    run(go())


def test_a_generator_is_never_walked_only_streamed() -> None:
    async def go() -> None:
        def numbers() -> Iterator[int]:
            yield 1

        served = {"gen": numbers(), "made": numbers, "by_reference": lambda: c.proxy(numbers())}
        remote, _ = _pair(served)
        with pytest.raises(PermissionError, match="generator"):
            await remote.gen  # a step to a generator is refused
        with pytest.raises(PermissionError, match="generator"):
            await remote.gen.gi_frame
        assert [x async for x in await remote.made()] == [1]  # a returned one streams
        by_reference = await remote.by_reference()
        for name in ("gi_frame", "gi_code", "send", "throw"):
            with pytest.raises(PermissionError):
                await by_reference[name]

    run(go())


def test_bad_stream_options_are_refused() -> None:
    with pytest.raises(ValueError, match="batch"):
        stream(range(3), batch=0)
    with pytest.raises(ValueError, match="window"):
        stream(range(3), window=100)


def test_streams_cross_processes_both_ways() -> None:
    async def go() -> None:
        remote, worker = await process.spawn("tests.process_targets:streamer")
        async with worker:
            assert [x async for x in await remote.rows(2000)] == [{"i": i, "v": "x"} for i in range(2000)]
            async for _ in await remote.ticks(10**9):
                break
            for _ in range(100):
                if "ticks closed" in await remote.log():
                    break
                await asyncio.sleep(0.01)
            assert await remote.log() == ["rows closed", "ticks closed"]
            assert await remote.total(stream(range(1000), batch=64)) == sum(range(1000))

            # The consumer dies mid-stream: this side's generator is closed.
            log: list[str] = []

            async def endless() -> AsyncIterator[int]:
                try:
                    while True:
                        yield 1
                finally:
                    log.append("endless closed")

            assert await remote.hold(endless()) == 1
            assert log == []
            other, second = await process.spawn("tests.process_targets:streamer")
            async with second:
                assert await other.hold(endless()) == 1
                second.kill()
                for _ in range(200):
                    if log:
                        break
                    await asyncio.sleep(0.01)
                assert log == ["endless closed"]

            # The producer dies mid-stream: the consumer fails, it does not hang.
            items = await remote.ticks(10**9)
            assert await anext(items) == 0
            worker.kill()
            with pytest.raises(c.ConnectionClosedError):
                async for _ in items:
                    pass

    run(go())
