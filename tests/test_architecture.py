"""comlink_py's layers, read from its sources: imports (module-level, in functions, relative or not)
form no cycle, and each package imports only what is below it, the protocol core nothing else."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "comlink_py"

# Each layer and the layers it may import (besides itself). Modules of the top layer are the
# public faces (comlink_py, comlink_py.js, comlink_py.process, ...).
LAYERS = {
    "comlink_py.protocol": set(),
    "comlink_py.transport": {"comlink_py.protocol"},
    "comlink_py.pyodide": {"comlink_py.protocol", "comlink_py.transport"},
    # Blocking calls sit beside aio: they take its Remote apart, never the faces above them.
    "comlink_py.blocking": {
        "comlink_py.protocol",
        "comlink_py.transport",
        "comlink_py.aio",
        "comlink_py.resume",
    },
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """The comlink_py modules that ``path`` imports anywhere in it (``from . import x`` counts as
    ``x`` when it is a module, else as the package)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base)
    return {module for module in found if module in MODULES}


MODULES = {_module_name(path) for path in PACKAGE.rglob("*.py")}
GRAPH = {_module_name(path): _imports(path) for path in PACKAGE.rglob("*.py")}


def _parents(module: str) -> set[str]:
    """Importing a module runs its packages' ``__init__`` first: those edges are not imports."""
    parts = module.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(module: str) -> list[str] | None:
        state[module] = 1
        path.append(module)
        for target in sorted(GRAPH[module] - _parents(module)):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (found := visit(target)) is not None:
                return found
        path.pop()
        state[module] = 2
        return None

    for module in sorted(GRAPH):
        if module not in state and (found := visit(module)) is not None:
            return found
    return None


def test_the_graph_is_read_from_every_module() -> None:
    assert {"comlink_py.aio", "comlink_py.protocol.wire", "comlink_py.pyodide.endpoint"} <= MODULES
    assert "comlink_py.protocol.codec" in GRAPH["comlink_py.protocol.exposing"]  # from .codec import
    assert "comlink_py.protocol.wire" in GRAPH["comlink_py.aio"]  # from .protocol import wire
    assert "comlink_py.aio" in GRAPH["comlink_py.js"]  # from . import aio
    assert "comlink_py.transport.waiting" in GRAPH["comlink_py.blocking"]
    assert "comlink_py.pyodide.shared" in GRAPH["comlink_py.shared"]
    assert "comlink_py.transport.sync_connection" in GRAPH["comlink_py.blocking_process"]


def test_comlink_py_has_no_import_cycle() -> None:
    assert _cycle() is None, " -> ".join(_cycle() or [])


def test_the_cycle_check_finds_a_cycle() -> None:
    GRAPH["comlink_py.protocol.wire"].add("comlink_py.protocol.exposing")
    try:
        assert _cycle() is not None
    finally:
        GRAPH["comlink_py.protocol.wire"].discard("comlink_py.protocol.exposing")


@pytest.mark.parametrize("layer", sorted(LAYERS))
def test_each_layer_imports_only_what_is_below_it(layer: str) -> None:
    allowed = {layer, *LAYERS[layer]}
    for module, targets in GRAPH.items():
        if module == layer or module.startswith(f"{layer}."):
            above = {
                t
                for t in targets - _parents(module)
                if not any(t == a or t.startswith(f"{a}.") for a in allowed)
            }
            assert not above, f"{module} imports {above}, which is above {layer}"


def test_functions_import_no_module_of_comlink_py() -> None:
    """No import hidden in a function body: a cycle dodged that way would still be a cycle."""
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for inner in ast.walk(node):
                    if isinstance(inner, ast.ImportFrom):
                        assert not inner.level and not (inner.module or "").startswith("comlink_py"), path
