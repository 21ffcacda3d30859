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
from collections.abc import Callable
from contextlib import AbstractContextManager as ContextManager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = "sync"  # what --rows names these rows by
PAGE = "benchmarks/browser/sync_bench.html"
PEERS = ("synclink", "coincident")
NAMES = {
    "comlink_py": "comlink_py blocking (shared memory)",
    "synclink": "synclink 0.2.4 syncify (through a JS helper)",
    "coincident": "coincident 4.1.1 proxy",
    "async": "comlink_py async (await host().noop())",
    "rpyc": "rpyc",
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


def process(calls: int, smoke: bool) -> dict[str, Any]:
    """comlink_py's blocking client of a process worker and rpyc, in alternating rounds."""
    from . import bench_process

    result = bench_process.run(calls, (1,), rounds=1 if smoke else 3, libraries=("comlink_py_sync", "rpyc"))
    names = {"comlink_py_sync": "comlink_py", "rpyc": "rpyc"}
    rows = {names[n]: {"round_trip_us": r["median_round_trip_us"]} for n, r in result["results"].items()}
    return {"rows": rows, "rpyc": result["rpyc_version"]}


def run(calls: int, smoke: bool, one_core: Callable[[], ContextManager[bool]]) -> dict[str, Any]:
    """Every setting; one that cannot run gives its error instead of rows. Then the targets. Node
    and Chromium run on one core, as the round trips of the other Node and browser rows do
    (``one_core``), the process rows on all, as rows 7."""
    out: dict[str, Any] = {}
    for setting, measure in (("node", node), ("chromium", chromium)):
        try:
            with one_core() as pinned:
                out[setting] = measure(calls)
            out[setting]["one_core"] = pinned
        except Exception as error:  # reported, so that the other settings still print
            out[setting] = {"error": f"{type(error).__name__}: {error}"}
    try:
        out["process"] = process(calls, smoke)
    except ImportError as error:  # rpyc is a dev dependency
        out["process"] = {"error": f"ImportError: {error}"}
    out["targets"] = targets(out)
    return out


def _round_trip(setting: dict[str, Any], key: str) -> float | None:
    row = setting.get("rows", {}).get(key, {})
    value = row.get("round_trip_us")
    return float(value) if value is not None else None


def targets(out: dict[str, Any]) -> list[dict[str, Any]]:
    """comlink_py's blocking round trip against the faster peer that ran, and against its own async
    round trip (Node, Chromium); against rpyc (processes)."""
    checked = []

    def check(
        text: str, setting: str, numerator: float | None, denominator: float | None, limit: float
    ) -> None:
        if numerator is not None and denominator:
            ratio = numerator / denominator
            checked.append(
                {"target": text, "setting": setting, "value": ratio, "limit": limit, "pass": ratio <= limit}
            )

    for setting in ("node", "chromium"):
        figures = out.get(setting, {})
        ours = _round_trip(figures, "comlink_py")
        peers = [v for v in (_round_trip(figures, peer) for peer in PEERS) if v is not None]
        check("blocking <= 1.0x the faster peer", setting, ours, min(peers, default=None), 1.0)
        check("blocking <= 2x comlink_py async", setting, ours, _round_trip(figures, "async"), 2.0)
    process_figures = out.get("process", {})
    check(
        "blocking <= 1.0x rpyc",
        "process",
        _round_trip(process_figures, "comlink_py"),
        _round_trip(process_figures, "rpyc"),
        1.0,
    )
    return checked


def text(out: dict[str, Any]) -> str:
    """The blocking-call table: per setting and row, the round trip and the long call's CPU time."""
    lines = [
        "Blocking calls: Python in a Pyodide worker -> a main-thread JS function (and CPython processes)"
    ]
    for setting in ("node", "chromium", "process"):
        figures = out.get(setting, {})
        if "error" in figures:
            lines.append(f"  {setting}: could not run: {figures['error']}")
            continue
        for key, row in figures["rows"].items():
            name = NAMES.get(key, key) if setting != "process" else f"{key} (a process worker)"
            if "error" in row:
                lines.append(f"  {setting:<9} {name:<48} cannot run: {row['error']}")
                continue
            cpu = row.get("cpu_1s_ms")
            cpu_text = "" if cpu is None else f"  CPU during a 1 s call: {cpu:,.0f} ms"
            lines.append(f"  {setting:<9} {name:<48} {row['round_trip_us']:8.1f} µs{cpu_text}")
    for target in out["targets"]:
        verdict = "PASS" if target["pass"] else "FAIL"
        lines.append(f"{verdict}  {target['setting']:<9} {target['target']}: {target['value']:.2f}x")
    return "\n".join(lines)
