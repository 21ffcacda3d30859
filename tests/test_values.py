"""Any clonable value survives GET, SET then GET, and APPLY unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings

import comlink_py as c
from tests.helpers import run, same
from tests.strategies import clonable


class Box:
    def __init__(self, value: Any) -> None:
        self.value = value

    def echo(self, value: Any) -> Any:
        return value


async def _round_trips(value: Any) -> list[Any]:
    channel = c.MessageChannel()
    c.expose(Box(value), channel.port1)
    remote = c.wrap(channel.port2)
    got = await remote.value
    await c.assign(remote.value, value)
    set_then_got = await remote.value
    echoed = await remote.echo(value)
    await c.release(remote)
    return [got, set_then_got, echoed]


@settings(max_examples=150, deadline=None)
@given(clonable)
def test_clonable_values_survive_get_set_and_apply(value: Any) -> None:
    for result in run(_round_trips(value)):
        assert same(result, value)


def test_tuples_arrive_as_lists_like_js_arrays() -> None:
    assert run(_round_trips((1, (2, 3)))) == [[1, [2, 3]]] * 3


def test_cycles_and_shared_references_are_kept() -> None:
    shared = [1]
    value: dict[str, Any] = {"a": shared, "b": shared}
    value["self"] = value
    got = c.structured_clone(value)
    assert got["a"] is got["b"] and got["self"] is got and got["a"] is not shared


def test_a_transferred_bytearray_is_moved_and_the_original_detached() -> None:
    data = bytearray(b"payload")
    got = c.structured_clone({"buf": data}, [data])
    assert got["buf"] == b"payload" and len(data) == 0


@pytest.mark.parametrize("value", [lambda: 1, object(), Box(1)])
def test_values_that_cannot_be_cloned_are_refused_clearly(value: Any) -> None:
    with pytest.raises(c.DataCloneError, match="could not be cloned"):
        c.structured_clone(value)


def test_an_unclonable_return_value_becomes_a_type_error_not_a_hang() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose({"f": lambda: object()}, channel.port1)
        with pytest.raises(TypeError, match="Unserializable return value"):
            await c.wrap(channel.port2).f()

    run(go(), timeout=5)


def test_an_unclonable_argument_fails_at_the_call_site() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        c.expose({"f": lambda x: x}, channel.port1)
        remote = c.wrap(channel.port2)
        with pytest.raises(c.DataCloneError):
            remote.f(object())
        assert await remote.f(2) == 2

    run(go(), timeout=5)


def test_the_handlers_comlink_py_registers_itself_keep_the_shortcut_for_atoms() -> None:
    # Every handler of the package (proxy, throw, kwargs, streams, AbortSignal) never takes an atom,
    # so an answer of one skips asking them; a user's handler might take one, and turns that off.
    import comlink_py.abort  # registered on import, like the streams handler
    import comlink_py.streams  # noqa: F401
    from comlink_py.protocol.codec import is_plain_atom
    from comlink_py.protocol.handlers import BUILT_IN_HANDLERS

    assert set(c.transfer_handlers) == set(BUILT_IN_HANDLERS) >= {"proxy", "throw", "AbortSignal"}
    assert is_plain_atom(1) and is_plain_atom("text") and not is_plain_atom([1])
    throw = c.transfer_handlers["throw"]
    c.transfer_handlers["ints"] = throw
    try:
        assert not is_plain_atom(1)
    finally:
        del c.transfer_handlers["ints"]
    assert is_plain_atom(1)
    # every way of changing the registry is noticed, replacing a built-in handler too
    for change, undo in [
        (lambda: c.transfer_handlers.update(ints=throw), lambda: c.transfer_handlers.pop("ints")),
        (lambda: c.transfer_handlers.setdefault("ints", throw), lambda: c.transfer_handlers.popitem()),
        (lambda: c.transfer_handlers.__ior__({"ints": throw}), lambda: c.transfer_handlers.pop("ints")),
        (
            lambda: c.transfer_handlers.__setitem__("throw", c.transfer_handlers["proxy"]),
            lambda: c.transfer_handlers.__setitem__("throw", throw),
        ),
    ]:
        change()
        assert not is_plain_atom(1)
        undo()
        assert is_plain_atom(1)
    saved = dict(c.transfer_handlers)
    c.transfer_handlers.clear()
    assert not is_plain_atom(1)
    c.transfer_handlers.update(saved)
    assert is_plain_atom(1)
