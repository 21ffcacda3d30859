"""End to end in real Chromium: JS Comlink on a page calls a Python object that comlink_py exposes in a
Pyodide Web Worker, for both pinned Pyodide builds (314 in a module worker, 0.28 in a classic one).

The page is examples/workers/comlink_rpc.html, served from 127.0.0.1 with everything from the repo
and node_modules/. It runs its own demo (checked from the DOM); the tests then make fresh calls with
random inputs through the same proxies, so no answer can be canned.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from examples.workers.serve import StaticServer

from ..conftest import ARTIFACTS, WatchedPage, watched_page

PYTHON_OF = {"314": "3.14.", "0.28": "3.13."}
LOADED = "document.documentElement.dataset.state !== 'loading'"
pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module", params=list(PYTHON_OF), ids=lambda v: f"pyodide-{v}")
def version(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def rpc_page(version: str, browser: Browser, static_server: StaticServer) -> Iterator[WatchedPage]:
    with watched_page(browser, static_server, f"examples/workers/comlink_rpc.html?pyodide={version}") as page:
        try:
            page.page.wait_for_function(LOADED, timeout=60_000)
        except PlaywrightTimeoutError:
            pytest.fail("\n".join(["the page did not finish loading in 60 s", *page.problems]))
        yield page


def evaluate(page: WatchedPage, script: str, arg: Any = None) -> Any:
    return page.page.evaluate(script, arg)


def shown_results(page: WatchedPage) -> dict[str, dict[str, Any]]:
    """The page's result table: call -> the raw value (its data-value), the text a person reads
    and the row's outcome."""
    return evaluate(  # type: ignore[no-any-return]
        page,
        """Object.fromEntries([...document.querySelectorAll("td[data-call]")].map((td) => [
            td.dataset.call,
            {
                value: JSON.parse(td.dataset.value),
                text: td.textContent,
                outcome: td.parentElement.dataset.outcome,
            },
        ]))""",
    )


def test_page_reaches_ready_and_shows_results(rpc_page: WatchedPage, version: str) -> None:
    state = evaluate(rpc_page, "document.documentElement.dataset.state")
    status = rpc_page.page.locator("#status").inner_text()
    assert state == "ready", "\n".join([status, *rpc_page.problems])
    shown = shown_results(rpc_page)
    python = shown["calc.python"]["value"]
    assert python.startswith(PYTHON_OF[version])
    assert shown["calc.add(2, 3)"]["value"] == 5
    assert shown['calc.greet("page")']["value"] == f"Hello, page, from Python {python} in a worker"
    assert shown['calc.fail("no such luck")']["value"] == "ValueError: no such luck"
    sums = {"length": 1000, "sum": sum(i % 256 for i in range(1000)), "pageBuffer": 0}
    assert shown["calc.checksum(transfer(1000 bytes))"]["value"] == sums
    assert shown["calc.count(5, proxy(onProgress))"]["value"] == 15
    assert shown["main-thread Python → worker Python"]["value"] == [42, 10, [1, 2, 3, 4], python]
    rpc_page.assert_clean()


def test_a_person_can_tell_values_from_the_expected_error(rpc_page: WatchedPage) -> None:
    """Issue 14, item 9: the expected error is marked as such, not like a success, and every value
    of a row with several says what it is."""
    shown = shown_results(rpc_page)
    outcomes = {call: row["outcome"] for call, row in shown.items()}
    assert outcomes.pop('calc.fail("no such luck")') == "expected-error"
    assert set(outcomes.values()) == {"value"}
    badges = rpc_page.page.locator("[data-outcome] .badge").all_inner_texts()
    assert badges.count("⚠ expected error") == 1 and badges.count("✓ value") == len(outcomes)
    colour = "(row) => getComputedStyle(row).backgroundColor"
    error_row = rpc_page.page.locator('[data-outcome="expected-error"]').evaluate(colour)
    value_rows = set(
        rpc_page.page.locator('[data-outcome="value"]').evaluate_all(f"rows => rows.map({colour})")
    )
    assert error_row not in value_rows
    assert shown['calc.fail("no such luck")']["text"] == (
        "raised in Python, caught as a JS Error: ValueError: no such luck"
    )
    assert shown["calc.checksum(transfer(1000 bytes))"]["text"] == (
        "length: 1000 · sum: 124716 · page's buffer after the transfer: 0 bytes"
    )
    python = shown["calc.python"]["value"]
    assert shown["main-thread Python → worker Python"]["text"] == (
        f"add(20, 22): 42 · count(4, callback): 10 · callback saw: [1,2,3,4] · worker's Python: {python}"
    )


def test_calls_resolve_with_the_right_values(rpc_page: WatchedPage, version: str) -> None:
    a, b = random.randint(-(10**9), 10**9), random.random()
    name = f"tester-{random.randrange(10**6)}"
    nested = [random.randrange(100), {"k": [True, None, "ü"]}]
    got = evaluate(
        rpc_page,
        """async ([a, b, name, nested]) => [
            await demo.calc.add(a, b), await demo.calc.greet(name), await demo.calc.add(nested, [name]),
            await demo.calc.python]""",
        [a, b, name, nested],
    )
    assert got[0] == a + b
    assert got[1] == f"Hello, {name}, from Python {got[3]} in a worker"
    assert got[2] == [*nested, name]
    assert got[3].startswith(PYTHON_OF[version])
    rpc_page.assert_clean()


def test_python_exception_is_a_js_error_named_after_the_python_class(rpc_page: WatchedPage) -> None:
    message = f"failure {random.randrange(10**6)}"
    got = evaluate(
        rpc_page,
        """async (message) => {
            try { await demo.calc.fail(message); return null; }
            catch (e) {
                return { isError: e instanceof Error, name: e.name, message: e.message, stack: e.stack };
            }
        }""",
        message,
    )
    assert got is not None, "the call resolved instead of rejecting"
    assert got["isError"] is True
    assert got["name"] == "ValueError"
    assert got["message"] == message
    assert "raise ValueError(message)" in got["stack"]  # the Python traceback travels as the stack
    rpc_page.assert_clean()


def test_transferred_array_buffer_is_detached_in_the_page(rpc_page: WatchedPage) -> None:
    data = [random.randrange(256) for _ in range(random.randint(1, 5000))]
    got = evaluate(
        rpc_page,
        """async (data) => {
            const buffer = Uint8Array.from(data).buffer;
            const sums = await demo.calc.checksum(demo.Comlink.transfer(buffer, [buffer]));
            return { sums, byteLength: buffer.byteLength, detached: buffer.detached };
        }""",
        data,
    )
    assert got["sums"] == {"length": len(data), "sum": sum(data)}
    assert got["byteLength"] == 0
    assert got["detached"] is True
    rpc_page.assert_clean()


def test_python_calls_back_into_the_page_and_updates_the_dom(rpc_page: WatchedPage) -> None:
    n = random.randint(3, 9)
    got = evaluate(
        rpc_page,
        """async (n) => {
            const text = document.getElementById("progress-text");
            const seen = [];
            const observer = new MutationObserver(() => seen.push(text.textContent));
            observer.observe(text, { childList: true, characterData: true, subtree: true });
            const total = await demo.count(n);
            await new Promise((resolve) => setTimeout(resolve, 0));  // let the observer report
            observer.disconnect();
            return { total, seen, value: document.getElementById("progress").value };
        }""",
        n,
    )
    assert got["total"] == n * (n + 1) // 2
    assert got["seen"] == [f"{i} / {n}" for i in range(1, n + 1)]
    assert got["value"] == n
    assert rpc_page.page.locator("#progress-text").inner_text() == f"{n} / {n}"
    rpc_page.assert_clean()


def test_main_thread_python_wraps_the_worker_python(rpc_page: WatchedPage) -> None:
    a, b, n = random.randrange(10**6), random.randrange(10**6), random.randint(2, 6)
    got = evaluate(
        rpc_page,
        """async ([a, b, n]) => {
            const answer = await demo.python.runPythonAsync(`
                seen = []
                total = await calc.count(${n}, comlink_py.proxy(lambda i, n: seen.append((i, n))))
                [await calc.add(${a}, ${b}), total, seen]
            `);
            try { return answer.toJs(); } finally { answer.destroy(); }
        }""",
        [a, b, n],
    )
    assert got == [a + b, n * (n + 1) // 2, [[i, n] for i in range(1, n + 1)]]
    rpc_page.assert_clean()


def test_start_python_worker_with_code_host_and_failures(rpc_page: WatchedPage, version: str) -> None:
    x = random.randrange(10**6)
    got = evaluate(
        rpc_page,
        """async ([version, x]) => {
            const { startPythonWorker } = await import("/js_shim/browser.mjs");
            const describe = (e) => ({ isError: e instanceof Error, name: e.name, message: e.message });
            const good = startPythonWorker({
                pyodide: version,
                code: [
                    "import comlink_py",
                    "from comlink_py.js import host",
                    "class Api:",
                    "    async def twice_on_host(self, x):",
                    "        return await host().twice(x)",
                    "    def js_comlink(self):",  // the worker shims make JS Comlink a global
                    "        import js",
                    "        return [js.Comlink.wrap.name, js.Comlink.expose.name]",
                    "comlink_py.expose(Api())",
                ].join("\\n"),
                host: { twice: (v) => 2 * v },
            });
            const bad = startPythonWorker({ pyodide: version, code: "def broken(:\\n" });
            const early = bad.remote.anything(1).then(() => null, describe);  // made before Python failed
            const value = await good.remote.twice_on_host(x);  // also made before Python was ready
            const jsComlink = await good.remote.js_comlink();
            await good.ready;
            const badReady = await bad.ready.then(() => null, describe);
            good.terminate();
            bad.terminate();
            const afterTerminate = await good.remote.twice_on_host(1).then(() => null, describe);
            let unknown = null;
            try { startPythonWorker({ pyodide: "9", code: "" }); } catch (e) { unknown = describe(e); }
            return { value, jsComlink, early: await early, badReady, afterTerminate, unknown };
        }""",
        [version, x],
    )
    assert got["value"] == 2 * x
    assert got["jsComlink"] == ["wrap", "expose"]
    for failure in (got["badReady"], got["early"]):
        assert failure is not None, got
        assert failure["isError"] is True
        assert failure["name"] == "SyntaxError"
    assert got["afterTerminate"]["message"] == "the Python worker was terminated"
    assert got["unknown"]["name"] == "TypeError"
    assert "unknown Pyodide version" in got["unknown"]["message"]
    rpc_page.assert_clean()


def test_screenshot_is_saved_and_not_blank(rpc_page: WatchedPage, version: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"comlink_rpc-pyodide-{version}.png"
    png = rpc_page.page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes() == png
    # Decode it with the browser's own PNG decoder and count the colours of its pixels.
    stats = evaluate(
        rpc_page,
        """async (b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const bitmap = await createImageBitmap(new Blob([bytes], { type: "image/png" }));
            const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
            const context = canvas.getContext("2d");
            context.drawImage(bitmap, 0, 0);
            const image = context.getImageData(0, 0, bitmap.width, bitmap.height);
            const pixels = new Uint32Array(image.data.buffer);
            const counts = new Map();
            for (const p of pixels) counts.set(p, (counts.get(p) ?? 0) + 1);
            return { pixels: pixels.length, colours: counts.size, commonest: Math.max(...counts.values()) };
        }""",
        base64.b64encode(png).decode(),
    )
    assert stats["pixels"] > 100_000
    assert stats["colours"] >= 50, stats  # text, table and progress bar, anti-aliased
    assert stats["commonest"] / stats["pixels"] < 0.95, stats  # not one flat background
    rpc_page.assert_clean()
