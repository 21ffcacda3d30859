"""Stopping work in real Chromium: on a cross-origin isolated page, interrupt() and an aborted
AbortSignal stop a runaway call in a Pyodide Web Worker (both pinned builds) and the worker serves
on; a page that is not isolated is told why interrupt() cannot work, and an AbortSignal still
cancels an async call there."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser

from examples.workers.serve import StaticServer
from tests.helpers import assert_stopped_at_each_moment

from ..conftest import watched_page

pytestmark = pytest.mark.timeout(120)
PAGE = "tests/patterns/workers/stopping.html"
INTERRUPT_MS = 100  # the bound, from interrupt() until Python raised
ABORT_MS = 50 * 2  # the bound for an awaiting async call, with a margin for 2 shared cores
ABORT_SPIN_MS = 1000  # no bound named for synchronous code: a generous one

EACH_MOMENT = "(version) => import('./stopping.mjs').then((module) => module.eachMomentInWorker(version))"

SPIN = """async ([version, isolated]) => {
    const { startPythonWorker } = await import("/js_shim/browser.mjs");
    const py = startPythonWorker({
        pyodide: version,
        code: [
            "import time, comlink_py",
            "class Api:",
            "    interrupted = 0.0",
            "    def spin(self):",
            "        try:",
            "            while True: pass",
            "        except KeyboardInterrupt:",
            "            Api.interrupted = round(time.time() * 1000)  # whole ms, as Date.now()",
            "            raise",
            "    def interrupted_at(self): return Api.interrupted",
            "    def add(self, a, b): return a + b",
            "comlink_py.expose(Api())",
        ].join("\\n"),
    });
    await py.ready;
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const result = { isolated: crossOriginIsolated };
    if (!isolated) {
        try { result.interrupt = py.interrupt(); } catch (e) { result.refused = e.message; }
        result.next = await py.remote.add(1, 2);
        py.terminate();
        return result;
    }
    result.idle = py.interrupt();
    const call = py.remote.spin().then(() => "resolved", (e) => e.name);
    await sleep(300);
    const begun = Date.now();
    result.signalled = py.interrupt();
    result.outcome = await call;
    result.stoppedMs = (await py.remote.interrupted_at()) - begun;
    result.next = await py.remote.add(1, 2);
    py.terminate();
    return result;
}"""


@pytest.mark.parametrize("version", ["314", "0.28"])
def test_interrupt_stops_a_runaway_call_on_an_isolated_page(
    browser: Browser, isolated_server: StaticServer, version: str
) -> None:
    with watched_page(browser, isolated_server, PAGE) as page:
        got: dict[str, Any] = page.page.evaluate(SPIN, [version, True])
        assert got["isolated"] is True
        assert got["idle"] is False  # no call waits: nothing to interrupt
        assert got["signalled"] is True
        assert got["outcome"] == "KeyboardInterrupt"
        assert 0 <= got["stoppedMs"] < INTERRUPT_MS
        assert got["next"] == 3
        page.assert_clean()


@pytest.mark.parametrize("version", ["314", "0.28"])
def test_interrupts_and_aborts_at_every_moment_of_a_call_on_an_isolated_page(
    browser: Browser, isolated_server: StaticServer, version: str
) -> None:
    """tests/js/each_moment.mjs in a Web Worker: no interrupt or abort is lost or escapes."""
    with watched_page(browser, isolated_server, PAGE) as page:
        got = page.page.evaluate(EACH_MOMENT, version)
        assert_stopped_at_each_moment(got)
        page.assert_clean()


def test_interrupt_on_a_page_that_is_not_isolated_says_why(
    browser: Browser, static_server: StaticServer
) -> None:
    with watched_page(browser, static_server, PAGE) as page:
        got: dict[str, Any] = page.page.evaluate(SPIN, ["314", False])
        assert got["isolated"] is False
        assert "interrupt" not in got
        assert "cross-origin isolated" in got["refused"]
        assert "Cross-Origin-Embedder-Policy: require-corp" in got["refused"]
        assert got["next"] == 3  # the worker is untouched
        page.assert_clean()


ABORT = """async ([version, methods]) => {
    const { startPythonWorker } = await import("/js_shim/browser.mjs");
    const py = startPythonWorker({
        pyodide: version,
        code: [
            "import asyncio, time, comlink_py",
            "class Api:",
            "    stopped = 0",
            "    async def wait(self, signal):",
            "        try:",
            "            await asyncio.sleep(3600)",
            "        finally:",
            "            Api.stopped = round(time.time() * 1000)",
            "    def spin(self, signal):",
            "        try:",
            "            while True: pass",
            "        finally:",
            "            Api.stopped = round(time.time() * 1000)",
            "    def stopped_at(self): return Api.stopped",
            "    def add(self, a, b): return a + b",
            "comlink_py.expose(Api())",
        ].join("\\n"),
    });
    await py.ready;
    const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
    const result = { isolated: crossOriginIsolated };
    for (const method of methods) {
        const controller = new AbortController();
        const call = py.remote[method](controller.signal).then(() => ["resolved"], (e) => [e.name]);
        await sleep(300);
        const begun = Date.now();
        controller.abort();
        const outcome = await call;
        const answeredMs = Date.now() - begun;
        const stoppedMs = (await py.remote.stopped_at()) - begun;
        result[method] = { outcome, stoppedMs, answeredMs, next: await py.remote.add(1, 2) };
    }
    py.terminate();
    return result;
}"""


@pytest.mark.parametrize("version", ["314", "0.28"])
def test_an_abort_signal_stops_async_and_synchronous_calls_on_an_isolated_page(
    browser: Browser, isolated_server: StaticServer, version: str
) -> None:
    with watched_page(browser, isolated_server, PAGE) as page:
        got: dict[str, Any] = page.page.evaluate(ABORT, [version, ["wait", "spin"]])
        assert got["isolated"] is True
        for method, bound in (("wait", ABORT_MS), ("spin", ABORT_SPIN_MS)):
            assert got[method]["outcome"] == ["AbortError"], got
            assert 0 <= got[method]["stoppedMs"] < bound, got  # unloaded: a few milliseconds
            assert got[method]["answeredMs"] < bound * 5, got
            assert got[method]["next"] == 3
        page.assert_clean()


def test_an_abort_signal_cancels_an_async_call_on_a_page_that_is_not_isolated(
    browser: Browser, static_server: StaticServer
) -> None:
    """Without SharedArrayBuffer nothing can interrupt synchronous code, but the abort's message
    still cancels a call that awaits."""
    with watched_page(browser, static_server, PAGE) as page:
        got: dict[str, Any] = page.page.evaluate(ABORT, ["314", ["wait"]])
        assert got["isolated"] is False
        assert got["wait"]["outcome"] == ["AbortError"], got
        assert 0 <= got["wait"]["stoppedMs"] < ABORT_MS, got
        assert got["wait"]["next"] == 3
        page.assert_clean()
