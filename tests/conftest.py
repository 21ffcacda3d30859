"""Fixtures shared by test modules of different folders."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.pyodide_runner import PyodideRunner


@pytest.fixture(scope="module")
def pyodide() -> Iterator[PyodideRunner]:
    """A real Pyodide under Node for the module's tests."""
    runner = PyodideRunner()
    yield runner
    runner.close()
