"""Every code example in docs/*.md and README.md runs, so none goes stale.

The convention (also in docs/design.md):

* a ```python block runs in CPython; the blocks of one page share one namespace and one event loop,
  and top-level ``await`` works;
* a ```python block right after ``<!-- docs-test: pyodide -->`` runs in real Pyodide under Node
  (blocks of one page share a namespace there too);
* a ```js / ```javascript block runs with node as an ES module, in the repository's folder and
  beside its node_modules, where package.json installs the JS shim as the npm package it is
  (``comlink-py-shim``), so examples import it by that name;
* a block of any language right after ``<!-- docs-test: file PATH -->`` must equal the file PATH of
  the repository, which tests run elsewhere;
* a block right after ``<!-- docs-test: skip REASON -->`` is not run (the reason is required);
* other languages (sh, text, json, toml, ini, ...) are shown, not run.
"""

from __future__ import annotations

import ast
import asyncio
import importlib
import inspect
import re
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.pyodide_runner import PyodideRunner

ROOT = Path(__file__).resolve().parent.parent
PAGES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
ARTIFACTS = ROOT / "test-artifacts" / "docs"

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>```+|~~~+)(?P<info>[^`\n]*)$")
MARKER = re.compile(r"^<!--\s*docs-test:\s*(?P<kind>pyodide|file|skip)\b\s*(?P<arg>.*?)\s*-->\s*$")


@dataclass(frozen=True)
class Block:
    page: Path
    line: int  # of the opening fence, 1-based
    lang: str
    code: str
    marker: str | None = None  # "pyodide", "file", "skip"
    arg: str = ""

    @property
    def path(self) -> str:
        return str(self.page.relative_to(ROOT))

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def _at_page_lines(block: Block) -> str:
    """The code padded so that tracebacks give the line numbers of the page."""
    return "\n" * block.line + block.code


def blocks(page: Path) -> Iterator[Block]:
    lines = page.read_text(encoding="utf-8").splitlines()
    marker: re.Match[str] | None = None
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if opening is None:
            text = lines[i].strip()
            if text:
                where = f"{page.relative_to(ROOT)}:{i + 1}"
                assert marker is None, f"{where}: a docs-test marker must come right before a code block"
                marker = MARKER.match(text)
                assert marker or not text.startswith("<!-- docs-test"), f"{where}: unknown docs-test marker"
            i += 1
            continue
        fence = opening["fence"]
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence), None)
        assert end is not None, f"{page.relative_to(ROOT)}:{i + 1}: unclosed code fence"
        # Python-Markdown (mkdocs) renders fences only at the left margin, never inside list items.
        assert not opening["indent"], f"{page.relative_to(ROOT)}:{i + 1}: indented code fence"
        info = opening["info"].strip()
        yield Block(
            page,
            i + 1,
            info.split()[0].lower() if info else "",
            "\n".join(lines[i + 1 : end]) + "\n",
            marker["kind"] if marker else None,
            marker["arg"] if marker else "",
        )
        marker = None
        i = end + 1


ALL = [block for page in PAGES for block in blocks(page)]


def _by_page(select: Any) -> list[Any]:
    pages: dict[Path, list[Block]] = {}
    for block in ALL:
        if select(block):
            pages.setdefault(block.page, []).append(block)
    return [pytest.param(found, id=str(page.relative_to(ROOT))) for page, found in pages.items()]


def _cpython(block: Block) -> bool:
    return block.lang == "python" and block.marker is None


def _pyodide(block: Block) -> bool:
    return block.lang == "python" and block.marker == "pyodide"


def _node(block: Block) -> bool:
    return block.lang in ("js", "javascript", "mjs") and block.marker is None


def test_markers_are_known_and_used_on_code() -> None:
    for block in ALL:
        if block.marker == "skip":
            assert block.arg, f"{block.where}: docs-test: skip needs a reason"
        if block.marker == "pyodide":
            assert block.lang == "python", f"{block.where}: docs-test: pyodide marks python blocks only"
        if block.marker == "file":
            assert block.arg, f"{block.where}: docs-test: file needs a path"


@pytest.mark.parametrize("block", [pytest.param(b, id=b.where) for b in ALL if b.marker == "file"])
def test_file_blocks_match_the_repository(block: Block) -> None:
    path = ROOT / block.arg
    assert path.is_file(), f"{block.where}: {block.arg} does not exist"
    assert block.code == path.read_text(encoding="utf-8"), f"{block.where} differs from {block.arg}"


def _run_cpython(page_blocks: list[Block]) -> None:
    """One namespace and one event loop per page; each block runs inside the loop."""
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    loop = asyncio.new_event_loop()
    try:
        for block in page_blocks:
            code = compile(_at_page_lines(block), block.path, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)

            async def run(code: Any = code) -> None:
                result = eval(code, namespace)  # a block with top-level await gives a coroutine
                if asyncio.iscoroutine(result):
                    await result

            try:
                loop.run_until_complete(asyncio.wait_for(run(), 60))
            except Exception:
                pytest.fail(f"{block.where} failed:\n{traceback.format_exc()}")
    finally:
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


@pytest.mark.parametrize("page_blocks", _by_page(_cpython))
def test_python_blocks_run_in_cpython(page_blocks: list[Block]) -> None:
    _run_cpython(page_blocks)


@pytest.mark.parametrize("page_blocks", _by_page(_pyodide))
def test_python_blocks_marked_pyodide_run_in_pyodide(
    page_blocks: list[Block], pyodide: PyodideRunner
) -> None:
    for block in page_blocks:
        reply = pyodide.run(block.path, _at_page_lines(block))
        assert reply["ok"], f"{block.where} failed in Pyodide:\n{reply['error']}"


NODE_BLOCKS = [b for b in ALL if _node(b)]


@pytest.fixture(scope="module")
def node_runs() -> Iterator[dict[str, subprocess.Popen[str]]]:
    """Every JS block's node process, all started at once: each loads Pyodide, which takes seconds.
    The scripts sit below the repository, so they import the shim from its node_modules, where
    package.json installs js_shim/ as comlink-py-shim."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    runs = {}
    for block in NODE_BLOCKS:
        script = ARTIFACTS / f"{block.page.stem}_{block.line}.mjs"
        script.write_text(block.code, encoding="utf-8")
        runs[block.where] = subprocess.Popen(
            ["node", str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
        )
    yield runs
    for proc in runs.values():
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.parametrize("block", [pytest.param(b, id=b.where) for b in NODE_BLOCKS])
def test_js_blocks_run_in_node(block: Block, node_runs: dict[str, subprocess.Popen[str]]) -> None:
    proc = node_runs[block.where]
    try:
        out, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        err += "\n[killed after 120 s]"
    assert proc.returncode == 0, f"{block.where} failed:\n{out}\n{err}"


def test_the_convention_finds_blocks() -> None:
    """Guards the extractor itself: the pages have examples of each runnable kind."""
    assert any(map(_cpython, ALL)) and any(map(_pyodide, ALL)) and any(map(_node, ALL))


API_MODULES = (
    "comlink_py",
    "comlink_py.js",
    "comlink_py.process",
    "comlink_py.debug",
    "comlink_py.typescript",
    "comlink_py.blocking",
    "comlink_py.blocking_process",
    "comlink_py.shared",
)
HEADING = re.compile(r"^#{2,4} `(?:class )?(?P<name>\w+)(?P<signature>\(.*\))?`$", re.MULTILINE)


def _plain_signature(obj: Any) -> str:
    """The signature as the reference writes it: no annotations."""
    signature = inspect.signature(obj)
    parameters = [p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=parameters, return_annotation=inspect.Signature.empty))


def test_api_reference_covers_every_public_name_with_its_signature() -> None:
    documented = {m["name"]: m["signature"] for m in HEADING.finditer((ROOT / "docs" / "api.md").read_text())}
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            assert name in documented, f"docs/api.md has no entry for {module_name}.{name}"
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                assert documented[name] == _plain_signature(obj), f"docs/api.md: {module_name}.{name}"


def test_the_quickstart_script_runs_as_written() -> None:
    """docs/quickstart.md's complete script, run as its docstring says (the file block only checks
    that the page shows the file)."""
    script = ROOT / "docs" / "snippets" / "counter_script.py"
    proc = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=ROOT, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "3 [1, 2, 3]\n"
