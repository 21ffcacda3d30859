"""The README's first command runs this demo (after setup): it must work and say what happened."""

from __future__ import annotations

import subprocess

from tests.interop.conftest import ROOT


def test_node_demo_runs() -> None:
    done = subprocess.run(
        ["node", "examples/node_demo/main.mjs"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "summary -> { count: 8, mean: 3.875, median: 3.5, stdev: 2.748 }" in out
    assert "progress from Python: chunk 3/3, running total 21" in out
    assert "total -> 21" in out
    assert "greet_host -> HELLO NODE MAIN THREAD, THIS IS PYTHON!" in out
    assert "fail -> caught Error ValueError: Python errors reach JS as Error objects" in out
    assert "Done: worker terminated." in out
