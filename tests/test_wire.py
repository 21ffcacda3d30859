"""Every message comlink_py emits has Comlink 4.4.2's shape and key order."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from hypothesis import example, given, settings
from hypothesis import strategies as st

import comlink_py as c
from comlink_py.protocol import wire
from tests.comlink_schema import validate_emitted
from tests.helpers import recording_channel, run


class Target:
    def __init__(self) -> None:
        self.data: dict[str, Any] = {"x": 1, "nested": {"y": [1, 2, 3]}}

    def echo(self, *args: Any, **kwargs: Any) -> Any:
        return [list(args), kwargs]

    def fail(self, message: str) -> None:
        raise KeyError(message)

    def give_proxy(self) -> Any:
        return c.proxy(self)

    def call(self, cb: Any, value: Any) -> Any:
        return cb(value)

    class Thing:
        def __init__(self, n: int = 0) -> None:
            self.n = n


json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("get"), st.sampled_from([("data",), ("data", "x"), ("data", "nested", "y", "1")])),
        st.tuples(st.just("set"), json_leaf),
        st.tuples(st.just("apply"), st.lists(json_leaf, max_size=4), st.booleans()),
        st.tuples(st.just("fail"), st.text(max_size=8)),
        st.tuples(st.just("construct"), st.integers()),
        st.tuples(st.just("proxy"), json_leaf),
        st.tuples(st.just("endpoint")),
    ),
    max_size=12,
)


async def _drive(ops: list[tuple[Any, ...]]) -> list[Any]:
    near, far = recording_channel()
    c.expose(Target(), far)
    remote = c.wrap(near)
    for op in ops:
        kind = op[0]
        if kind == "get":
            await _path(remote, op[1])
        elif kind == "set":
            await c.assign(remote.data.z, op[1])
        elif kind == "apply":
            await (remote.echo(*op[1], k=1) if op[2] else remote.echo(*op[1]))
        elif kind == "fail":
            with contextlib.suppress(KeyError):
                await remote.fail(op[1])
        elif kind == "construct":
            thing = await c.construct(remote.Thing, op[1])
            assert await thing.n == op[1]
            await c.release(thing)
        elif kind == "proxy":
            assert await remote.call(c.proxy(lambda v: v), op[1]) == op[1]
        else:
            other = c.wrap(await c.create_endpoint(remote))
            assert await other.data.x == 1
            await c.release(other)
    await c.release(remote)
    await asyncio.sleep(0)
    return near.sent + far.sent


async def _path(remote: c.Remote[Any], path: tuple[str, ...]) -> Any:
    for segment in path:
        remote = remote[segment]
    return await remote


@settings(max_examples=60, deadline=None)
@given(operations)
def test_every_emitted_message_matches_the_comlink_schema(ops: list[tuple[Any, ...]]) -> None:
    sent = run(_drive(ops))
    assert sent, "a release at least is always sent"
    for message in sent:
        validate_emitted(message)


def test_key_order_matches_comlinks_object_assign() -> None:
    assert list(wire.request("i", "APPLY", ["f"], argument_list=[])) == ["id", "type", "path", "argumentList"]
    assert list(wire.request("i", "SET", ["a"], value={"type": "RAW", "value": 1})) == [
        "id",
        "type",
        "path",
        "value",
    ]
    assert list(wire.request("i", "RELEASE")) == ["id", "type"]
    assert list(wire.response({"type": "HANDLER", "name": "proxy", "value": 0}, "i")) == [
        "type",
        "name",
        "value",
        "id",
    ]


_FIELDS = st.one_of(
    st.none(),
    st.integers(),
    st.sampled_from(["APPLY", "CONSTRUCT", "GET", "SET", "RAW", "x"]),
    st.lists(st.one_of(st.text(max_size=3), st.integers()), max_size=2),
    st.lists(st.fixed_dictionaries({"type": st.sampled_from(["RAW", "HANDLER", "x"])}), max_size=2),
)


@given(st.dictionaries(st.sampled_from(["id", "type", "path", "argumentList", "value", "extra"]), _FIELDS))
@example({"type": "APPLY", "path": [], "argumentList": [], "extra": None})  # four keys, but not those
def test_parse_request_accepts_only_valid_requests_and_copies_only_to_fill(data: dict[str, Any]) -> None:
    try:
        request = wire.parse_request(data)
    except wire.ProtocolError:
        return
    assert type(request["path"]) is list and all(type(segment) is str for segment in request["path"])
    calls = request["type"] in (wire.APPLY, wire.CONSTRUCT)
    if calls:
        assert type(request["argumentList"]) is list
    # A call with all four keys given is used as it is; anything else is a new, filled dict.
    keys = set(data) == {"id", "type", "path", "argumentList"}
    given = keys and data["path"] is not None and data["argumentList"] is not None
    assert (request is data) == (calls and given)


def test_ids_are_unique_never_empty_and_short() -> None:
    ids = {wire.new_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(ids)
    # At most 16 characters: Pyodide converts those without a buffer outside V8's heap.
    assert max(map(len, ids)) <= 16
