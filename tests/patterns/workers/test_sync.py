"""Blocking calls in real Chromium: Python in a Pyodide Web Worker calls the page's object (exposed
with the real Comlink.expose) through shared memory, which needs a cross-origin isolated page."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Dialog

from examples.workers.serve import StaticServer

from ..conftest import WatchedPage, watched_page

PAGE = "tests/patterns/workers/sync_page.html"
LOADED = "document.documentElement.dataset.state !== 'loading'"
pytestmark = pytest.mark.timeout(180)


def _open(browser: Browser, server: StaticServer) -> Iterator[WatchedPage]:
    with watched_page(browser, server, PAGE) as page:
        page.page.wait_for_function(LOADED, timeout=60_000)
        assert page.page.evaluate("document.documentElement.dataset.state") == "ready", page.problems
        yield page
        page.assert_clean()


@pytest.fixture(scope="module")
def isolated(browser: Browser, isolated_server: StaticServer) -> Iterator[WatchedPage]:
    yield from _open(browser, isolated_server)


def _call(page: WatchedPage, method: str) -> Any:
    return page.page.evaluate(f"window.page.remote.{method}()")


def test_the_page_is_cross_origin_isolated(isolated: WatchedPage) -> None:
    assert isolated.page.evaluate("window.page.isolated") is True


def test_blocking_calls_reach_the_page_object(isolated: WatchedPage) -> None:
    assert _call(isolated, "values") == {
        "add": 5,
        "title": "sync page",
        "error": ["RemoteError", "RangeError: out of range"],
        "big": ["JsArrayBuffer", 64 << 20, 9, 9],
        "walk": 6,
        "counter": [1, 2],
        "sent": ["Uint8Array", 64 << 20, 5],
    }


def test_python_in_one_worker_calls_python_in_another_blocking(isolated: WatchedPage) -> None:
    assert isolated.page.evaluate("window.page.callPeer()") == [42, 2, 7]


def test_create_endpoint_opens_a_second_channel_to_the_page_object(isolated: WatchedPage) -> None:
    assert _call(isolated, "endpoints") == [5, "sync page", 2]


def test_interrupt_raises_keyboard_interrupt_in_a_blocked_call(isolated: WatchedPage) -> None:
    result = isolated.page.evaluate("window.page.interruptBlocked()")
    assert result["signalled"] is True
    assert 0 <= result["stoppedMs"] < 200, result  # the bound of 100 ms, with a margin for a loaded machine
    assert result["rest"] == [0, 5]


def test_the_wrap_timeout_applies(isolated: WatchedPage) -> None:
    assert _call(isolated, "timeout") == ["TimeoutError", True]


def test_input_reads_the_page_prompt(isolated: WatchedPage) -> None:
    prompts: list[str] = []

    def answer(dialog: Dialog) -> None:
        prompts.append(dialog.message)
        dialog.accept("Grace")

    isolated.page.on("dialog", answer)
    try:
        assert _call(isolated, "ask") == "Grace"
    finally:
        isolated.page.remove_listener("dialog", answer)
    assert prompts == ["What is your name? "]


def test_without_isolation_the_first_blocking_call_names_the_headers(
    browser: Browser, static_server: StaticServer
) -> None:
    for page in _open(browser, static_server):
        assert page.page.evaluate("window.page.isolated") is False
        name, message = _call(page, "unavailable")
        assert name == "RuntimeError"
        assert "Cross-Origin-Opener-Policy: same-origin" in message
        assert "Cross-Origin-Embedder-Policy: require-corp" in message


def test_the_example_page_runs_input_in_the_worker(browser: Browser, isolated_server: StaticServer) -> None:
    with watched_page(browser, isolated_server, "examples/workers/comlink_rpc.html") as page:
        page.page.wait_for_function(LOADED, timeout=60_000)
        page.page.on("dialog", lambda dialog: dialog.accept("Ada"))
        page.page.click("#ask")
        cell = page.page.locator('td[data-call="calc.ask() → input()"]')
        cell.wait_for(timeout=30_000)
        answer = json.loads(cell.get_attribute("data-value") or "null")
        assert answer == "Hello, Ada, said input() in the worker"
        assert cell.evaluate("td => td.parentElement.dataset.outcome") == "value"
        page.assert_clean()
