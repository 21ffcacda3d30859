"""comlink_py over every kind of JS endpoint Node has, with Pyodide on the main thread: a ``Worker``
object (EventEmitter style, whose 'exit' fails pending calls), Comlink's ``nodeEndpoint(worker)``
(DOM style), and a JS worker wrapping Python through ``nodeEndpoint(parentPort)``."""

from __future__ import annotations

import pytest

from tests.interop.conftest import NodeRun
from tests.interop.expected import python_wraps

EQUALS = python_wraps("js")


@pytest.mark.parametrize("check", list(EQUALS))
def test_python_wraps_a_worker_object(main_thread: NodeRun, check: str) -> None:
    assert main_thread[f"worker.{check}"] == EQUALS[check]


def test_worker_exit_fails_pending_calls(main_thread: NodeRun) -> None:
    name, message = main_thread["worker_exit"]
    assert (name, message) == ("ConnectionClosedError", "the endpoint closed while the call was pending")


def test_python_wraps_comlink_node_endpoint(main_thread: NodeRun) -> None:
    assert main_thread["node_endpoint"] == [42, "two"]


def test_js_worker_wraps_python_over_parent_port(main_thread: NodeRun) -> None:
    assert main_thread["js_worker_calls_python"] == [5, True, 2]


def test_nothing_left_listening(main_thread: NodeRun) -> None:
    """All released or exited: only the three long-lived proxies of comlink_py.js remain
    (the two converters and the id buffer)."""
    before, after = main_thread["worker.leaks"]
    assert before["pyproxies"] > 0 and after == before
    assert main_thread["live_after"] == {"pyproxies": 3, "listening": 0}
