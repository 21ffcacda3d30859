"""Matrix row 5: calls made while the worker starts are queued and answered; a start-up that fails
rejects them, and every later call, with the error; nothing hangs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.interop.conftest import NodeRun


def test_calls_made_while_pyodide_loads_are_answered(single: NodeRun) -> None:
    assert single["startup.queued_calls"] == {"ready_when_issued": False, "answers": [42, "two", 8, 4]}
    assert single["startup.ready"] == "ready"


def errors(outcome: dict[str, Any]) -> list[dict[str, Any]]:
    """The errors of ready, the early calls and the late call; each must be a rejection."""
    settled = [outcome["ready"], *outcome["early"], outcome["late"]]
    assert [s[0] for s in settled] == ["rejected"] * 4, settled
    return [s[1] for s in settled]


FAILURES = {
    # check: (error name, text in the message, text in the stack)
    "raises": ("ValueError", "start-up failed on purpose", 'File "<comlink_py main>", line 2'),
    # Exposed, then failed: the calls that waited are refused too, not answered by a broken worker.
    "raises_after_expose": ("RuntimeError", "late failure", 'File "<comlink_py main>", line 8'),
    "never_exposes": ("RuntimeError", "without calling comlink_py.expose()", "run_main"),
    "syntax_error": ("SyntaxError", "invalid syntax", "def broken(:"),
    "pyodide_missing": ("Error", "/nonexistent/pyodide/", "ERR_MODULE_NOT_FOUND"),
    "file_missing": ("Error", "ENOENT", "/nonexistent/main.py"),
}


@pytest.mark.parametrize("check", list(FAILURES))
def test_failed_start_up_rejects_every_call(startup: NodeRun, check: str) -> None:
    name, message, stack = FAILURES[check]
    found = errors(startup[f"startup.{check}"])
    for error in found:
        assert error["isError"] is True
        assert error["name"] == name
        assert message in error["message"]
        assert stack in error["stack"]
    assert len({e["message"] for e in found}) == 1, "ready and every call carry the same error"


def test_terminate_rejects_pending_and_later_calls(startup: NodeRun) -> None:
    pending, later = startup["startup.terminated_while_pending"]
    for outcome in (pending, later):
        assert outcome[0] == "rejected"
        assert outcome[1]["message"] == "the Python worker was terminated"


def test_bad_options_are_refused(startup: NodeRun) -> None:
    outcome = startup["startup.bad_options"]
    assert outcome[0] == "rejected" and outcome[1]["name"] == "TypeError"


@pytest.mark.parametrize("script", ["single_worker", "two_workers", "startup", "main_thread"])
def test_node_exits_cleanly_after_terminate(node_runs: dict[str, NodeRun], script: str) -> None:
    """terminate() frees the workers and their ports, so Node exits by itself."""
    run = node_runs[script]
    assert run.results, f"{script}.mjs reported nothing"
    assert run.proc.returncode == 0, run.stderr[-3000:]
