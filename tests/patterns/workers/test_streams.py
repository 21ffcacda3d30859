"""Streams in real Chromium: a page's JS Comlink reads generators from comlink_py in a Pyodide Web
Worker (tests/patterns/workers/streams.html) and passes Python a ReadableStream."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser

from examples.workers.serve import StaticServer

from ..conftest import watched_page

pytestmark = pytest.mark.timeout(120)


def test_streams_cross_between_a_page_and_a_pyodide_worker(
    browser: Browser, static_server: StaticServer
) -> None:
    with watched_page(browser, static_server, "tests/patterns/workers/streams.html") as page:
        page.page.wait_for_function("window.streamResults !== undefined", timeout=90_000)
        results: dict[str, Any] = page.page.evaluate("window.streamResults")
        assert "failed" not in results, results["failed"]
        assert results["rows"] == {"isRemoteStream": True, "count": 5000, "last": {"i": 4999, "v": "x"}}
        assert results["readableTicks"] is True
        assert results["log"] == ["rows closed", "rows closed"]  # the whole one, then the one left early
        assert results["chunks"] == [["ArrayBuffer", 65536, i] for i in range(3)]
        assert results["beforeError"] == 1
        assert results["error"] == ["KeyError", "'no such row'"]
        assert results["readableToPython"] == ["a", "b", "c"]
        page.assert_clean()
