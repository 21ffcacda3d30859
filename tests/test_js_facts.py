"""Facts both languages need are written once, in Python, and the JS checked against them: the
Pyodide listener module takes its kinds, table size and key orders from ``fastpath.FACTS`` and
refuses kinds it does not know by name; the shim's request types are ``wire.MESSAGE_TYPES``; and the
package's JS modules evaluate as Pyodide evaluates them (``jsmodule.run_module``). Run in real Node."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from comlink_py import abort
from comlink_py.protocol import wire
from comlink_py.pyodide import fastpath
from comlink_py.pyodide.jsmodule import run_module

ROOT = Path(__file__).resolve().parent.parent


def _node(command: str, argument: Any = None) -> Any:
    """tests/js/facts.mjs's answer to ``command`` with ``argument``."""
    proc = subprocess.run(
        ["node", str(ROOT / "tests" / "js" / "facts.mjs"), command],
        input=json.dumps(argument),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def _init(facts: dict[str, Any]) -> Any:
    return _node("init", facts)


def test_the_listener_takes_the_facts_python_gives() -> None:
    assert _init(fastpath.FACTS) == ["function"] * 4 + ["ComlinkPyKeptBuffer"]


@pytest.mark.parametrize(
    "kinds",
    [
        {name: value for name, value in fastpath.FACTS["kinds"].items() if name != "CALL"},
        {**fastpath.FACTS["kinds"], "CALL_RENAMED": 9},
        {**fastpath.FACTS["kinds"], "FLAT": "3"},
    ],
    ids=["missing", "unknown", "not a number"],
)
def test_the_listener_refuses_kinds_it_does_not_know_by_name(kinds: dict[str, Any]) -> None:
    assert _init({**fastpath.FACTS, "kinds": kinds}).startswith("TypeError: the message kinds must be")


def test_the_facts_carry_the_wire_key_orders() -> None:
    assert fastpath.FACTS["callKeys"] == list(wire.REQUEST_KEYS)
    request = wire.request("1", wire.APPLY, ["f"], argument_list=[{"type": wire.RAW, "value": 1}])
    assert tuple(request) == wire.REQUEST_KEYS
    assert tuple(request["argumentList"][0]) == wire.RAW_WIRE_VALUE_KEYS == tuple(fastpath.FACTS["rawKeys"])


def test_the_shim_knows_the_request_types_of_the_wire_format() -> None:
    assert set(_node("request-types")) == wire.MESSAGE_TYPES


def test_the_shim_and_comlink_py_agree_on_the_abort_signal_handler() -> None:
    assert _node("abort") == [abort.ABORT_SIGNAL, abort.ABORT_SIGNUM]


@pytest.mark.parametrize(("name", "export"), [("listener.mjs", "init"), ("window_port.mjs", "windowPort")])
def test_the_modules_evaluate_as_pyodide_evaluates_them(name: str, export: str) -> None:
    scripts: list[str] = []
    run_module(lambda code: scripts.append(code), name)
    (script,) = scripts
    assert _node("evaluate", script) == ["function", export]
