"""How the examples' tests and the benchmarks start a browser: the system's Chromium, headless,
driven by Playwright (whose own browser downloads are never used)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "launch"]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright: Any, extra_args: Sequence[str] = ()) -> Any:
    """A headless Chromium Browser from a started ``sync_playwright()``; RuntimeError when the
    system has none (``bash scripts/setup.sh --browser`` installs it)."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run 'bash scripts/setup.sh --browser'")
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=[*CHROMIUM_ARGS, *extra_args]
    )
