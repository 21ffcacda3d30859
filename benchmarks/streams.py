"""The stream rows (issue 16): Node's (``node/streams.mjs``: s1, s1f, s1c, s2) and CPython's (s3 in
memory, s3p across ``comlink_py.process``), with their targets: s1 at least half its floor s1f and
at least 5x the Comlink pattern s1c. Items per second are the best of the rounds."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import comlink_py
from comlink_py import MessageChannel, process

from .stream_source import source

HERE = Path(__file__).resolve().parent
ROWS = ("s1", "s1f", "s1c", "s2", "s3", "s3p")
NAMES = {
    "s1": "Pyodide generator -> JS for-await (stream)",
    "s1f": "Pyodide generator, bare JS loop posting items (floor)",
    "s1c": "Pyodide iterator by proxy(), next() per item (Comlink)",
    "s2": "1 MiB buffers moved, Pyodide -> JS",
    "s3": "CPython -> CPython in memory (stream)",
    "s3p": "CPython -> CPython, 2 processes (stream)",
}
TARGETS = [("s1 >= 0.5x floor s1f", "s1f", 0.5), ("s1 >= 5x Comlink pattern s1c", "s1c", 5.0)]


def node_rows(smoke: bool) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on PATH: the stream rows s1 to s2 need Node 20+")
    command = [node, str(HERE / "node" / "streams.mjs"), *(["--smoke"] if smoke else [])]
    done = subprocess.run(command, cwd=HERE.parent, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("STREAMS ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"node/streams.mjs failed (exit code {done.returncode})\n{done.stdout}")
    return json.loads(lines[-1].removeprefix("STREAMS "))["rows"]  # type: ignore[no-any-return]


async def _pull_all(remote: comlink_py.Remote[Any], n: int, rounds: int) -> dict[str, Any]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        count = 0
        async for row in await remote.rows(n):
            count += row["v"] == "x"
        times.append(time.perf_counter() - start)
        if count != n:
            raise RuntimeError(f"got {count} items, not {n}")
    return {"items": n, "items_per_s": n / min(times), "seconds": times}


async def in_memory(n: int, rounds: int) -> dict[str, Any]:
    channel = MessageChannel()
    comlink_py.expose(source, channel.port1)
    remote = comlink_py.wrap(channel.port2)
    try:
        return await _pull_all(remote, n, rounds)
    finally:
        await comlink_py.release(remote)


async def across_processes(n: int, rounds: int) -> dict[str, Any]:
    remote, worker = await process.spawn("benchmarks.stream_source:source")
    async with worker:
        return await _pull_all(remote, n, rounds)


def run(smoke: bool, keys: list[str]) -> dict[str, Any]:
    n, rounds = (2000, 1) if smoke else (100_000, 3)
    rows: dict[str, Any] = {}
    if any(key in keys for key in ("s1", "s1f", "s1c", "s2")):
        rows.update({k: v for k, v in node_rows(smoke).items() if k in keys})
    if "s3" in keys:
        rows["s3"] = asyncio.run(in_memory(n, rounds))
    if "s3p" in keys:
        rows["s3p"] = asyncio.run(across_processes(n, rounds))
    checked = []
    if "s1" in rows:
        for text, other, limit in TARGETS:
            if other in rows:
                value = rows["s1"]["items_per_s"] / rows[other]["items_per_s"]
                checked.append({"target": text, "value": value, "limit": limit, "pass": value >= limit})
    return {"rows": rows, "targets": checked}


def text(streams: dict[str, Any]) -> str:
    lines = ["stream rows", f"{'row':<62}{'items/s':>12}"]
    for key, row in streams["rows"].items():
        name = f"{key}. {NAMES[key]}"
        if key == "s2":
            lines.append(
                f"{name:<62}{row['mib_per_s']:>9,.0f} MiB/s; {row['mib']:,.0f} MiB, "
                f"RSS {row['rss_before_mib']:,.0f} MiB before, {row['rss_peak_mib']:,.0f} MiB peak"
            )
        else:
            lines.append(f"{name:<62}{row['items_per_s']:>12,.0f}")
    lines += [
        f"{'PASS' if t['pass'] else 'FAIL'}  {t['target']}: {t['value']:.2f}x" for t in streams["targets"]
    ]
    return "\n".join(lines)
