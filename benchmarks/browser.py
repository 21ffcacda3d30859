"""Rows b2, b2p, b3 and b3u: the page ``browser/bench.html`` in the system's headless Chromium, served from a
localhost static server (``node_modules/`` included, no CDN), calling Web Workers with JS Comlink.

Run like the Node rows: the no-op round trips with Chromium on one core, then everything on all
cores. Chromium runs with ``--js-flags=--expose-gc``, so that each payload sample collects garbage
on both sides, as in Node.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlencode

ROWS = ("b2", "b2p", "b3", "b3u")
PAGE = "benchmarks/browser/bench.html"
# Pyodide loads in the worker first (a few seconds); 64 MiB payloads take most of the rest.
TIMEOUT_MS = 600_000


class BrowserMissing(RuntimeError):
    """Chromium or Playwright is not installed."""


@contextlib.contextmanager
def _browser() -> Iterator[tuple[Any, str]]:
    """A headless Chromium and the URL of a server of this repository, for one part of the run."""
    try:
        from playwright.sync_api import sync_playwright

        from examples.workers.chromium import launch
        from examples.workers.serve import StaticServer
    except ImportError as error:
        raise BrowserMissing(f"rows {', '.join(ROWS)} need Playwright: {error}") from error
    with StaticServer(isolated=True) as server, sync_playwright() as playwright:
        try:
            browser = launch(playwright, ["--js-flags=--expose-gc"])
        except RuntimeError as error:
            raise BrowserMissing(str(error)) from error
        try:
            yield browser, server.url
        finally:
            browser.close()


def run_page(keys: Sequence[str], calls: int, smoke: bool, part: str) -> dict[str, Any]:
    """One load of the page: ``{"rows": ..., "meta": ...}``; its error or console errors raise."""
    query = {"calls": calls, "rows": ",".join(keys), "part": part, **({"smoke": 1} if smoke else {})}
    return page_result(PAGE, query, "benchResult")


def page_result(page_path: str, query: dict[str, Any], variable: str) -> dict[str, Any]:
    """Load a page of this repository and return ``globalThis[variable]`` once the page sets it;
    an ``error`` key in it, a page error or a console error raises."""
    with _browser() as (browser, url):
        page = browser.new_page()
        problems: list[str] = []

        def on_console(message: Any) -> None:
            if message.type == "error":
                problems.append(f"console: {message.text}")

        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", on_console)
        page.goto(f"{url}/{page_path}?{urlencode(query)}")
        page.wait_for_function(f"globalThis.{variable} !== undefined", timeout=TIMEOUT_MS)
        result: dict[str, Any] = page.evaluate(f"globalThis.{variable}")
    if "error" in result or problems:
        raise RuntimeError("\n".join([result.get("error", ""), *problems]).strip())
    return result
