"""A hostile peer with the real JS Comlink against Python in a Pyodide worker (js/hostile.mjs)."""

from __future__ import annotations

import pytest

from tests.interop.conftest import NodeRun


@pytest.fixture(params=["shortcuts on", "shortcuts off"])
def hostile_run(request: pytest.FixtureRequest) -> NodeRun:
    """The hostile script with the Pyodide fast path's shortcuts on (as shipped) and off: every
    refusal, answer and walk must come out the same either way."""
    name = "hostile" if request.param == "shortcuts on" else "hostile_unshortcut"
    run: NodeRun = request.getfixturevalue(name)
    return run


INTERNALS = "which is interpreter internals"
JS_OBJECT = "objects of the standard library and JS objects are values, not APIs"
REFUSALS = {
    "module_walk": "step 'codec' is refused: it leads to module 'json', " + INTERNALS,
    "module_builtins": "step 'codec' is refused: it leads to module 'json'",
    "module_file": "step 'codec' is refused: it leads to module 'json'",
    "dict_of_modules": "step 'os' is refused: it leads to module 'os'",
    "frame_in_list": "step '0' is refused: it leads to frame",
    "traceback": "step 'tb' is refused: it leads to traceback",
    "namespace": "step 'namespace' is refused: it leads to dict",
    "code": "step 'code' is refused: it leads to code",
    "private": "access to private name '_secret' is refused",
    "format": "step 'format' into str is refused",
    "class_machinery": "step 'mro' into type is refused: a class offers only the attributes its own code",
    "proxied_generator": "step 'gi_frame' into generator is refused: interpreter internals are never served",
    "js_function": "step 'constructor' into pyodide.ffi.JsProxy is refused: " + JS_OBJECT,
    "js_new_function": "step 'constructor' into pyodide.ffi.JsProxy is refused",
}


def test_the_doors_of_the_issue_are_closed_against_real_comlink(hostile_run: NodeRun) -> None:
    doors = hostile_run["hostile.doors"]
    for door in ("construct_async", "construct_generator"):
        assert doors[door] == ["TypeError", "CONSTRUCT constructs classes only, and method is not one"]
    for door, message in REFUSALS.items():
        name, text = doors[door]
        assert name == "PermissionError", (door, doors[door])
        assert text.startswith(message), (door, text)
    (refusal,), changed = doors["module_set"]
    assert refusal[0] == "PermissionError" and changed is False
    (refusal,), polluted = doors["js_pollute"]
    assert refusal[0] == "PermissionError" and polluted is False
    assert doors["stop_iteration"] == ["StopIteration", ""]
    assert doors["thrown_stop_iteration"] == ["raised", "StopIteration", "from JS", False]
    assert doors["still_served"] == [2, 3]


def test_messages_made_to_kill_the_worker_are_answered_and_it_lives(hostile_run: NodeRun) -> None:
    result = hostile_run["hostile.killers"]
    summary = result["summary"]
    assert summary["wide"] == ["ProtocolError", "unknown message type 'BOGUS'"]
    assert summary["wide-path"][0] == "PermissionError"
    assert summary["wide-args"] == ["RAW"]  # 200,000 arguments, served
    cannot = "the message could not be converted to Python: "
    assert summary["map-object-keys"] == [
        "DataCloneError",
        cannot + "Error: Cannot use key of type Object as a key to a Python dict",
    ]
    assert summary["set-of-objects"] == [
        "DataCloneError",
        cannot + "Error: Cannot use key of type Object as a key to a Python set",
    ]
    assert summary["far-date"] == [
        "DataCloneError",
        cannot + "the Date +275760-09-13T00:00:00.000Z is outside Python's datetime range",
    ]
    assert summary["huge-bigint-type"][0] == "ProtocolError"
    assert summary["deep-type"][0] == "ProtocolError" and len(summary["deep-type"][1]) < 120
    assert result["count"] == len(summary)  # exactly one answer each
    assert result["alive"] == 2


def test_ten_thousand_random_malformed_messages_each_get_one_answer(hostile_run: NodeRun) -> None:
    result = hostile_run["hostile.fuzz"]
    assert result["sent"] == 10_000
    assert result["expected"] > 5_000
    assert result["missing"] == [] and result["unexpected"] == []
    assert result["count"] == result["expected"]
    assert result["alive"] > 0


def test_the_random_hostile_walk_finds_no_escape_in_pyodide(hostile_run: NodeRun) -> None:
    walk = hostile_run["hostile.walk"]
    public, strict = walk["escapes"]
    assert public == [] and strict == []
    enabled, checked = walk["shortcuts"]
    if hostile_run.env is None:  # the shortcut was taken by the walk's own requests
        assert enabled is True and checked > 100
    else:
        assert enabled is False and checked == 0
