"""Raw JS endpoints, transferred ports and one exposure per endpoint, inside real Pyodide: each test
runs one check of ``tests/interop/py/js_endpoints.py`` there (the real npm Comlink on the JS side)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.pyodide_runner import PyodideRunner

CHECKS_FILE = Path(__file__).parent / "py" / "js_endpoints.py"
# Found by reading the file: it imports Pyodide's modules, so CPython cannot import it.
CHECKS = [
    node.name
    for node in ast.parse(CHECKS_FILE.read_text(encoding="utf-8")).body
    if isinstance(node, ast.AsyncFunctionDef) and node.name.startswith("check_")
]


@pytest.mark.parametrize("check", CHECKS)
def test_in_pyodide(check: str, pyodide: PyodideRunner) -> None:
    code = f"from tests.interop.py import js_endpoints\nawait js_endpoints.{check}()"
    reply = pyodide.run(check, code)
    assert reply["ok"], reply["error"]


def test_every_check_is_found() -> None:
    assert len(CHECKS) == 13
