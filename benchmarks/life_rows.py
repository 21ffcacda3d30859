"""The lifecycle rows (``node/life_bench.mjs``): CPU-bound calls of about 200 ms each through a pool
of two Pyodide workers against the same calls through one worker (on two cores the pool should take
at most 0.6x the time), and restart() of a crashed worker next to a fresh start. The pool row needs
two cores: run it on a quiet machine, not under ``taskset``; it reports how many cores it had.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
KEY = "life"  # what --rows names these rows by
CALLS, MS, ROUNDS = 8, 200, 3
SMOKE = (4, 20, 1)
POOL_LIMIT = 0.6


def run(smoke: bool) -> dict[str, Any]:
    calls, ms, rounds = SMOKE if smoke else (CALLS, MS, ROUNDS)
    command = [
        shutil.which("node") or "node",
        str(HERE / "node" / "life_bench.mjs"),
        str(calls),
        str(ms),
        str(rounds),
    ]
    done = subprocess.run(command, cwd=HERE.parent, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH ")]
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"node/life_bench.mjs failed (exit code {done.returncode}):\n{done.stdout}")
    out: dict[str, Any] = json.loads(lines[-1].removeprefix("BENCH "))
    out["cores"] = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    pool = out["pool"]
    ratio = pool["pool_of_2_ms"] / pool["one_worker_ms"]
    out["targets"] = [
        {
            "target": f"{calls} calls through a pool of 2 <= {POOL_LIMIT}x one worker",
            "value": ratio,
            "limit": POOL_LIMIT,
            "pass": ratio <= POOL_LIMIT,
        }
    ]
    return out


def text(out: dict[str, Any]) -> str:
    """The lifecycle table: the pool against one worker, a restart against a fresh start."""
    pool, start = out["pool"], out["start"]
    burst = f"{out['calls']} CPU-bound calls of ~{out['ms_per_call']} ms"
    figures = [
        (f"{burst}, one worker", pool["one_worker_ms"]),
        ("  CPU time meanwhile", pool["one_worker_cpu_ms"]),
        (f"{burst}, a pool of 2", pool["pool_of_2_ms"]),
        ("  CPU time meanwhile", pool["pool_of_2_cpu_ms"]),
        ("fresh start (to the first answer)", start["fresh_ms"]),
        ("restart() of a crashed worker (to its answer)", start["restart_after_crash_ms"]),
    ]
    lines = [f"Worker lifecycle (Node worker_threads, Pyodide; {out['cores']} cores available)"]
    lines += [f"  {name:<48} {ms:8,.0f} ms" for name, ms in figures]
    for target in out["targets"]:
        lines.append(f"{'PASS' if target['pass'] else 'FAIL'}  {target['target']}: {target['value']:.2f}x")
    return "\n".join(lines)
