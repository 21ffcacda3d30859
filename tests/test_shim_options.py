"""The shim's start-up options in Node: `files` and `packages` (with progress), `unref` and
`await using` (Symbol.asyncDispose), and `debug` with the environment passed through. Real Pyodide
in worker threads; wheels are built here and read from disk, the distribution's own packages come
from a copy of the npm pyodide folder with a lock file that lists them. No network."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from examples.workers.serve import StaticServer
from tests.patterns.conftest import chromium, watched_page

ROOT = Path(__file__).resolve().parent.parent
NODE_SHIM = (ROOT / "js_shim" / "node.mjs").as_uri()
TIMEOUT = 150


def build_wheel(folder: Path, name: str, modules: dict[str, str]) -> Path:
    """A pure-Python wheel `name`-1.0 holding `modules` (path in the wheel -> source)."""
    path = folder / f"{name}-1.0-py3-none-any.whl"
    info = f"{name}-1.0.dist-info"
    files = {
        **modules,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    for member, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{member},sha256={digest},{len(text.encode())}")
    files[f"{info}/RECORD"] = "\n".join([*record, f"{info}/RECORD,,", ""])
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in files.items():
            archive.writestr(member, text)
    return path


def make_extras(folder: Path) -> None:
    """What the `files` and `packages` tests load: a folder (with the files.json a browser needs),
    a single file, a zip and a wheel."""
    package = folder / "lib" / "pkgdir"
    package.mkdir(parents=True)
    (folder / "lib" / "foldermod.py").write_text("NAME = 'from a folder'\n")
    (package / "__init__.py").write_text("def where():\n    return 'a package in the folder'\n")
    (folder / "lib" / "files.json").write_text(json.dumps(["foldermod.py", "pkgdir/__init__.py"]))
    (folder / "single.py").write_text("SINGLE = 'one file'\n")
    with zipfile.ZipFile(folder / "lib.zip", "w") as archive:
        archive.writestr("zipmod.py", "X = 'from a zip'\n")
        archive.writestr("zippkg/__init__.py", "Y = 'a package in a zip'\n")
    build_wheel(folder, "tinypkg", {"tinypkg/__init__.py": "def hello(n):\n    return f'tiny {n}'\n"})


CHECK_EXTRAS = """import comlink_py, foldermod, pkgdir, single, zipmod, zippkg, tinypkg
comlink_py.expose({'all': lambda: [foldermod.NAME, pkgdir.where(), single.SINGLE, zipmod.X, zippkg.Y,
                                   tinypkg.hello(2)]})
"""
EXPECTED_VALUES = ["from a folder", "a package in the folder", "one file", "from a zip", "a package in a zip"]
EXPECTED_VALUES += ["tiny 2"]


def distribution(folder: Path) -> Path:
    """A Pyodide distribution folder: the npm package's files, and a lock file that also lists
    `tinydist` (which depends on `tinydep`; both wheels present) and `tinyorphan` (whose
    dependency `tinygone` has no file)."""
    dist = folder / "dist"
    dist.mkdir()
    npm = ROOT / "node_modules" / "pyodide"
    for item in npm.iterdir():
        if item.name != "pyodide-lock.json":
            (dist / item.name).symlink_to(item)
    lock = json.loads((npm / "pyodide-lock.json").read_text())
    wheels = {
        "tinydist": build_wheel(
            dist, "tinydist", {"tinydist.py": "import tinydep\nVALUE = tinydep.BASE + 1\n"}
        ),
        "tinydep": build_wheel(dist, "tinydep", {"tinydep.py": "BASE = 41\n"}),
        "tinyorphan": build_wheel(dist, "tinyorphan", {"tinyorphan.py": ""}),
    }
    depends = {"tinydist": ["tinydep"], "tinyorphan": ["tinygone"]}
    for name, wheel in [*wheels.items(), ("tinygone", dist / "tinygone-1.0-py3-none-any.whl")]:
        lock["packages"][name] = {
            "name": name,
            "version": "1.0",
            "file_name": wheel.name,
            "install_dir": "site",
            "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest() if wheel.exists() else "0" * 64,
            "package_type": "package",
            "imports": [name],
            "depends": depends.get(name, []),
            "unvendored_tests": False,
        }
    (dist / "pyodide-lock.json").write_text(json.dumps(lock))
    return dist


ADDER = "import comlink_py\ncomlink_py.expose({'add': lambda a, b: a + b})"
ENV_READER = "import comlink_py, os\ncomlink_py.expose({'env': lambda: os.environ.get('SHIM_TEST_VALUE')})"
SCRIPTS = {
    "extras": f"""
    import {{ startPythonWorker }} from "{NODE_SHIM}";
    const events = [];
    const python = startPythonWorker({{
      code: {json.dumps(CHECK_EXTRAS)},
      files: ["lib", "single.py", "lib.zip"],
      packages: "tinypkg-1.0-py3-none-any.whl",
      onProgress: (progress) => events.push(progress),
    }});
    try {{
      console.log(JSON.stringify({{ values: await python.remote.all(), events }}));
    }} finally {{
      await python.terminate();
    }}
    """,
    "distribution": f"""
    import {{ startPythonWorker }} from "{NODE_SHIM}";
    const outcome = async (options) => {{
      const python = startPythonWorker({{ code: "import comlink_py\\ncomlink_py.expose({{}})", ...options }});
      try {{
        await python.ready;
        return "ready";
      }} catch (error) {{
        return error.message;
      }} finally {{
        await python.terminate();
      }}
    }};
    const code = "import comlink_py, tinydist\\ncomlink_py.expose({{'value': tinydist.VALUE}})";
    const good = startPythonWorker({{ code, indexURL: "dist/", packages: ["tinydist"] }});
    const refusals = [];
    for (const bad of [{{ files: 1 }}, {{ packages: [""] }}, {{ onProgress: "yes" }}]) {{
      try {{
        startPythonWorker({{ code: "", ...bad }});
      }} catch (error) {{
        refusals.push(`${{error.name}}: ${{error.message}}`);
      }}
    }}
    console.log(JSON.stringify({{
      value: await good.remote.value,
      orphan: await outcome({{ indexURL: "dist/", packages: ["tinyorphan"] }}),
      numpy: await outcome({{ packages: ["NumPy"] }}),
      unknown: await outcome({{ packages: ["no-such-thing"] }}),
      missingWheel: await outcome({{ packages: ["nowhere-1.0-py3-none-any.whl"] }}),
      missingFile: await outcome({{ files: ["nowhere.py"] }}),
      refusals,
    }}));
    await good.terminate();
    """,
    # Never terminated: with unref, Node exits once the answer is in (the start-up and the waiting
    # call hold it meanwhile: without that, top-level await would end the process with code 13).
    "unref": f"""
    import {{ startPythonWorker }} from "{NODE_SHIM}";
    const {{ remote }} = startPythonWorker({{ code: {json.dumps(ADDER)}, unref: true }});
    console.log(JSON.stringify(await remote.add(40, 2)));
    """,
    # The same without unref: the worker holds the process until terminated.
    "held": f"""
    import {{ startPythonWorker }} from "{NODE_SHIM}";
    const {{ remote }} = startPythonWorker({{ code: {json.dumps(ADDER)} }});
    console.log(JSON.stringify(await remote.add(40, 2)));
    """,
    "dispose": f"""
    import {{ startPythonWorker }} from "{NODE_SHIM}";
    const python = startPythonWorker({{ code: {json.dumps(ADDER)} }});
    const sum = await python.remote.add(1, 2);
    await python[Symbol.asyncDispose]();
    const after = await python.remote.add(1, 2).then(() => "answered", (error) => error.message);
    console.log(JSON.stringify({{ sum, after, same: python[Symbol.asyncDispose] === python.terminate }}));
    """,
    "debug": f"""
    import {{ startPythonWorker }} from "{NODE_SHIM}";
    const code = {json.dumps(ENV_READER)};
    const debug = process.argv[2] === "default" ? undefined : process.argv[2] === "true";
    // The worker's console reaches this thread on a port of its own, in no order with the calls'
    // answers: wait (up to 2 s) for the answer's trace line to come through before terminating.
    const write = process.stderr.write.bind(process.stderr);
    let traced;
    const answerTraced = new Promise((resolve) => (traced = resolve));
    process.stderr.write = (chunk, ...rest) => {{
      if (String(chunk).includes('-> {{"type":"RAW","value":"passed through"')) traced();
      return write(chunk, ...rest);
    }};
    const python = startPythonWorker({{ code, debug }});
    const value = await python.remote.env();
    await Promise.race([answerTraced, new Promise((resolve) => setTimeout(resolve, 2000))]);
    console.log(JSON.stringify(value));
    await python.terminate();
    """,
}


class Run:
    def __init__(self, folder: Path, name: str, *args: str, env: dict[str, str] | None = None) -> None:
        self.folder = folder
        script = folder / f"{name}.mjs"
        script.write_text(SCRIPTS[name])
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            ["node", str(script), *args],
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "SHIM_TEST_VALUE": "passed through", **(env or {})},
        )
        self._out: tuple[str, str] | None = None

    def output(self) -> tuple[str, str]:
        if self._out is None:
            try:
                self._out = self.proc.communicate(timeout=TIMEOUT)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, err = self.proc.communicate()
                self._out = (out, err + f"\n[killed after {TIMEOUT} s]")
        return self._out

    def result(self) -> Any:
        out, err = self.output()
        assert self.proc.returncode == 0, out + err
        return json.loads(out)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Run]]:
    """Every script started at once (each loads Pyodide, which takes seconds)."""
    folder = tmp_path_factory.mktemp("shim")
    make_extras(folder)
    distribution(folder)
    started = {
        "extras": Run(folder, "extras"),
        "distribution": Run(folder, "distribution"),
        "unref": Run(folder, "unref"),
        "held": Run(folder, "held"),
        "dispose": Run(folder, "dispose"),
        "debug on": Run(folder, "debug", "true"),
        "debug off": Run(folder, "debug", "false", env={"COMLINK_PY_DEBUG": "1"}),
        "debug from env": Run(folder, "debug", "default", env={"COMLINK_PY_DEBUG": "1"}),
        "debug unset": Run(folder, "debug", "default"),
    }
    yield started
    for run in started.values():
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.communicate()


def test_files_and_packages_are_importable_and_report_progress(runs: dict[str, Run]) -> None:
    result = runs["extras"].result()
    assert result["values"] == EXPECTED_VALUES
    assert result["events"] == [
        {"kind": "files", "name": "lib", "done": 1, "total": 3},
        {"kind": "files", "name": "single.py", "done": 2, "total": 3},
        {"kind": "files", "name": "lib.zip", "done": 3, "total": 3},
        {"kind": "packages", "name": "tinypkg-1.0-py3-none-any.whl", "done": 1, "total": 1},
    ]


def test_packages_of_the_distribution_load_by_name_with_their_dependencies(runs: dict[str, Run]) -> None:
    assert runs["distribution"].result()["value"] == 42


def test_what_cannot_load_is_a_clear_start_up_error(runs: dict[str, Run]) -> None:
    result = runs["distribution"].result()
    assert result["orphan"] == (
        'package "tinyorphan" is in this Pyodide distribution\'s pyodide-lock.json, but '
        "tinygone-1.0-py3-none-any.whl is not in its folder (the npm pyodide package ships no "
        "packages, and nothing is fetched from a CDN): put the wheels there, or pass the paths or "
        "URLs of wheels instead"
    )
    assert result["numpy"].startswith('package "NumPy" is in this Pyodide distribution\'s pyodide-lock.json')
    assert "numpy-" in result["numpy"] and "not in its folder" in result["numpy"]
    assert result["unknown"] == (
        'no package named "no-such-thing" in this Pyodide distribution\'s pyodide-lock.json: '
        "pass the path or URL of its wheel (.whl) instead"
    )
    assert result["missingWheel"].startswith("could not install nowhere-1.0-py3-none-any.whl: ")
    assert "ENOENT" in result["missingWheel"]
    assert result["missingFile"] == f"files: cannot read {runs['distribution'].folder}/nowhere.py (ENOENT)"
    assert result["refusals"] == [
        "TypeError: 'files' must be a string or a list of strings: folders, Python files or zips, "
        "to import from",
        "TypeError: 'packages' must be a string or a list of strings: wheels (.whl paths or URLs) or names "
        "of the Pyodide distribution's packages",
        "TypeError: 'onProgress' must be a function",
    ]


def test_unref_lets_node_exit_once_no_call_waits(runs: dict[str, Run]) -> None:
    assert runs["unref"].result() == 42


def test_without_unref_the_worker_holds_node(runs: dict[str, Run]) -> None:
    held = runs["held"]
    assert held.proc.stdout is not None
    assert held.proc.stdout.readline().strip() == "42"
    time.sleep(3)
    assert held.proc.poll() is None, "a worker that was not terminated let Node exit"


def test_async_dispose_terminates(runs: dict[str, Run]) -> None:
    assert runs["dispose"].result() == {"sum": 3, "after": "the Python worker was terminated", "same": True}


@pytest.mark.parametrize(
    ("run", "traced"),
    [("debug on", True), ("debug off", False), ("debug from env", True), ("debug unset", False)],
)
def test_debug_traces_the_workers_traffic_and_the_environment_is_passed_through(
    runs: dict[str, Run], run: str, traced: bool
) -> None:
    out, err = runs[run].output()
    assert runs[run].proc.returncode == 0, out + err
    assert json.loads(out) == "passed through"
    lines = [line for line in err.splitlines() if line.startswith("comlink_py ")]
    if traced:
        assert any('<- {"id":' in line and '"type":"APPLY"' in line for line in lines), err
        assert any('-> {"type":"RAW","value":"passed through"' in line for line in lines), err
    else:
        assert not lines, err


# -- the same options in a browser -----------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StaticServer]:
    """A served folder with the extras, beside the repository's js_shim/ and comlink_py/ (linked),
    as a project that uses the shim from this repository would be; its node_modules/ links the
    repository's packages, but pyodide/ is the distribution whose lock file lists tinydist."""
    folder = tmp_path_factory.mktemp("site")
    make_extras(folder)
    for name in ("js_shim", "comlink_py"):
        (folder / name).symlink_to(ROOT / name, target_is_directory=True)
    (folder / "node_modules").mkdir()
    for package in (ROOT / "node_modules").iterdir():
        if package.name != "pyodide":
            (folder / "node_modules" / package.name).symlink_to(package, target_is_directory=package.is_dir())
    distribution(folder).rename(folder / "node_modules" / "pyodide")
    (folder / "index.html").write_text("<!doctype html><title>shim options</title>")
    with StaticServer(folder) as server:
        yield server


START_IN_PAGE = """async ([code, options]) => {
    const { startPythonWorker } = await import("/js_shim/browser.mjs");
    const events = [];
    const python = startPythonWorker({ code, ...options, onProgress: (p) => events.push(p) });
    try {
        return { values: await python.remote.all(), events };
    } catch (error) {
        return { error: error.message, events };
    } finally {
        python.terminate();
    }
}"""


@pytest.mark.timeout(180)
def test_files_packages_and_debug_in_a_browser(site: StaticServer) -> None:
    """Relative URLs (a folder with its files.json, a file, a zip, a wheel) load in a module worker
    with Pyodide 314 and in a classic one with 0.28; progress is reported; `debug` traces to the
    worker's console; a package of the distribution loads by name, with its dependency, and one
    whose file is not served is a clear error."""
    extras = {"files": ["lib/", "single.py", "lib.zip"], "packages": ["tinypkg-1.0-py3-none-any.whl"]}
    with chromium() as browser, watched_page(browser, site, "index.html") as page:
        traced: list[str] = []
        page.page.on("console", lambda message: traced.append(message.text))
        for build in ("314", "0.28"):
            result = page.page.evaluate(START_IN_PAGE, [CHECK_EXTRAS, {**extras, "pyodide": build}])
            assert result == {
                "values": EXPECTED_VALUES,
                "events": [
                    {"kind": "files", "name": f"{site.url}/lib/", "done": 1, "total": 3},
                    {"kind": "files", "name": f"{site.url}/single.py", "done": 2, "total": 3},
                    {"kind": "files", "name": f"{site.url}/lib.zip", "done": 3, "total": 3},
                    {
                        "kind": "packages",
                        "name": f"{site.url}/tinypkg-1.0-py3-none-any.whl",
                        "done": 1,
                        "total": 1,
                    },
                ],
            }, build
        assert not [line for line in traced if line.startswith("comlink_py ")]
        page.assert_clean()

        debugged = page.page.evaluate(START_IN_PAGE, [CHECK_EXTRAS, {**extras, "debug": True}])
        assert debugged["values"] == EXPECTED_VALUES
        assert any(line.startswith("comlink_py expose") and '"path":["all"]' in line for line in traced), (
            traced
        )

        by_name = "import comlink_py, tinydist\ncomlink_py.expose({'all': lambda: tinydist.VALUE})"
        loaded = page.page.evaluate(START_IN_PAGE, [by_name, {"packages": "tinydist"}])
        assert loaded == {
            "values": 42,
            "events": [{"kind": "packages", "name": "tinydist", "done": 1, "total": 1}],
        }

        refused = page.page.evaluate(START_IN_PAGE, [CHECK_EXTRAS, {"packages": ["numpy"]}])
        assert refused["error"].startswith(
            'package "numpy" is in this Pyodide distribution\'s pyodide-lock.json'
        )
        assert refused["events"] == []
