"""The blocking-call rows: a no-op call from Python in a Pyodide worker to a JS function on the main
thread, blocking with comlink_py and with the peers (synclink 0.2.4's syncify, coincident 4.1.1),
and the same call made asynchronously with comlink_py; in Node (``node/sync_bench.mjs``) and in
headless Chromium on a cross-origin isolated page (``browser/sync_bench.html``). Also the CPU time
spent while one blocking call waits a second: in Node the process's (``process.cpuUsage``), in
Chromium that of the Chromium processes this run started (from /proc), the page idle meanwhile.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PAGE = "benchmarks/browser/sync_bench.html"
PEERS = ("synclink", "coincident")
NAMES = {
    "comlink_py": "comlink_py blocking (shared memory)",
    "synclink": "synclink 0.2.4 syncify (through a JS helper)",
    "coincident": "coincident 4.1.1 proxy",
    "async": "comlink_py async (await host().noop())",
}


def node(calls: int) -> dict[str, Any]:
    command = [shutil.which("node") or "node", str(HERE / "node" / "sync_bench.mjs"), str(calls)]
    done = subprocess.run(command, cwd=HERE.parent, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"node/sync_bench.mjs failed (exit code {done.returncode}):\n{done.stdout}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("BENCH "))
    return result


def _stat(pid: str) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _chromium_cpu_ms() -> float:
    """CPU time (user + system) of the Chromium processes this process started, in ms: its
    descendants (other Chromium instances on the machine are not counted)."""
    stats = {pid: fields for pid in os.listdir("/proc") if pid.isdigit() and (fields := _stat(pid))}
    me = str(os.getpid())
    total = 0
    for pid, fields in stats.items():
        parent = fields[1]
        while parent not in (me, "0", "1") and parent in stats:
            parent = stats[parent][1]
        if parent == me and pid != me:
            total += int(fields[11]) + int(fields[12])
    return total * 1000 / os.sysconf("SC_CLK_TCK")


def chromium(calls: int) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    from examples.workers.chromium import launch
    from examples.workers.serve import StaticServer

    with StaticServer(isolated=True) as server, sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            page = browser.new_page()
            problems: list[str] = []
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.goto(f"{server.url}/{PAGE}")
            page.wait_for_function("globalThis.syncBench !== undefined", timeout=120_000)
            error = page.evaluate("globalThis.syncBench.error ?? null")
            if error or problems:
                raise RuntimeError("\n".join([error or "", *problems]).strip())
            rows: dict[str, Any] = page.evaluate("(calls) => globalThis.syncBench.measure(calls)", calls)
            for key in ("comlink_py", *PEERS):
                before = _chromium_cpu_ms()
                page.evaluate("(row) => globalThis.syncBench.long(row)", key)
                rows[key]["cpu_1s_ms"] = _chromium_cpu_ms() - before
            version = browser.version
        finally:
            browser.close()
    return {"rows": rows, "chromium": version}


def run(calls: int) -> dict[str, Any]:
    """Both settings; a setting that cannot run gives its error instead of rows."""
    out: dict[str, Any] = {}
    for setting, measure in (("node", node), ("chromium", chromium)):
        try:
            out[setting] = measure(calls)
        except Exception as error:  # reported, so the other rows still print
            out[setting] = {"error": f"{type(error).__name__}: {error}"}
    return out
