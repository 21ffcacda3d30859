"""``python -m benchmarks.steps [--calls N] [--settings node,chromium] [--json PATH]``

The CPU cost of each step of one no-op call in Pyodide, beside JS Comlink's own, in one thread
(``steps.mjs`` drives ``stages.py``): where row 3's and row 4's time goes apart from what JS Comlink
spends in row 2. Node runs on one core; Chromium too. Prints a table per side and writes JSON.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from . import browser, report
from .__main__ import one_core

HERE = Path(__file__).resolve().parent
DEFAULT_JSON = HERE / "results" / "steps.json"
SETTINGS = ("node", "chromium")


def in_node(calls: int) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on PATH")
    command = [node, str(HERE / "node" / "steps.mjs"), str(calls)]
    done = subprocess.run(command, cwd=HERE.parent, stdout=subprocess.PIPE, text=True, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("STEPS ")]
    if done.returncode != 0 or not lines:
        sys.stdout.write(done.stdout)
        raise SystemExit(f"node/steps.mjs failed (exit code {done.returncode})")
    return json.loads(lines[-1].removeprefix("STEPS "))  # type: ignore[no-any-return]


def in_chromium(calls: int) -> dict[str, Any]:
    return browser.page_result("benchmarks/browser/steps.html", {"calls": calls}, "stepsResult")


# The stages compared with another stage than the one before them.
BESIDE = {"walk": "validate", "served": "served, switch off", "awaited, switch off": "awaited"}


def table(result: dict[str, Any], side: str) -> str:
    """One side's stages: µs per call, the step's own cost (the stage minus the one before, for
    cumulative stages, or minus the stage it is set beside), and what it is."""
    figures: dict[str, float] = result[side]
    described: dict[str, str] = result["descriptions"][side]
    lines = [f"| {side} stage | µs per call | step | what |", "| --- | ---: | ---: | --- |"]
    before: float | None = None
    for stage, value in figures.items():
        text = described[stage]
        step = value - before if before is not None and text.startswith("+") else None
        if stage in BESIDE:
            step = value - figures[BESIDE[stage]]
        lines.append(f"| {stage} | {value:.2f} | {'' if step is None else f'{step:+.2f}'} | {text} |")
        before = value if stage != "comlink" else None
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.steps", description=__doc__)
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--settings", default=",".join(SETTINGS))
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    args = parser.parse_args(argv)
    results: dict[str, Any] = {"meta": report.machine()}
    for setting in args.settings.split(","):
        with one_core() as pinned:
            result = in_node(args.calls) if setting == "node" else in_chromium(args.calls)
        result["one_core"] = pinned
        results[setting] = result
        print(f"\n{setting} ({args.calls} calls, least of {result['rounds']} rounds, one core: {pinned})\n")
        print(table(result, "exposing"))
        print()
        print(table(result, "wrapping"))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2))
    print(f"\nwritten to {args.json}")


if __name__ == "__main__":
    main()
