"""restart() and pools in real Chromium: a Pyodide Web Worker that crashed (os._exit), has calls
in flight or was terminated is replaced in place, the page's remote serving on, and a pool of two
workers runs calls side by side and replaces a worker that crashed. Both pinned builds restart."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser

from examples.workers.serve import StaticServer
from tests.helpers import assert_two_at_a_time

from ..conftest import watched_page

pytestmark = pytest.mark.timeout(240)
PAGE = "tests/patterns/workers/stopping.html"
MAIN = "/tests/interop/py/lifecycle.py"
CRASH = ["rejected", "Exit", "Program terminated with exit(3)"]  # Python called os._exit(3)

HELPERS = """
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const outcome = (promise) => promise.then((v) => ["resolved", v], (e) => ["rejected", e.name, e.message]);
"""

RESTART = f"""async ([version, main]) => {{
    {HELPERS}
    const {{ startPythonWorker }} = await import("/js_shim/browser.mjs");
    const progress = [];
    const onProgress = (p) => progress.push(p.kind);
    const py = startPythonWorker({{ pyodide: version, file: main, files: main, onProgress }});
    await py.ready;
    const result = {{}};
    const {{ remote, worker }} = py;
    const first = await py.remote.who();
    result.died = await outcome(py.remote.die());
    result.later = await outcome(py.remote.who());
    const restarting = py.restart();
    const queued = py.remote.who(); // waits for the new worker, as at start-up
    result.readyIsNew = py.ready === restarting;
    await restarting;
    const second = await queued;
    result.fresh = typeof second === "string" && second !== first;
    result.same = py.remote === remote && py.worker !== worker;
    const waiting = outcome(py.remote.wait());
    await sleep(300);
    await py.restart();
    result.waited = await waiting;
    const spin = outcome(py.remote.spin());
    await sleep(300);
    result.signalled = py.interrupt();
    result.spun = (await spin).slice(0, 2);
    await py.terminate();
    result.terminated = await outcome(py.remote.who());
    await py.restart();
    result.afterTerminate = await py.remote.nested.add(2, 3);
    result.progress = progress;
    await py.terminate();
    return result;
}}"""

POOL = f"""async (main) => {{
    {HELPERS}
    const {{ startPythonPool }} = await import("/js_shim/browser.mjs");
    const pool = startPythonPool({{ size: 2, file: main }});
    await pool.ready;
    const calls = await Promise.all([0, 1, 2, 3].map(() => pool.remote.work(400)));
    const old = new Set(calls.map(([token]) => token));
    const [died, worked] = await Promise.all([outcome(pool.remote.die()), outcome(pool.remote.work(300))]);
    const after = await Promise.all([0, 1, 2, 3].map(() => pool.remote.who()));
    const version = await pool.remote.version;
    const running = outcome(pool.remote.wait());
    const busy = outcome(pool.remote.wait());
    const waiting = outcome(pool.remote.who());
    await sleep(200);
    await pool.terminate();
    return {{
        tokens: calls.map(([token]) => token),
        spans: calls.map(([, begun, ended]) => [begun, ended]),
        died, worked: worked[0], after: after.map((token) => old.has(token)), version,
        stopped: [await running, await busy, await waiting],
    }};
}}"""


def evaluate(browser: Browser, server: StaticServer, script: str, arg: Any) -> dict[str, Any]:
    """What `script` returns on a fresh page, which shows no problem but Pyodide's report of its
    fatal error (the os._exit) on the worker's console."""
    with watched_page(browser, server, PAGE) as page:
        got: dict[str, Any] = page.page.evaluate(script, arg)
        page.problems = [p for p in page.problems if "exit(3)" not in p and "fatal" not in p.lower()]
        page.assert_clean()
    return got


@pytest.mark.parametrize("version", ["314", "0.28"])
def test_restart_replaces_a_crashed_busy_or_terminated_worker(
    browser: Browser, isolated_server: StaticServer, version: str
) -> None:
    got = evaluate(browser, isolated_server, RESTART, [version, MAIN])
    assert got["died"] == CRASH
    assert got["later"] == CRASH
    assert got["readyIsNew"] is True
    assert got["fresh"] is True and got["same"] is True
    restarted = "the Python worker was restarted while this call waited for its answer"
    assert got["waited"] == ["rejected", "WorkerRestarted", restarted]
    assert got["signalled"] is True and got["spun"] == ["rejected", "KeyboardInterrupt"]
    assert got["terminated"] == ["rejected", "Error", "the Python worker was terminated"]
    assert got["afterTerminate"] == 5
    assert got["progress"] == ["files"] * 4  # every start loads the files again


def test_a_pool_runs_calls_side_by_side_and_replaces_a_crashed_worker(
    browser: Browser, static_server: StaticServer
) -> None:
    got = evaluate(browser, static_server, POOL, MAIN)
    assert_two_at_a_time(got["tokens"], got["spans"])
    assert got["died"] == CRASH
    assert got["worked"] == "resolved"
    assert False in got["after"]  # the crashed worker's replacement answers
    assert got["version"] == "lifecycle 1"
    terminated = ["rejected", "Error", "the Python worker was terminated"]
    assert got["stopped"] == [terminated, terminated, ["rejected", "Error", "the Python pool was terminated"]]
