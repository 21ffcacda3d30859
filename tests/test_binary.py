"""The binary codec gives back exactly what ``structured_clone`` gives, and refuses what it refuses."""

from __future__ import annotations

import contextlib
import datetime as dt
import enum
import math
import sys
import types
import zoneinfo
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import comlink_py as c
from comlink_py.transport.binary import DecodeError, decode, encode, encode_into
from comlink_py.transport.clone import CLONE_ATOMS
from tests.strategies import clonable, hashable_leaves


def twin(a: Any, b: Any, pairs: dict[int, int] | None = None) -> bool:
    """``a`` and ``b`` are equal values of the same types with the same sharing: one object of ``a``
    appears wherever one object of ``b`` does. NaN equals NaN; -0.0 is not 0.0."""
    pairs = {} if pairs is None else pairs
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, dt.datetime):
        return a == b and a.fold == b.fold and repr(a.tzinfo) == repr(b.tzinfo)
    if type(a) in CLONE_ATOMS:
        return bool(a == b)
    if id(a) in pairs:
        return pairs[id(a)] == id(b)
    if id(b) in pairs.values():
        return False
    pairs[id(a)] = id(b)
    if isinstance(a, list):
        return len(a) == len(b) and all(twin(x, y, pairs) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return len(a) == len(b) and all(
            twin(ka, kb, pairs) and twin(va, vb, pairs)
            for (ka, va), (kb, vb) in zip(a.items(), b.items(), strict=True)
        )
    if isinstance(a, BaseException):
        return len(a.args) == len(b.args) and all(
            twin(x, y, pairs) for x, y in zip(a.args, b.args, strict=True)
        )
    return bool(a == b)  # bytearray, memoryview, set (of atoms without NaN)


def round_trip(value: Any) -> Any:
    data, ports = encode(value)
    assert ports == []
    return decode(data)


zones = st.sampled_from(
    [
        None,
        dt.UTC,
        dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
        dt.timezone(dt.timedelta(hours=1), "CET"),
        zoneinfo.ZoneInfo("Europe/Paris"),
        zoneinfo.ZoneInfo("America/New_York"),
    ]
)
extra_leaves: st.SearchStrategy[Any] = (
    st.integers(min_value=-(2**200), max_value=2**200)
    | st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=8)  # lone surrogates
    | st.dates()
    | st.timedeltas()
    | st.builds(lambda d, tz, fold: d.replace(tzinfo=tz, fold=fold), st.datetimes(), zones, st.integers(0, 1))
    | st.binary(max_size=16).map(lambda b: memoryview(b))
    | st.builds(ValueError, st.text(max_size=5))
    | st.builds(KeyError, st.integers())
    | st.builds(OSError, st.integers(0, 200), st.text(max_size=5))
)
values = st.recursive(
    clonable | extra_leaves,
    lambda inner: (
        st.tuples(inner, inner)
        | st.frozensets(hashable_leaves, max_size=4)
        | st.dictionaries(hashable_leaves, inner, max_size=4)
        | st.builds(lambda args: RuntimeError(*args), st.lists(inner, max_size=3))
    ),
    max_leaves=30,
)


@settings(max_examples=400, deadline=None)
@given(values)
def test_any_clonable_value_decodes_to_what_structured_clone_makes(value: Any) -> None:
    assert twin(c.structured_clone(value), round_trip(value))


@settings(max_examples=100, deadline=None)
@given(st.lists(values, min_size=1, max_size=4), st.data())
def test_shared_references_and_cycles_keep_their_shape(items: list[Any], data: st.DataObject) -> None:
    # Build a graph that reuses the same objects in several places and points back to its root.
    root: dict[str, Any] = {"items": items}
    root["again"] = [items[data.draw(st.integers(0, len(items) - 1))] for _ in range(3)]
    root["root"] = root
    root["items_too"] = items
    got = round_trip(root)
    assert twin(c.structured_clone(root), got)
    assert got["root"] is got and got["items_too"] is got["items"]


def test_the_value_model_one_kind_at_a_time() -> None:
    shared = [1]
    for value in [
        None,
        True,
        False,
        0,
        -(2**63),
        2**63 - 1,
        2**63,
        -(2**63) - 1,
        -(10**40),
        math.inf,
        -math.inf,
        math.nan,
        -0.0,
        "",
        "h\u00e9llo \U0001f600 \ud800",
        b"\x00\xff",
        bytearray(b"ab"),
        memoryview(bytearray(b"mv")),
        (1, (2, 3)),
        {"k": (1,), 2: None, None: shared, b"b": shared, dt.date(2020, 1, 1): 1},
        {1, "a", None, b"x"},
        frozenset({1}),
        dt.date(1, 1, 1),
        dt.date(9999, 12, 31),
        dt.timedelta(days=-999999999),
        dt.timedelta(days=999999999, seconds=86399, microseconds=999999),
        dt.datetime(2021, 11, 7, 1, 30, fold=1, tzinfo=zoneinfo.ZoneInfo("America/New_York")),
        dt.datetime.min,
        dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=23, minutes=59), "far")),
        ZeroDivisionError("division by zero"),
        OSError(2, "No such file"),
        KeyboardInterrupt(),
    ]:
        assert twin(c.structured_clone(value), round_trip(value)), value


def test_bytes_travel_raw_without_base64() -> None:
    payload = bytes(range(256)) * 4096
    data, _ = encode({"blob": payload})
    assert len(data) < len(payload) + 32
    assert decode(data)["blob"] == payload


class Color(enum.IntEnum):
    RED = 1


@pytest.mark.parametrize(
    "value",
    [
        object(),
        lambda: 1,
        type,
        [1, {"x": object()}],
        Color.RED,  # subclasses of clonable types are refused, as structured_clone does
        type("Text", (str,), {})("x"),
        dt.datetime(2020, 1, 1, tzinfo=type("Zone", (dt.tzinfo,), {})()),
        {(1, 2): "tuple keys arrive as lists, which cannot be keys"},
        {frozenset({1}): 1},
        {(1, 2)},
    ],
)
def test_unclonable_values_are_refused_with_data_clone_error(value: Any) -> None:
    with pytest.raises(c.DataCloneError):
        encode(value)


def test_a_str_subclass_key_is_refused_even_after_an_equal_str_key() -> None:
    encode({"id": 1})
    with pytest.raises(c.DataCloneError):
        encode({type("Key", (str,), {})("id"): 1})


def test_what_structured_clone_refuses_is_refused_too() -> None:
    class NeedsTwo(Exception):
        def __init__(self, a: Any, b: Any) -> None:
            super().__init__(a)

    for value in [object(), [lambda: 1], NeedsTwo(1, 2)]:
        with pytest.raises(c.DataCloneError):
            c.structured_clone(value)
        with pytest.raises(c.DataCloneError):
            encode(value)


def test_an_exception_inside_its_own_args_is_refused() -> None:
    error = ValueError()
    error.args = ([error],)
    with pytest.raises(c.DataCloneError, match="contain itself"):
        encode(error)


def test_deep_nesting_is_refused_not_a_crash() -> None:
    value: list[Any] = []
    for _ in range(sys.getrecursionlimit() * 2):
        value = [value]
    with pytest.raises(c.DataCloneError, match="nested too deeply"):
        encode(value)
    deep = b"l\x01\x00\x00\x00" * (sys.getrecursionlimit() * 2) + b"N"
    with pytest.raises(DecodeError):
        decode(deep)


def test_ports_travel_as_indexes_into_a_side_list() -> None:
    channel = c.MessageChannel()
    port = channel.port1
    data, ports = encode({"a": port, "b": [port], "c": channel.port2}, [channel.port2, port])
    assert ports == [port, channel.port2]
    got = decode(data, ["first", "second"])
    assert got == {"a": "first", "b": ["first"], "c": "second"}


def test_transfer_rules_match_post_message() -> None:
    channel = c.MessageChannel()
    with pytest.raises(c.DataCloneError, match="transfer list"):
        encode({"port": channel.port1})
    with pytest.raises(c.DataCloneError, match="not transferable"):
        encode(1, [b"bytes are immutable"])
    with pytest.raises(c.DataCloneError, match="listed twice"):
        encode(1, [channel.port1, channel.port1])
    buffer = bytearray(b"moved")
    data, _ = encode([buffer, buffer], iter([buffer]))
    assert buffer == b"" and decode(data) == [bytearray(b"moved")] * 2


def test_a_refused_value_leaves_the_output_and_the_transferables_alone() -> None:
    out = bytearray(b"head")
    buffer = bytearray(b"keep")
    with pytest.raises(c.DataCloneError):
        encode_into(out, [buffer, object()], [buffer])
    assert out == b"head" and buffer == b"keep"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "ends in the middle"),
        (b"s\x05\x00\x00\x00ab", "runs past the end"),
        (b"l\x02\x00\x00\x00N", "ends in the middle"),
        (b"NN", "stray bytes"),
        (b"\x00", "unknown tag"),
        (b"r\x00\x00\x00\x00", "has not been read"),
        (b"p\x00\x00\x00\x00", "not among the 0 ports"),
        (b"S\x01\x00\x00\x00l\x00\x00\x00\x00", "unhashable"),
        (b"s\x01\x00\x00\x00\xff", "UnicodeDecodeError"),
        (b"E\x01\x00\x00\x00s\x03\x00\x00\x00a:bl\x00\x00\x00\x00", "could be rebuilt"),
    ],
)
def test_malformed_bytes_raise_decode_error(data: bytes, problem: str) -> None:
    with pytest.raises(DecodeError, match=problem):
        decode(data)


@settings(max_examples=300, deadline=None)
@given(values, st.data())
def test_corrupted_messages_raise_decode_error_or_decode(value: Any, data: st.DataObject) -> None:
    encoded = bytearray(encode(value)[0])
    if data.draw(st.booleans()):
        del encoded[data.draw(st.integers(0, len(encoded) - 1)) :]
    else:
        encoded[data.draw(st.integers(0, len(encoded) - 1))] = data.draw(st.integers(0, 255))
    with contextlib.suppress(DecodeError):
        decode(encoded)


def test_custom_exceptions_arrive_as_their_builtin_base_and_run_no_peer_chosen_code() -> None:
    """Even where the class is importable, the receiver builds only the built-in base: a peer must
    not choose which ``__init__`` runs here."""
    module = types.ModuleType("comlink_test_custom")

    class Custom(LookupError):
        ran = 0

        def __init__(self, *args: Any) -> None:
            Custom.ran += 1
            super().__init__(*args)

    Custom.__module__ = module.__name__
    module.Custom = Custom  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module
    try:
        data, _ = encode(Custom("missing"))
        before = Custom.ran
        decoded = decode(data)
        assert Custom.ran == before
    finally:
        del sys.modules[module.__name__]
    assert type(decoded) is LookupError and decoded.args == ("missing",)
