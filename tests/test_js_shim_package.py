"""js_shim is an npm package: ``npm pack`` (its prepack script included) ships every file its entry
points load and a copy of comlink_py's sources, and a project that installs the packed tarball uses
it by package name with nothing else from this repository: from Node (node entry; the browser entry
under the ``browser`` condition) and from a page in real Chromium, served as static files from the
project's folder on 127.0.0.1. No network."""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.workers.serve import StaticServer
from tests.patterns.conftest import chromium, watched_page

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "js_shim"
PACKAGE = json.loads((SHIM / "package.json").read_text())
NAME = PACKAGE["name"]
# The page docs/packaging.md shows, which runs docs/snippets/greeter.py in a worker.
PAGE = [ROOT / "docs" / "snippets" / "shim_page" / name for name in ("index.html", "main.mjs")]
GREETER = ROOT / "docs" / "snippets" / "greeter.py"

# Relative module specifiers: static and dynamic imports, and new URL("./x", import.meta.url).
SPECIFIER = re.compile(r"""(?:from\s+|import\s*\(\s*|new URL\(\s*)["'](\./[^"'`$]+)["']""")


def _targets(exports: object) -> Iterator[str]:
    if isinstance(exports, str):
        yield exports
    elif isinstance(exports, dict):
        for value in exports.values():
            yield from _targets(value)


def _loaded_files(entry: str) -> set[str]:
    """``entry`` and every shim file it loads, followed transitively."""
    seen: set[str] = set()
    todo = [entry.removeprefix("./")]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        if name.endswith((".mjs", ".js")):
            todo.extend(s.removeprefix("./") for s in SPECIFIER.findall((SHIM / name).read_text()))
    return seen


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of js_shim/ beside comlink_py/, so that packing (which writes python/) leaves the
    working tree alone."""
    tree = tmp_path_factory.mktemp("tree")
    shutil.copytree(SHIM, tree / "js_shim", ignore=shutil.ignore_patterns("python", "node_modules"))
    shutil.copytree(ROOT / "comlink_py", tree / "comlink_py", ignore=shutil.ignore_patterns("__pycache__"))
    return tree


@pytest.fixture(scope="module")
def packed(sources: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("pack")
    proc = subprocess.run(
        ["npm", "pack", "--json", "--pack-destination", str(out)],
        cwd=sources / "js_shim",
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    (info,) = json.loads(proc.stdout)
    info["tarball"] = out / info["filename"]
    return info  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def consumer(packed: dict[str, object], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project with the packed shim in node_modules and its peers (comlink, pyodide, and the
    pyodide-0.28 alias) beside it, plus the page of docs/packaging.md."""
    project = tmp_path_factory.mktemp("consumer")
    modules = project / "node_modules"
    target = modules / NAME
    target.mkdir(parents=True)
    with tarfile.open(str(packed["tarball"])) as archive:
        for member in archive.getmembers():
            member.name = member.name.removeprefix("package/")
            archive.extract(member, target, filter="data")
    for peer in [*PACKAGE["peerDependencies"], "pyodide-0.28"]:
        (modules / peer).symlink_to(ROOT / "node_modules" / peer, target_is_directory=True)
    (project / "package.json").write_text(json.dumps({"type": "module", "private": True}))
    for file in [*PAGE, GREETER]:
        shutil.copy(file, project / file.name)
    return project


def _node(project: Path, *args: str) -> str:
    proc = subprocess.run(["node", *args], cwd=project, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def test_every_export_target_exists() -> None:
    targets = set(_targets(PACKAGE["exports"]))
    assert {"./node.mjs", "./browser.mjs"} <= targets
    for target in targets:
        assert (SHIM / target).is_file(), target


def test_the_tarball_holds_every_file_the_entries_load(packed: dict[str, object]) -> None:
    shipped = {f["path"] for f in packed["files"]}  # type: ignore[attr-defined]
    for target in _targets(PACKAGE["exports"]):
        missing = _loaded_files(target) - shipped
        assert not missing, f"{target} loads files npm pack leaves out: {missing}"
    for entry in ("worker_module.mjs", "worker_classic.js"):  # started with new Worker(url)
        assert _loaded_files(entry) <= shipped, entry


def test_the_tarball_carries_comlink_py_and_its_file_list(packed: dict[str, object], sources: Path) -> None:
    """prepack copied every source file of comlink_py, unchanged, and listed them in files.json."""
    folder = "python/comlink_py/"
    with tarfile.open(str(packed["tarball"])) as archive:
        shipped = {
            m.name.removeprefix(f"package/{folder}"): archive.extractfile(m).read()  # type: ignore[union-attr]
            for m in archive.getmembers()
            if m.name.startswith(f"package/{folder}")
        }
    listing = json.loads(shipped.pop("files.json"))
    package = sources / "comlink_py"
    names = (p.relative_to(package).as_posix() for p in package.rglob("*") if "__pycache__" not in p.parts)
    expected = sorted(n for n in names if n.endswith((".py", ".mjs")) or n == "py.typed")
    assert {"__init__.py", "js.py", "py.typed", "pyodide/listener.mjs"} <= set(expected)
    assert listing == expected
    assert sorted(shipped) == expected
    for name in expected:
        assert shipped[name] == (sources / "comlink_py" / name).read_bytes(), name


def test_conditions_pick_the_node_and_browser_entries(consumer: Path) -> None:
    script = f"console.log(import.meta.resolve({json.dumps(NAME)}))"
    node = _node(consumer, "--input-type=module", "-e", script).strip()
    browser_entry = _node(consumer, "--conditions=browser", "--input-type=module", "-e", script).strip()
    assert node == (consumer / "node_modules" / NAME / "node.mjs").as_uri()
    assert browser_entry == (consumer / "node_modules" / NAME / "browser.mjs").as_uri()
    boot = _node(consumer, "--input-type=module", "-e", f"console.log(import.meta.resolve('{NAME}/boot'))")
    assert boot.strip().endswith(f"/{NAME}/boot.mjs")


def test_the_installed_package_starts_a_python_worker_with_its_own_comlink_py(consumer: Path) -> None:
    """The node entry, imported by package name with no options but the code, runs Python in a
    worker thread with the package's copy of comlink_py (this repository is not beside it), and JS
    calls it. A folder without the sources is a clear start-up error, which the calls get too."""
    a, b = random.randrange(10**9), random.randrange(10**9)
    script = f"""
    import {{ startPythonWorker }} from {json.dumps(NAME)};
    const code = "import comlink_py\\ncomlink_py.expose({{'add': lambda a, b: a + b}})";
    const good = startPythonWorker({{ code }});
    const bad = startPythonWorker({{ code, packageDir: "/no/such/folder" }});
    const failed = await bad.remote.add(1, 2).then(() => null, (e) => e.message);
    console.log(JSON.stringify([await good.remote.add({a}, {b}), failed]));
    await Promise.all([good.terminate(), bad.terminate()]);
    """
    (consumer / "start.mjs").write_text(script)
    total, failed = json.loads(_node(consumer, "start.mjs"))
    assert total == a + b
    assert "comlink_py's sources are not in /no/such/folder (ENOENT)" in failed


@pytest.fixture(scope="module")
def consumer_server(consumer: Path) -> Iterator[StaticServer]:
    with StaticServer(consumer) as server:
        yield server


@pytest.mark.timeout(120)
def test_a_page_uses_the_installed_package_in_chromium(consumer_server: StaticServer) -> None:
    """The page of docs/packaging.md, served from the project's folder, runs greeter.py with Pyodide
    314 in a module worker; then Pyodide 0.28 starts in a classic worker from the same import.
    Comlink, Pyodide and comlink_py all come from node_modules/: no request leaves the server."""
    name, x = f"tester-{random.randrange(10**6)}", random.randrange(10**6)
    classic = """async ([name, x]) => {
        const { startPythonWorker } = await import("/node_modules/comlink-py-shim/browser.mjs");
        const code = "import comlink_py, sys\\ncomlink_py.expose({'twice': lambda v: 2*v, 'v': sys.version})";
        const { remote, terminate } = startPythonWorker({ pyodide: "0.28", code });
        try {
            return [await greeter.greet(name), await remote.twice(x), await remote.v];
        } finally {
            terminate();
        }
    }"""
    with chromium() as browser, watched_page(browser, consumer_server, "index.html") as page:
        page.page.wait_for_function("!document.getElementById('greeting').textContent.startsWith('loading')")
        assert page.page.locator("#greeting").inner_text() == "HELLO, PAGE, FROM PYTHON!", page.problems
        shim = f"{consumer_server.url}/node_modules/{NAME}/"
        assert [w.url for w in page.page.workers] == [f"{shim}worker_module.mjs"]  # Pyodide 314
        greeting, twice, version = page.page.evaluate(classic, [name, x])
        assert greeting == f"Hello, {name}, from Python!"
        assert twice == 2 * x
        assert version.startswith("3.13.")  # Pyodide 0.28
        assert page.page.evaluate("async () => await greeter.greeted") == 2
        page.assert_clean()


def test_the_installed_package_carries_its_types(consumer: Path) -> None:
    """The packed declarations resolve by package name under both conditions and type a client:
    a remote typed by an interface, and a misuse reported."""
    client = """
    import { startPythonWorker } from "comlink-py-shim";
    import { startPythonWorker as inPage } from "comlink-py-shim/browser";
    interface Api { add(a: number, b: number): Promise<number> }
    export async function run(): Promise<number> {
      const page = inPage<Api>({ pyodide: "314", code: "" });
      page.terminate();
      const { remote, terminate } = startPythonWorker<Api>({ code: "" });
      await terminate();
      return await remote.add(1, "2");
    }
    """
    (consumer / "client.ts").write_text(client)
    types = ROOT / "node_modules" / "@types"
    flags = ["--noEmit", "--strict", "--module", "nodenext", "--target", "es2022", "--lib", "esnext,dom"]
    flags += ["--typeRoots", str(types), "--types", "node,emscripten"]
    proc = subprocess.run(
        [ROOT / "node_modules" / ".bin" / "tsc", *flags, "client.ts"],
        cwd=consumer,
        capture_output=True,
        text=True,
        timeout=120,
    )
    errors = re.findall(r"^(\S+)\((\d+),\d+\): error (TS\d+)", proc.stdout, re.MULTILINE)
    assert errors == [("client.ts", "10", "TS2345")], proc.stdout
