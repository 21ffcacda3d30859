"""A Python worker's life in real Pyodide under Node, called with real Comlink (js/lifecycle.mjs):
restart() in place, autoRestart, and pools of workers for stateless calls."""

from __future__ import annotations

from tests.helpers import assert_two_at_a_time
from tests.interop.conftest import NodeRun

CRASH = ["rejected", "Exit", "Program terminated with exit(3)"]  # Python called os._exit(3)
RESTARTED = [
    "rejected",
    "WorkerRestarted",
    "the Python worker was restarted while this call waited for its answer",
]
TERMINATED = ["rejected", "Error", "the Python worker was terminated"]


def test_restart_after_a_crash_keeps_the_same_remote_and_queues_calls(lifecycle: NodeRun) -> None:
    result = lifecycle["lifecycle.restart_after_crash"]
    assert result["died"] == CRASH  # the call that crashed the worker fails, and is not retried
    assert result["later"] == CRASH  # so do calls made before restart()
    assert result["fresh"] is True  # the call made while restarting waited, and a new worker answered
    assert result["sameRemote"] is True
    assert result["newWorker"] is True
    assert result["progress"] == ["files", "files"]  # onProgress heard both starts


def test_restart_rejects_the_calls_that_wait_and_serves_the_queued_ones(lifecycle: NodeRun) -> None:
    result = lifecycle["lifecycle.restart_while_calls_wait"]
    assert result["waited"] == [RESTARTED, RESTARTED]  # an async and a sync call, both in flight
    assert result["interruptWhileStarting"] is False
    assert result["readyIsNew"] is True  # restart() returns the new start's `ready`
    assert result["fresh"] is True
    assert result["answers"] == [5, "lifecycle 1"]


def test_interrupt_works_on_the_restarted_worker(lifecycle: NodeRun) -> None:
    result = lifecycle["lifecycle.interrupt_after_restart"]
    assert result == {"signalled": True, "spun": ["rejected", "KeyboardInterrupt"], "next": 2}


def test_restart_after_terminate(lifecycle: NodeRun) -> None:
    result = lifecycle["lifecycle.restart_after_terminate"]
    assert result == {"terminated": TERMINATED, "fresh": True}


def test_auto_restart_does_not_start_a_failing_main_code_again(lifecycle: NodeRun) -> None:
    result = lifecycle["lifecycle.auto_restart_failed_start"]
    assert result == {"failed": ["rejected", "ValueError", "no start"], "sameWorker": True}


def test_a_pool_of_two_runs_four_calls_two_at_a_time(lifecycle: NodeRun) -> None:
    result = lifecycle["lifecycle.pool_parallel"]
    assert_two_at_a_time(result["tokens"], result["spans"])
    assert result["nested"] == 42 and result["version"] == "lifecycle 1"
    assert (result["size"], result["workers"]) == (2, 2)


def test_a_crash_in_a_pool_fails_that_call_only_and_a_new_worker_answers(lifecycle: NodeRun) -> None:
    result = lifecycle["lifecycle.pool_crash"]
    assert result["died"] == CRASH
    assert result["worked"] == "resolved"  # the other worker's call
    assert result["distinctBefore"] == 2
    assert len(result["after"]) == 4 and False in result["after"]  # a new worker answers among them


def test_a_pool_refuses_what_it_cannot_do_and_terminate_ends_it(lifecycle: NodeRun) -> None:
    result = lifecycle["lifecycle.pool_misuse"]
    size = "TypeError: startPythonPool needs 'size', a whole number of workers (at least 1)"
    assert result["refused"] == [size] * 4
    set_error, new_error = result["misuse"]
    assert set_error.startswith("TypeError: a pool's workers each have their own state")
    assert new_error.startswith("TypeError: a pool cannot construct objects")
    assert result["itself"] == "function"
    assert result["running"] == [TERMINATED, TERMINATED]
    assert result["waiting"] == ["rejected", "Error", "the Python pool was terminated"]
    assert result["later"] == ["rejected", "Error", "the Python pool was terminated"]


def test_node_exits_once_everything_is_terminated(lifecycle: NodeRun) -> None:
    assert lifecycle["lifecycle.done"] == "ended"
    assert lifecycle.proc.returncode == 0, lifecycle.stderr[-3000:]
