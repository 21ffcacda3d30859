"""Runs the Node driver scripts of the interop matrix once per session, all at the same time.

Each script (``js/*.mjs``) starts real Pyodide worker threads through ``js_shim/node.mjs``, talks to
them with the real npm Comlink, and prints one ``RESULT {"check": ..., "value": ...}`` line per
observation. The tests compare those observations with what they expect, so every expectation
lives here in Python and a script cannot pass a check by itself.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = (
    "single_worker",
    "two_workers",
    "startup",
    "main_thread",
    "robustness",
    "custom_handlers",
    "encoding",
    "sync",
    "hostile",
    "streams",
)
TIMEOUT = 300  # seconds for one script; together they take about 15 s on 2 cores, minutes under load


class NodeRun:
    """One driver script running in the background; its observations once it has finished."""

    def __init__(self, script: str, env: dict[str, str] | None = None) -> None:
        node = shutil.which("node")
        if node is None or not (ROOT / "node_modules" / "pyodide").is_dir():
            raise RuntimeError("interop tests need node and node_modules: run scripts/setup.sh")
        self.script = script
        self.env = env
        self.proc = subprocess.Popen(
            [node, str(ROOT / "tests" / "interop" / "js" / f"{script}.mjs")],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=None if env is None else {**os.environ, **env},
        )
        self._results: dict[str, dict[str, Any]] | None = None
        self.stderr = ""

    @property
    def results(self) -> dict[str, dict[str, Any]]:
        if self._results is None:
            try:
                out, self.stderr = self.proc.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, self.stderr = self.proc.communicate()
                self.stderr += f"\n[killed after {TIMEOUT} s]"
            self._results = {}
            for line in out.splitlines():
                if line.startswith("RESULT "):
                    entry = json.loads(line[len("RESULT ") :])
                    self._results[entry["check"]] = entry
        return self._results

    def __getitem__(self, check: str) -> Any:
        entry = self.results.get(check)
        if entry is None:
            pytest.fail(
                f"{self.script}.mjs reported no {check!r} (exit code {self.proc.returncode}); "
                f"stderr:\n{self.stderr[-3000:]}"
            )
        if "error" in entry:
            error = entry["error"]
            pytest.fail(f"{check} threw in node: {error['name']}: {error['message']}\n{error['stack']}")
        return entry["value"]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.communicate()


@pytest.fixture(scope="session")
def node_runs() -> Iterator[dict[str, NodeRun]]:
    runs = {name: NodeRun(name) for name in SCRIPTS}
    try:
        yield runs
    finally:
        for run in runs.values():
            run.stop()


def _script(fixture_name: str, script: str, doc: str) -> Any:
    """A session fixture giving one driver script's run."""

    @pytest.fixture(scope="session", name=fixture_name)
    def fixture(node_runs: dict[str, NodeRun]) -> NodeRun:
        return node_runs[script]

    fixture.__doc__ = doc
    return fixture


single = _script("single", "single_worker", "Rows 1, 2, 4 and queued calls: one worker, py/service.py.")
pair = _script("pair", "two_workers", "Row 3: two workers, Python wrapping Python over a MessageChannel.")
startup = _script("startup", "startup", "Row 5: workers whose start-up fails.")
main_thread = _script("main_thread", "main_thread", "Python on Node's main thread over Worker objects.")
robustness = _script("robustness", "robustness", "Garbage from JS, a worker dying mid-call, a closed port.")
custom_handlers = _script("custom_handlers", "custom_handlers", "One transfer handler name in JS and Python.")
hostile = _script("hostile", "hostile", "A hostile JS peer: the policy's doors, killers, fuzz, the walk.")


@pytest.fixture(scope="session")
def stopping() -> Iterator[NodeRun]:
    """Interrupts, CANCEL between workers and to real Comlink. Started on its own when first used
    (after the scripts above have finished), as its checks time how soon work stops."""
    run = NodeRun("stopping")
    try:
        yield run
    finally:
        run.stop()


@pytest.fixture(scope="session")
def hostile_unshortcut() -> Iterator[NodeRun]:
    """js/hostile.mjs again with the Pyodide fast path's shortcuts off (COMLINK_PY_FASTPATH=0): a
    request that skips the generic checks must meet exactly the same refusals. Started when first
    used, after the scripts above."""
    run = NodeRun("hostile", {"COMLINK_PY_FASTPATH": "0"})
    try:
        yield run
    finally:
        run.stop()


streams = _script("streams", "streams", "Streams both ways between real Comlink and a Pyodide worker.")
encoding = _script("encoding", "encoding", "JsEndpoint's shortcuts against Pyodide's general conversions.")
sync = _script("sync", "sync", "Blocking calls from a Pyodide worker to JS Comlink over shared memory.")
