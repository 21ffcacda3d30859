"""``comlink_py.js.window_endpoint`` in real Chromium: Pyodide 314 on a page talks to real JS Comlink
in a same-origin iframe over ``Comlink.windowEndpoint(parent)``, in both directions.

The page is tests/patterns/workers/window_page.html (its iframes are window_frame.html), served from
127.0.0.1 with everything from the repo and node_modules/. Each test gets a fresh page, so listeners
on the page's window never outlive their test; inputs are random, so no answer can be canned.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from examples.workers.serve import StaticServer

from ..conftest import WatchedPage, watched_page

PAGE = "tests/patterns/workers/window_page.html"
LOADED = "document.documentElement.dataset.state !== 'loading'"
NO_ANSWER_MS = 500  # how long a refused call waits before the test calls it unanswered
pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def page(browser: Browser, static_server: StaticServer) -> Iterator[WatchedPage]:
    with watched_page(browser, static_server, PAGE) as watched:
        try:
            watched.page.wait_for_function(LOADED, timeout=60_000)
        except PlaywrightTimeoutError:
            pytest.fail("\n".join(["the page did not finish loading in 60 s", *watched.problems]))
        state = watched.page.evaluate("document.documentElement.dataset.state")
        assert state == "ready", "\n".join(watched.problems)
        yield watched


def run_python(page: WatchedPage, frame_mode: str, code: str, arg: Any = None) -> Any:
    """Add the iframe ``frame`` in ``frame_mode``, then run ``code`` in the page's Pyodide with
    ``arg`` as the global ``arg``; its last expression comes back converted to JS data."""
    return page.page.evaluate(
        """async ([mode, code, arg]) => {
            await addFrame("frame", mode);
            python.globals.set("arg", python.toPy(arg));
            const answer = await python.runPythonAsync(code);
            try { return answer?.toJs?.({ dict_converter: Object.fromEntries }) ?? answer; }
            finally { answer?.destroy?.(); }
        }""",
        [frame_mode, code, arg],
    )


EXPOSE_TO_FRAME = """
import js, comlink_py
from comlink_py.js import window_endpoint

class Api:
    def add(self, a, b):
        return a + b

    async def twice_via_frame(self, callback, x):
        return 2 * await callback(x)

frame = js.document.getElementById("frame").contentWindow
exposed = comlink_py.expose(Api(), window_endpoint(frame), allowed_origins=arg["allowed"])
"""

# Called from the page, in the iframe's realm: its remote has no answer within NO_ANSWER_MS.
CALL_FROM_FRAME = """async ([a, b, x, wait]) => {
    const frame = document.getElementById("frame").contentWindow;
    const noAnswer = new Promise((resolve) => setTimeout(() => resolve("no answer"), wait));
    const add = await Promise.race([frame.remote.add(a, b), noAnswer]);
    if (add === "no answer") return { add };
    const twice = await frame.remote.twice_via_frame(frame.Comlink.proxy((v) => v + 1), x);
    return { add, twice };
}"""


def test_python_wraps_js_comlink_exposed_in_an_iframe(page: WatchedPage, static_server: StaticServer) -> None:
    a, b, n = random.randrange(10**9), random.random(), random.randint(2, 6)
    data = [random.randrange(256) for _ in range(random.randint(1, 3000))]
    got = run_python(
        page,
        "expose",
        """
import js, comlink_py
from comlink_py.js import window_endpoint

endpoint = window_endpoint(js.document.getElementById("frame").contentWindow, target_origin=arg["origin"])
frame = comlink_py.wrap(endpoint, timeout=10)  # a broken endpoint fails, never hangs
data = bytearray(arg["data"])
sums = await frame.checksum(comlink_py.transfer(data, [data]))
seen = []
total = await frame.count(arg["n"], comlink_py.proxy(seen.append))
{"add": await frame.add(arg["a"], arg["b"]), "sums": sums, "left": len(data), "total": total,
 "seen": seen, "repr": repr(endpoint)}
""",
        {"a": a, "b": b, "n": n, "data": data, "origin": static_server.url},
    )
    assert got["add"] == a + b
    assert got["sums"] == {"isArrayBuffer": True, "length": len(data), "sum": sum(data)}
    assert got["left"] == 0  # moved, not copied
    assert got["total"] == n * (n + 1) // 2
    assert got["seen"] == list(range(1, n + 1))
    assert got["repr"] == "<JsEndpoint WindowPort>"
    page.assert_clean()


def test_js_comlink_in_an_iframe_wraps_python_exposed_for_its_origin(
    page: WatchedPage, static_server: StaticServer
) -> None:
    run_python(page, "wrap", EXPOSE_TO_FRAME, {"allowed": [static_server.url]})
    a, b, x = random.randrange(10**9), random.randrange(10**9), random.randrange(10**6)
    got = page.page.evaluate(CALL_FROM_FRAME, [a, b, x, 10_000])
    assert got == {"add": a + b, "twice": 2 * (x + 1)}
    page.assert_clean()


def test_an_origin_not_allowed_gets_no_answer(page: WatchedPage, static_server: StaticServer) -> None:
    other_port = f"{static_server.url.rsplit(':', 1)[0]}:1"  # same host, another origin
    run_python(page, "wrap", EXPOSE_TO_FRAME, {"allowed": [other_port, "https://example.invalid"]})
    got = page.page.evaluate(CALL_FROM_FRAME, [1, 2, 3, NO_ANSWER_MS])
    assert got == {"add": "no answer"}
    # The request did reach Python, which refused it for its origin (and said so, as Comlink does).
    assert page.problems == [f"console warning: Invalid origin '{static_server.url}' for comlink proxy"]


def test_target_origin_and_bad_arguments(page: WatchedPage, static_server: StaticServer) -> None:
    got = run_python(
        page,
        "expose",
        """
import asyncio, js, comlink_py
from comlink_py.js import window_endpoint

frame = js.document.getElementById("frame").contentWindow
result = {}
# The browser drops a message whose target origin is not the frame's: no answer.
elsewhere = comlink_py.wrap(window_endpoint(frame, target_origin="https://example.invalid"))
try:
    await asyncio.wait_for(elsewhere.add(1, 2), arg["wait"])
except TimeoutError:
    result["elsewhere"] = "no answer"
# An explicit context (the page's own window) works as the default does.
result["explicit"] = await comlink_py.wrap(window_endpoint(frame, js.window, arg["origin"])).add(2, 3)
for name, call in {
    "target": lambda: window_endpoint(js.Object.new()),
    "context": lambda: window_endpoint(frame, js.Object.new()),
    "origin": lambda: window_endpoint(frame, None, 5),
}.items():
    try:
        call()
    except TypeError as error:
        result[name] = str(error)
result
""",
        {"wait": NO_ANSWER_MS / 1000, "origin": static_server.url},
    )
    assert got["elsewhere"] == "no answer"
    assert got["explicit"] == 5
    assert "is not a window: it has no postMessage" in got["target"]
    assert "cannot be listened on: it has no addEventListener" in got["context"]
    assert got["origin"] == "target_origin must be a str, not int"
    # Chromium reports the dropped message as a console error; nothing else may go wrong.
    dropped = [p for p in page.problems if "does not match the recipient window's origin" in p]
    assert dropped, page.problems
    assert [p for p in page.problems if p not in dropped] == []
