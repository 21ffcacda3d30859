"""What ``expose`` and ``wrap`` accept as an endpoint, and one exposure per endpoint, over in-memory
channels (the same rules inside Pyodide, with raw JS endpoints: tests/interop/test_js_endpoints.py)."""

from __future__ import annotations

import asyncio
import gc

import pytest

import comlink_py as c
from comlink_py.protocol.policy import OPAQUE, kind_of
from comlink_py.pyodide.endpoint import JsEndpoint
from tests.helpers import run


class Echo:
    def echo(self, value: str) -> str:
        return value


@pytest.mark.parametrize("caller", [lambda bad: c.expose(Echo(), bad), c.wrap])
@pytest.mark.parametrize("bad", [42, "port", {"post_message": None}, Echo()])
def test_a_non_endpoint_is_a_type_error_naming_what_is_expected(caller: object, bad: object) -> None:
    with pytest.raises(TypeError, match=r"needs an endpoint, not \w+: an object with post_message"):
        caller(bad)  # type: ignore[operator]


def test_a_second_expose_on_one_endpoint_is_refused_and_the_first_keeps_serving() -> None:
    async def main() -> None:
        channel = c.MessageChannel()
        handle = c.expose(Echo(), channel.port1)
        with pytest.raises(RuntimeError, match="is already exposing 'Echo': expose one object per endpoint"):
            c.expose({"echo": str.upper}, channel.port1)
        remote = c.wrap(channel.port2)
        assert await remote.echo("a") == "a"
        handle.close()
        # Both ends of a channel are two endpoints; wrapping an exposing endpoint is allowed.
        other = c.MessageChannel()
        c.expose(Echo(), other.port1)
        c.expose(Echo(), other.port2)
        assert await c.wrap(other.port1).echo("b") == "b"

    run(main())


def test_a_closed_handle_frees_its_endpoint_and_an_unreferenced_one_still_serves() -> None:
    async def main() -> None:
        port = c.MessageChannel().port1
        c.expose(Echo(), port).close()
        c.expose(Echo(), port)  # refused only while the first still serves
        port = c.MessageChannel().port1
        c.expose(Echo(), port)
        gc.collect()  # no reference to the handle is kept, but the port's listener holds it
        with pytest.raises(RuntimeError, match="already exposing"):
            c.expose(Echo(), port)
        # A port whose peer went away serves nothing: exposing on it again is not refused.
        channel = c.MessageChannel()
        c.expose(Echo(), channel.port1)
        channel.port2.close()
        await asyncio.sleep(0.01)
        assert channel.port1.closed
        c.expose(Echo(), channel.port1)

    run(main())


def test_a_js_endpoint_is_opaque_to_the_policy() -> None:
    """Its public names include the JS object's own: a peer steps into none (tested in Pyodide
    in tests/interop/py/js_endpoints.py, check_a_js_endpoint_on_a_path_is_opaque)."""
    assert kind_of(JsEndpoint.__new__(JsEndpoint)) == OPAQUE
