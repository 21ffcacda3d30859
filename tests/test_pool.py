"""``spawn_pool``: worker processes that serve one target, each call on an idle worker."""

from __future__ import annotations

import asyncio
import itertools

import pytest

import comlink_py as c
from comlink_py import process
from tests.helpers import run
from tests.process_targets import Service
from tests.test_process import TARGET, reaped


def test_calls_run_on_idle_workers_at_the_same_time() -> None:
    """Two CPU-bound calls on a pool of two run in two processes and overlap in time. One core is
    enough for that: the OS shares it, so both calls still run between each other's start and end."""

    async def go() -> None:
        async with process.spawn_pool(2, TARGET) as pool:
            pids = {worker.pid for worker in pool.workers}
            first, second = await asyncio.gather(pool.remote.crunch(0.3), pool.remote.crunch(0.3))
            assert {first[0], second[0]} == pids  # one call on each worker
            assert first[1] < second[2] and second[1] < first[2]  # the two ran at once
            assert await pool.remote.value.nested[2] == 3  # reads go to a worker too
            assert await pool.remote.echo(1, k=[2]) == [[1], {"k": [2]}]
        for pid in pids:
            assert reaped(pid)

    run(go())


def test_calls_wait_for_a_worker_while_all_are_busy() -> None:
    async def go() -> None:
        async with process.spawn_pool(2, TARGET) as pool:
            results = await asyncio.gather(*(pool.remote.crunch(0.05) for _ in range(6)))
            assert len({pid for pid, _, _ in results}) == 2
            for pid in {pid for pid, _, _ in results}:  # a worker ran one call at a time
                spans = sorted((start, end) for who, start, end in results if who == pid)
                assert all(end <= next_start for (_, end), (next_start, _) in itertools.pairwise(spans))

    run(go())


def test_a_killed_worker_fails_its_call_and_a_new_one_takes_the_queue() -> None:
    async def go() -> None:
        async with process.spawn_pool(1, TARGET) as pool:
            (first,) = pool.workers
            doomed = pool.remote.slow(60)
            queued = pool.remote.pid()  # waits for the one worker
            await asyncio.sleep(0.2)
            first.kill()
            with pytest.raises(process.WorkerError, match="killed by SIGKILL") as caught:
                await asyncio.wait_for(doomed, 10)
            message = str(caught.value)
            assert f"worker process {first.pid} died" in message and "slow" in message
            assert "not retried" in message
            assert isinstance(caught.value.__cause__, c.ConnectionClosedError)
            answered = await asyncio.wait_for(queued, 30)  # once the new worker started
            (second,) = pool.workers
            assert answered == second.pid != first.pid
        assert reaped(first.pid) and reaped(second.pid)

    run(go())


def test_a_worker_that_exits_is_replaced_and_the_pool_serves_on() -> None:
    async def go() -> None:
        async with process.spawn_pool(2, TARGET) as pool:
            before = {worker.pid for worker in pool.workers}
            with pytest.raises(process.WorkerError, match="exit code 3"):
                await asyncio.wait_for(pool.remote.die(3), 10)
            for _ in range(300):  # the new worker starts in the background; calls go on meanwhile
                if len(pool.workers) == 2:
                    break
                assert await pool.remote.echo(1) == [[1], {}]
                await asyncio.sleep(0.05)
            results = await asyncio.gather(*(pool.remote.crunch(0.05) for _ in range(8)))
            after = {worker.pid for worker in pool.workers}
            assert len(after) == 2 and len(after & before) == 1
            assert {pid for pid, _, _ in results} <= after
        for pid in before | after:
            assert reaped(pid)

    run(go())


def test_close_fails_waiting_calls_and_leaves_no_task_or_process() -> None:
    async def go() -> None:
        baseline = asyncio.all_tasks()
        pool = await process.spawn_pool(2, TARGET, Service)
        pids = [worker.pid for worker in pool.workers]
        running = [pool.remote.slow(60) for _ in range(2)]
        waiting = pool.remote.pid()
        await asyncio.sleep(0.1)
        await pool.close()
        for call in [*running, waiting]:
            with pytest.raises(c.ConnectionClosedError):
                await call
        with pytest.raises(c.ReleasedProxyError):
            pool.remote.pid()
        assert asyncio.all_tasks() == baseline
        assert pool.workers == []
        for pid in pids:
            assert reaped(pid)

    run(go())


def test_what_would_reach_one_worker_s_state_is_refused() -> None:
    async def go() -> None:
        async with process.spawn_pool(1, TARGET) as pool:
            for refused in (
                lambda: c.construct(pool.remote.Counter, 1),
                lambda: c.assign(pool.remote.value, 1),
                lambda: c.create_endpoint(pool.remote),
            ):
                with pytest.raises(TypeError, match="share no state"):
                    refused()
            with pytest.raises(TypeError, match="close the pool"):
                c.release(pool.remote)
            assert await pool.remote.echo(1) == [[1], {}]  # the pool serves on

    run(go())


def test_spawn_pool_checks_its_size_and_where_it_is_called() -> None:
    with pytest.raises(ValueError, match="at least one worker"):
        process.spawn_pool(0, TARGET)
    with pytest.raises(RuntimeError, match=r"spawn_pool\(\) is called in async code") as caught:
        asyncio.run(process.spawn_pool(2, TARGET))  # type: ignore[arg-type]
    assert "async with spawn_pool(size, target) as pool:" in str(caught.value)


def test_a_pool_whose_target_fails_to_load_says_why() -> None:
    async def go() -> None:
        with pytest.raises(process.WorkerError, match="AttributeError"):
            await process.spawn_pool(2, "tests.process_targets:no_such_name")

    run(go())
