"""What the interop checks must observe, in the two description languages of the driver scripts:
``describe`` in ``py/service.py`` (Python types) and in ``js/harness.mjs`` (JS types)."""

from __future__ import annotations

from typing import Any


def py_int(n: int) -> list[str]:
    return ["int", str(n)]


def py_float(x: float) -> list[str]:
    return ["float", repr(x)]


# The Api's `data` attribute as Python sees it, and as JS sees it.
PY_DATA = ["dict", {"nested": ["dict", {
    "list": ["list", [py_int(1), ["str", "two"], ["dict", {"three": py_float(3.5)}]]],
    "flag": ["bool", True],
}]}]  # fmt: skip
JS_DATA = ["Object", {"nested": ["Object", {
    "list": ["Array", [["number", 1], ["string", "two"], ["Object", {"three": ["number", 3.5]}]]],
    "flag": ["boolean", True],
}]}]  # fmt: skip

# The JS peer's sample() as it arrives in Python.
JS_SAMPLE_IN_PY = {
    "null": "jsnull",
    "undef": "None",
    "num": py_float(1.5),
    "int": py_int(7),
    "nan": ["float", "nan"],
    "big": ["JsBigInt", "12"],
    "str": ["str", "ü€"],
    "u8": ["memoryview", "B", [1, 2]],
    "ab": ["JsArrayBuffer", [3]],  # not copied into Python's memory
    "f64": ["memoryview", "d", [1.5]],
    "arr": ["list", [py_int(1), ["list", [py_int(2)]]]],
    "obj": ["dict", {"k": ["dict", {"n": py_int(1)}]}],
    "map": ["dict", {"a": py_int(1)}],
    "set": ["set", ["5"]],
    "date": ["datetime", "2020-01-02T03:04:05+00:00"],
    "err": ["JsException", "RangeError", "r"],  # not data: stays a JS object
}

# The Python peer's sample() as it arrives in JS, and in another Python.
PY_SAMPLE_IN_JS = {
    "none": "undefined",
    "true": ["boolean", True],
    "int": ["number", 7],
    "float": ["number", 1.5],
    "big": ["bigint", str(2**60)],
    "str": ["string", "ü€"],
    "bytes": ["Uint8Array", [0, 1]],
    "bytearray": ["Uint8Array", [2]],
    "list": ["Array", [["number", 1], ["Array", [["number", 2]]]]],
    "tuple": ["Array", [["number", 3], ["number", 4]]],
    "dict": ["Object", {"k": ["Object", {"n": ["number", 1]}]}],
    "set": ["Set", [["number", 5]]],
    "date": ["Date", "2020-01-02T03:04:05.000Z"],
}
PY_SAMPLE_IN_PY = {
    "none": "None",
    "true": ["bool", True],
    "int": py_int(7),
    "float": py_float(1.5),
    "big": ["JsBigInt", str(2**60)],  # an int subclass
    "str": ["str", "ü€"],
    "bytes": ["memoryview", "B", [0, 1]],
    "bytearray": ["memoryview", "B", [2]],
    "list": ["list", [py_int(1), ["list", [py_int(2)]]]],
    "tuple": ["list", [py_int(3), py_int(4)]],
    "dict": ["dict", {"k": ["dict", {"n": py_int(1)}]}],
    "set": ["set", ["5"]],
    "date": ["datetime", "2020-01-02T03:04:05+00:00"],
}


def python_wraps(peer: str) -> dict[str, Any]:
    """What ``service.run_checks`` observes against a ``"js"`` or ``"python"`` peer (checks with a
    value that needs more than equality are tested separately)."""
    js = peer == "js"
    return {
        "get_nested": [3.5, True, PY_DATA],
        "set_then_get": ["fast", {"sides": [3, 4]}],
        "apply_sync": [5, "ab"],
        "apply_async": [42, 2],
        "construct": ["Remote", [11, 16, 16]],
        "create_endpoint": ["JsEndpoint", 2, 4],
        "release_finalizer": ["pong r1", "ReleasedProxyError", True],
        "proxy_callback": [42, 21],
        "transfer": [["ArrayBuffer" if js else "JsArrayBuffer", 6], 0],
        "returned_proxy": ["hi, ada", True],
        "values_from_peer": ["dict", JS_SAMPLE_IN_PY if js else PY_SAMPLE_IN_PY],
        "values_to_peer": list((PY_SAMPLE_IN_JS if js else PY_SAMPLE_IN_PY).values()),
        "in_flight": 300,
    }
