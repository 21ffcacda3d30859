"""Matrix row 2: Python in a Pyodide worker wrapping an object the main thread exposed with the real
JS ``Comlink.expose`` (the shim's ``host`` option, reached as ``comlink_py.js.host()``)."""

from __future__ import annotations

import pytest

from tests.interop.conftest import NodeRun
from tests.interop.expected import python_wraps

EQUALS = python_wraps("js")


@pytest.mark.parametrize("check", list(EQUALS))
def test_observed(single: NodeRun, check: str) -> None:
    assert single[f"py_js.{check}"] == EQUALS[check]


def test_js_error_raises_remote_error_subclass(single: NodeRun) -> None:
    error = single["py_js.error"]
    assert error["classes"][:3] == ["RemoteTypeError", "RemoteError", "TypeError"]
    assert (error["name"], error["message"]) == ("TypeError", "bad input")
    assert error["stack_mentions_message"] is True


def test_transferred_bytearray_arrives_as_array_buffer(single: NodeRun) -> None:
    assert single["py_js.received_by_js"] == [["ArrayBuffer", [1, 2, 3]]]


def test_no_pyproxy_leaks(single: NodeRun) -> None:
    before, after = single["py_js.leaks"]
    assert before["pyproxies"] > 0, "Pyodide's PyProxy tracing is not counting"
    assert after == before
