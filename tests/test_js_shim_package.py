"""js_shim is an npm package: ``npm pack`` ships every file its entry points load, and a project
that installs the packed tarball imports ``comlink-py-shim`` from Node (node entry; the browser
entry under the ``browser`` condition) and starts a real Python worker with it. No network."""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIM = ROOT / "js_shim"
PACKAGE = json.loads((SHIM / "package.json").read_text())
NAME = PACKAGE["name"]

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
def packed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    out = tmp_path_factory.mktemp("pack")
    proc = subprocess.run(
        ["npm", "pack", "--json", "--ignore-scripts", "--pack-destination", str(out)],
        cwd=SHIM,
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
    """A project with the packed shim in node_modules and its peers (comlink, pyodide) beside it."""
    project = tmp_path_factory.mktemp("consumer")
    modules = project / "node_modules"
    target = modules / NAME
    target.mkdir(parents=True)
    with tarfile.open(str(packed["tarball"])) as archive:
        for member in archive.getmembers():
            member.name = member.name.removeprefix("package/")
            archive.extract(member, target, filter="data")
    for peer in PACKAGE["peerDependencies"]:
        (modules / peer).symlink_to(ROOT / "node_modules" / peer, target_is_directory=True)
    (project / "package.json").write_text(json.dumps({"type": "module", "private": True}))
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


def test_conditions_pick_the_node_and_browser_entries(consumer: Path) -> None:
    script = f"console.log(import.meta.resolve({json.dumps(NAME)}))"
    node = _node(consumer, "--input-type=module", "-e", script).strip()
    browser = _node(consumer, "--conditions=browser", "--input-type=module", "-e", script).strip()
    assert node == (consumer / "node_modules" / NAME / "node.mjs").as_uri()
    assert browser == (consumer / "node_modules" / NAME / "browser.mjs").as_uri()
    boot = _node(consumer, "--input-type=module", "-e", f"console.log(import.meta.resolve('{NAME}/boot'))")
    assert boot.strip().endswith(f"/{NAME}/boot.mjs")


def test_the_installed_package_starts_a_python_worker(consumer: Path) -> None:
    """The node entry, imported by package name, runs Python in a worker thread and JS calls it.
    comlink_py's sources come from this repository (the tarball does not carry them)."""
    script = f"""
    import {{ startPythonWorker }} from {json.dumps(NAME)};
    const {{ remote, ready, terminate }} = startPythonWorker({{
      code: "import comlink_py\\ncomlink_py.expose({{'add': lambda a, b: a + b}})",
      packageDir: {json.dumps(str(ROOT / "comlink_py"))},
    }});
    await ready;
    console.log(JSON.stringify(await remote.add(40, 2)));
    await terminate();
    """
    (consumer / "start.mjs").write_text(script)
    assert _node(consumer, "start.mjs").strip() == "42"
