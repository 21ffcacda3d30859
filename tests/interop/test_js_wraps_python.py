"""Matrix rows 1 and 4: real JS Comlink (``Comlink.wrap``) calling Python exposed in a Pyodide worker
thread started by ``js_shim/node.mjs``."""

from __future__ import annotations

from typing import Any

import pytest

from tests.interop.conftest import NodeRun
from tests.interop.expected import JS_DATA, JS_SAMPLE_IN_PY, PY_SAMPLE_IN_JS

EQUALS: dict[str, Any] = {
    "get_nested": [3.5, True, JS_DATA],
    "set_then_get": ["fast", {"sides": [3, 4]}],
    "apply_sync": [5, "ab"],
    "apply_async": [42, 2],
    "construct": [11, 16, 16],
    "create_endpoint": ["MessagePort", 2, True],
    "release_finalizer": ["pong r1", "Proxy has been released and is not useable", True],
    "proxy_callback": [[42, 21], [7]],
    # Python got the ArrayBuffer, uncopied; on the JS side it is detached (byteLength 0).
    "transfer": [["JsArrayBuffer", 6], 0],
    "returned_proxy": ["hi, ada", True],
    "values_to_python": list(JS_SAMPLE_IN_PY.values()),
    "values_from_python": ["Object", PY_SAMPLE_IN_JS],
    "in_flight": 1000,
}


@pytest.mark.parametrize("check", list(EQUALS))
def test_observed(single: NodeRun, check: str) -> None:
    assert single[f"js_py.{check}"] == EQUALS[check]


def rejection(outcome: list[Any]) -> dict[str, Any]:
    assert outcome[0] == "rejected", outcome
    error: dict[str, Any] = outcome[1]
    assert error["isError"] is True, "a JS Error, not a bare value"
    return error


def test_python_exception_arrives_as_js_error(single: NodeRun) -> None:
    error = rejection(single["js_py.error"])
    assert (error["name"], error["message"]) == ("ValueError", "bad input")
    assert "Traceback (most recent call last)" in error["stack"]
    assert "service.py" in error["stack"] and error["stack"].rstrip().endswith("ValueError: bad input")


def test_unclonable_result_is_a_type_error(single: NodeRun) -> None:
    error = rejection(single["js_py.unclonable_result"])
    assert error["name"] == "TypeError"
    assert error["message"].startswith("Unserializable return value")
    assert "proxy()" in error["message"]


def test_private_names_are_refused(single: NodeRun) -> None:
    error = rejection(single["js_py.private_name"])
    assert error["name"] == "PermissionError" and "_private_thing" in error["message"]


def test_no_pyproxy_leaks(single: NodeRun) -> None:
    """Callbacks, returned proxies, constructed instances and extra endpoints, each made and
    released 20 times, leave Pyodide's count of live PyProxies where it was."""
    before, after = single["js_py.leaks"]
    assert before["pyproxies"] > 0, "Pyodide's PyProxy tracing is not counting"
    assert after == before
