"""The mypy plugin: ``Remote[Api]`` is checked like ``Api`` with futures, and really catches mistakes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "typed_client.py"

# Each line that mypy must flag ends with "# E: <text the message must contain>"; reveal_type lines
# end with "# R: <the revealed type>". Without the plugin none of the E lines is an error.
SNIPPET = """\
import asyncio
from collections.abc import Callable
from typing import TypedDict

import comlink_py
from comlink_py import blocking
from comlink_py.process import spawn, spawn_pool
from typed_client import Api, Counter


class Row(TypedDict):
    id: int
    label: str


async def misuse(port: comlink_py.Endpoint) -> None:
    api = comlink_py.wrap(port, Api)
    reveal_type(api)  # R: comlink_py.aio.Remote[typed_client.Api]
    reveal_type(api.add)  # R: def (a: int, b: int) -> _asyncio.Future[int]
    reveal_type(api.greet)  # R: def (name: str) -> _asyncio.Future[str]
    reveal_type(api.settings.tags)  # R: comlink_py.aio.Remote[list[str]]
    reveal_type(await api.version)  # R: str
    made = comlink_py.construct(api.Counter, 1)
    reveal_type(made)  # R: _asyncio.Future[comlink_py.aio.Remote[typed_client.Counter]]
    api.no_such_method()  # E: Remote object "Api" has no attribute "no_such_method"
    await api.add("1", 2)  # E: Argument 1 to "add" of "Api" has incompatible type "str"; expected "int"
    wrong: str = await api.add(1, 2)  # E: expression has type "int", variable has type "str"
    twice: str = await (await api.greet("x"))  # E: Incompatible types in "await" (actual type "str"
    await api.settings.nmae  # E: Remote object "Settings" has no attribute "nmae"
    await comlink_py.construct(api.Counter, "ten")  # E: Argument 2 has incompatible type "str"
    counter = await comlink_py.construct(api.Counter, 10)
    await counter.increment(by="5")  # E: Argument "by" to "increment" of "Counter" has
    rows: comlink_py.Remote[dict[str, Row]] = comlink_py.wrap(port)
    reveal_type(await rows.first.label)  # R: str
    await rows.first.lable  # E: Remote object "Row" has no attribute "lable"
    constructor: comlink_py.Remote[type[Counter]] = comlink_py.wrap(port)
    reveal_type(constructor(3))  # R: _asyncio.Future[typed_client.Counter]
    function: comlink_py.Remote[Callable[[int], str]] = comlink_py.wrap(port)
    reveal_type(function(1))  # R: _asyncio.Future[str]
    function("1")  # E: Argument 1 has incompatible type "str"; expected "int"
    api.name = "x"  # E: "Remote[Api]" has no attribute "name"
    untyped = comlink_py.wrap(port)
    reveal_type(untyped.anything)  # R: comlink_py.aio.Remote[Any]


async def spawned() -> None:
    async with spawn("typed_client:Api", Api) as child:
        reveal_type(child)  # R: comlink_py.aio.Remote[typed_client.Api]
        await child.add(1, "2")  # E: Argument 2 to "add" of "Api" has incompatible type "str"
    remote, worker = await spawn("typed_client:Api", Api)
    reveal_type(remote.greet)  # R: def (name: str) -> _asyncio.Future[str]
    async with spawn("typed_client:Api") as untyped_child:
        reveal_type(untyped_child)  # R: comlink_py.aio.Remote[Any]
    async with spawn_pool(2, "typed_client:Api", Api) as pool:
        reveal_type(pool.remote)  # R: comlink_py.aio.Remote[typed_client.Api]
        await pool.remote.add(1, "2")  # E: Argument 2 to "add" of "Api" has incompatible type "str"
    untyped_pool = await spawn_pool(2, "typed_client:Api")
    reveal_type(untyped_pool.remote)  # R: comlink_py.aio.Remote[Any]


def blocking_misuse(port: comlink_py.Endpoint) -> None:
    api = blocking.wrap_sync(port, Api)
    reveal_type(api)  # R: comlink_py.blocking.SyncRemote[typed_client.Api]
    reveal_type(api.add)  # R: def (a: int, b: int) -> int
    reveal_type(api.add(1, 2))  # R: int
    reveal_type(blocking.get(api.version))  # R: str
    reveal_type(api.settings.tags)  # R: comlink_py.blocking.SyncRemote[list[str]]
    made = blocking.construct(api.Counter, 1)
    reveal_type(made)  # R: comlink_py.blocking.SyncRemote[typed_client.Counter]
    made.increment(by="5")  # E: Argument "by" to "increment" of "Counter" has
    api.add("1", 2)  # E: Argument 1 to "add" of "Api" has incompatible type "str"; expected "int"
    wrong: str = api.add(1, 2)  # E: expression has type "int", variable has type "str"
    api.no_such_method()  # E: Remote object "Api" has no attribute "no_such_method"
    blocking.construct(api.Counter, "ten")  # E: Argument 2 has incompatible type "str"
    api.name = "x"  # E: "SyncRemote[Api]" has no attribute "name"
"""


def _mypy(tmp: Path, files: list[Path], plugin: bool) -> tuple[int, str]:
    config = tmp / ("plugin.ini" if plugin else "plain.ini")
    config.write_text(
        "[mypy]\nstrict = True\nshow_error_codes = True\n"
        + ("plugins = comlink_py.mypy_plugin\n" if plugin else "")
        + "[mypy-js,pyodide.*]\nignore_missing_imports = True\n"
    )
    env = {**os.environ, "MYPYPATH": str(EXAMPLE.parent)}
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(config), "--cache-dir", str(tmp / "cache")]
        + [str(f) for f in files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=300,
    )
    return proc.returncode, proc.stdout + proc.stderr


@pytest.fixture(scope="module")
def snippet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("typing") / "test_snippet.py"
    path.write_text(SNIPPET)
    return path


def _expectations(marker: str) -> dict[int, str]:
    found = {}
    for number, line in enumerate(SNIPPET.splitlines(), 1):
        if f"  # {marker}: " in line:
            found[number] = line.split(f"  # {marker}: ", 1)[1]
    return found


def _by_line(output: str, path: Path, kind: str) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for match in re.finditer(rf"^{re.escape(str(path))}:(\d+): {kind}: (.*)$", output, re.MULTILINE):
        found.setdefault(int(match[1]), []).append(match[2])
    return found


def test_typed_example_passes_strict_with_the_plugin(tmp_path: Path) -> None:
    code, output = _mypy(tmp_path, [EXAMPLE], plugin=True)
    assert code == 0, output
    assert "Success: no issues found in 1 source file" in output


def test_typed_example_runs() -> None:
    proc = subprocess.run([sys.executable, str(EXAMPLE)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["3 hello typed 1.0 demo 15", "hello protocol"]


def test_plugin_reports_each_mistake_and_reveals_types(snippet: Path, tmp_path: Path) -> None:
    code, output = _mypy(tmp_path, [snippet], plugin=True)
    assert code == 1, output
    errors = _by_line(output, snippet, "error")
    expected = _expectations("E")
    assert sorted(errors) == sorted(expected), output
    for line, text in expected.items():
        assert any(text in message for message in errors[line]), (line, text, errors[line])
    notes = _by_line(output, snippet, "note")
    for line, revealed in _expectations("R").items():
        assert f'Revealed type is "{revealed}"' in notes.get(line, []), (line, notes.get(line))


def test_without_the_plugin_the_mistakes_go_unnoticed(snippet: Path, tmp_path: Path) -> None:
    """The control: plain mypy sees ``Remote[Api]`` attributes as ``Remote[Any]`` and says nothing."""
    _, output = _mypy(tmp_path, [snippet], plugin=False)
    errors = _by_line(output, snippet, "error")
    assert not set(errors) & {line for line, text in _expectations("E").items() if "Remote object" in text}
    assert 'Revealed type is "comlink_py.aio.Remote[Any]"' in output
