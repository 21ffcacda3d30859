"""Matrix row 3: Python wrapping Python across two Pyodide instances in two worker threads, joined by
a JS MessageChannel whose ends the main thread transferred to them."""

from __future__ import annotations

import pytest

from tests.interop.conftest import NodeRun
from tests.interop.expected import python_wraps

EQUALS = python_wraps("python")


def test_port_arrives_as_js_endpoint(pair: NodeRun) -> None:
    assert pair["py_py.serve"] == "JsEndpoint"


@pytest.mark.parametrize("check", list(EQUALS))
def test_observed(pair: NodeRun, check: str) -> None:
    assert pair[f"py_py.{check}"] == EQUALS[check]


def test_python_error_keeps_its_class(pair: NodeRun) -> None:
    error = pair["py_py.error"]
    assert error["classes"][:3] == ["RemoteValueError", "RemoteError", "ValueError"]
    assert (error["name"], error["message"]) == ("ValueError", "bad input")
    assert error["stack_mentions_message"] is True


def test_no_pyproxy_leaks_on_either_side(pair: NodeRun) -> None:
    before, after = pair["py_py.leaks"]
    assert before["pyproxies"] > 0 and after == before
    # Once the client dropped its Remote (released on garbage collection), the server closed the
    # peer port: what is left is its default endpoint's listener and the three long-lived proxies
    # of comlink_py.js (the two converters and the id buffer).
    assert pair["py_py.server_live_after"] == {"pyproxies": 4, "listening": 1}
