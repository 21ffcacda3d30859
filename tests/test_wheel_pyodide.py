"""The pure-Python wheel installs in real Pyodide offline, from a local file, and works there.

The wheel is built from a copy of the sources (so a build here never touches the working tree),
installed with ``pyodide.loadPackage(path)`` under Node, and then used for real round trips over a JS
``MessageChannel``: JS Comlink calling Python, Python calling JS Comlink, and Python calling Python.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import comlink_py

ROOT = Path(__file__).resolve().parent.parent
MODULES = ROOT / "node_modules"

SCRIPT = """
import { loadPyodide } from %(pyodide)s;
import * as Comlink from %(comlink)s;

// A broken round trip must fail with a message, not hang.
const within = (promise, what) => Promise.race([promise, new Promise((_, reject) =>
  setTimeout(() => reject(new Error(`${what}: no answer within 20 s`)), 20000).unref())]);
const pyodide = await loadPyodide();
await pyodide.loadPackage(%(wheel)s, { messageCallback: () => {} });
globalThis.Comlink = Comlink;

// JS Comlink wraps an object that Python exposes on a JS MessageChannel.
const toPython = new MessageChannel();
globalThis.pythonSide = toPython.port2;
// Python wraps an object that JS Comlink exposes.
const toJs = new MessageChannel();
globalThis.jsSide = toJs.port1;
Comlink.expose({ twice: (x) => 2 * x, name: "js" }, toJs.port2);

const where = await within(pyodide.runPythonAsync(`
import asyncio, js
import comlink_py
from comlink_py.js import JsEndpoint

class Api:
    def greet(self, who):
        return f"hello {who} from Python"

    async def slow_sum(self, values):
        await asyncio.sleep(0)
        return sum(values)

comlink_py.expose(Api(), JsEndpoint(js.pythonSide))
comlink_py.__file__
`), "Python expose");
const remote = Comlink.wrap(toPython.port1);
const greeting = await within(remote.greet("JS"), "JS calling Python");
const total = await within(remote.slow_sum([1, 2, 3.5]), "JS calling async Python");

const fromPython = await within(pyodide.runPythonAsync(`
js_remote = comlink_py.wrap(JsEndpoint(js.jsSide))
doubled = await js_remote.twice(21)
name = await js_remote.name

own = js.MessageChannel.new()
comlink_py.expose({"add": lambda a, b: a + b}, JsEndpoint(own.port2))
python_remote = comlink_py.wrap(JsEndpoint(own.port1))
added = await python_remote.add(2, 3)
await comlink_py.release(python_remote)
[doubled, name, added]
`), "Python calling JS and Python");
console.log(JSON.stringify({
  where, greeting, total, fromPython: fromPython.toJs(),
  version: pyodide.runPython("import comlink_py; comlink_py.__version__"),
  python: pyodide.runPython("import sys; '%%d.%%d' %% sys.version_info[:2]"),
}));
process.exit(0);
"""


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    src = tmp_path_factory.mktemp("src")
    shutil.copy(ROOT / "pyproject.toml", src)
    shutil.copy(ROOT / "README.md", src)
    shutil.copytree(ROOT / "comlink_py", src / "comlink_py", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (built,) = dist.glob("*.whl")
    yield built


def test_the_wheel_is_pure_python_and_complete(wheel: Path) -> None:
    assert wheel.name == f"comlink_py-{comlink_py.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"comlink_py-{comlink_py.__version__}.dist-info/METADATA").decode()
    sources = {
        f"comlink_py/{p.relative_to(ROOT / 'comlink_py').as_posix()}"
        for p in (ROOT / "comlink_py").rglob("*.py")
    }
    assert sources <= names, sources - names
    assert "comlink_py/py.typed" in names
    modules = {f"comlink_py/pyodide/{p.name}" for p in (ROOT / "comlink_py" / "pyodide").glob("*.mjs")}
    assert modules and modules <= names, modules - names
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dll"))]
    required = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert all("extra ==" in line for line in required), required  # nothing to fetch at install


@pytest.mark.parametrize("build", ["pyodide", "pyodide-0.28"])
def test_the_wheel_installs_offline_in_pyodide_and_round_trips(
    wheel: Path, build: str, tmp_path: Path
) -> None:
    script = tmp_path / "round_trip.mjs"
    script.write_text(
        SCRIPT
        % {
            "pyodide": json.dumps(str(MODULES / build / "pyodide.mjs")),
            "comlink": json.dumps(str(MODULES / "comlink" / "dist" / "esm" / "comlink.mjs")),
            "wheel": json.dumps(str(wheel)),
        }
    )
    proc = subprocess.run(["node", str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    # Installed from the wheel into site-packages, not picked up from the source tree.
    assert result["where"].endswith("/site-packages/comlink_py/__init__.py"), result
    assert result["version"] == comlink_py.__version__
    assert result["python"] == ("3.14" if build == "pyodide" else "3.13")
    assert result["greeting"] == "hello JS from Python"
    assert result["total"] == 6.5
    assert result["fromPython"] == [42, "js", 5]
