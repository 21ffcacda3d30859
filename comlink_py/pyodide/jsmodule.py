"""This package's JS modules, evaluated in Pyodide.

Pyodide evaluates JS synchronously only as a script, and an endpoint needs its JS at once, so a
module is read with ``importlib.resources`` and run as the body of a function that returns what its
closing ``export { name };`` line exports. The files stay real ES modules for Node, linters and tests.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

__all__ = ["run_module"]

_EXPORT = "\nexport { "


def run_module(run_js: Callable[[str], Any], name: str) -> Any:
    """The one export of the package's module ``name``, evaluated with Pyodide's ``run_js``."""
    text = resources.files(__package__).joinpath(name).read_text(encoding="utf-8")
    body, found, export = text.rpartition(_EXPORT)
    exported = export.strip().removesuffix("};").strip()
    if not found or not exported.isidentifier():
        raise RuntimeError(f"{name} must end with one 'export {{ name }};' line")
    return run_js(f'(() => {{\n"use strict";\n{body}\nreturn {exported};\n}})()')
