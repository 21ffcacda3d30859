"""comlink_py.js outside Pyodide: it imports (mypy and docs need that) and says clearly why it
cannot work there. Its behaviour in Pyodide is what the other interop tests check."""

from __future__ import annotations

import pytest

import comlink_py
from comlink_py import js


def test_expose_without_endpoint_outside_pyodide_says_to_pass_one() -> None:
    with pytest.raises(RuntimeError, match=r"expose\(\) needs an endpoint here: pass one") as caught:
        comlink_py.expose(object())
    assert "Pyodide" not in str(caught.value).split(";")[0]


def test_host_without_host_object_says_why() -> None:
    with pytest.raises(RuntimeError, match="without a host object"):
        js.host()


def test_non_endpoint_is_refused() -> None:
    with pytest.raises(TypeError, match="not a JS endpoint"):
        js.JsEndpoint(object())
