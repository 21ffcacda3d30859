"""Runs Python code in one real Pyodide (the pinned 314 build) under Node, the repository mounted
at /repo (``tests/js/pyodide_blocks.mjs``): for the docs' Pyodide blocks and for tests whose Python
must run inside Pyodide itself."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


class PyodideRunner:
    """One Node process with one Pyodide for many runs (it takes seconds to load); each scope is
    one namespace."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            ["node", str(ROOT / "tests" / "js" / "pyodide_blocks.mjs")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self._read()["ready"]

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, "the Pyodide runner exited"
        return json.loads(line)  # type: ignore[no-any-return]

    def run(self, scope: str, code: str) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps({"scope": scope, "code": code}) + "\n")
        self.proc.stdin.flush()
        return self._read()

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
