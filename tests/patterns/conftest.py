"""Browser fixtures: one localhost static server for the session, one headless Chromium per module.

Pages are watched: a console error or warning (Pyodide prints Python's stderr, tracebacks included,
as warnings), an uncaught page error, a request to anywhere but the local server, or a 4xx/5xx answer
from it is a problem that ``WatchedPage.assert_clean`` turns into a test failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Route, sync_playwright

from examples.workers.chromium import launch
from examples.workers.serve import StaticServer

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def static_server() -> Iterator[StaticServer]:
    with StaticServer(ROOT) as server:
        yield server


@pytest.fixture(scope="session")
def isolated_server() -> Iterator[StaticServer]:
    """The same, sending COOP/COEP: its pages are cross-origin isolated (SharedArrayBuffer)."""
    with StaticServer(ROOT, isolated=True) as server:
        yield server


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless /usr/bin/chromium, driven by Playwright. Hold it open for one test module at most:
    while it is open, the sync Playwright API leaves its event loop marked as running in this
    thread, so any other test's asyncio.run() would fail."""
    with sync_playwright() as playwright:
        try:
            browser = launch(playwright)
        except RuntimeError as error:
            pytest.fail(str(error))
        yield browser
        browser.close()


@pytest.fixture(scope="module")  # module, not session: see chromium()
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


class WatchedPage:
    """A page plus everything that went wrong while it was open."""

    def __init__(self, page: Page, server: StaticServer) -> None:
        self.page = page
        self.problems: list[str] = []
        self._server = server
        self._server_errors_seen = len(server.errors)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        page.on("crash", lambda _: self.problems.append("the page crashed"))

    def _on_console(self, message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            self.problems.append(f"console {message.type}: {message.text}")

    def assert_clean(self) -> None:
        failed_requests = self._server.errors[self._server_errors_seen :]
        problems = self.problems + [f"HTTP {status} for {path}" for path, status in failed_requests]
        assert not problems, "\n".join(problems)


@contextmanager
def watched_page(browser: Browser, server: StaticServer, path: str) -> Iterator[WatchedPage]:
    """Open ``path`` of the repository in a new page, watched from before it loads; close it after.

    Requests (the workers' included) may only reach the local server: any other is refused and
    counted as a problem, so a stray CDN URL fails the test even on a machine with network access.
    """
    context = browser.new_context()
    try:
        page = context.new_page()
        watched = WatchedPage(page, server)

        def refuse(route: Route) -> None:
            watched.problems.append(f"request outside the local server: {route.request.url}")
            route.abort()

        context.route(lambda url: not url.startswith(f"{server.url}/"), refuse)
        page.goto(f"{server.url}/{path.lstrip('/')}")
        yield watched
    finally:
        context.close()
