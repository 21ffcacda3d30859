"""Checks that run inside real Pyodide (``tests/interop/test_js_endpoints.py`` calls each): raw JS
endpoints given to ``expose``/``wrap``, a transferred port used both as an endpoint and as the JS
port it is, the policy's view of a ``JsEndpoint``, and one exposure per endpoint. Each check talks
to the real npm Comlink over real JS MessageChannels and fails with an ``AssertionError``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import js  # type: ignore[import-not-found]
from pyodide.code import run_js  # type: ignore[import-not-found]
from pyodide.ffi import create_proxy, to_js  # type: ignore[import-not-found]

import comlink_py
from comlink_py.js import JsEndpoint


async def _comlink() -> Any:
    return await run_js('import("comlink")')  # the npm package, as Node resolves it


async def _node_endpoint() -> Any:
    module = await run_js('import("comlink/dist/esm/node-adapter.mjs")')
    return module.default


def _js_object(**members: Any) -> Any:
    return to_js(members, dict_converter=js.Object.fromEntries)


@contextlib.contextmanager
def _shortcuts(enabled: bool) -> Iterator[None]:
    """The Pyodide fast path's shortcuts on or off for what is made inside (on again after)."""
    from comlink_py.pyodide import fastpath

    fastpath.ENABLED = enabled
    try:
        yield
    finally:
        fastpath.ENABLED = True


def _raises(kind: type[BaseException], text: str, action: Any) -> BaseException:
    try:
        action()
    except kind as error:
        assert text in str(error), str(error)
        return error
    raise AssertionError(f"no {kind.__name__} with {text!r}")


async def _raises_async(text: str, awaitable: Any) -> None:
    try:
        await awaitable
    except Exception as error:
        assert text in str(error), str(error)
        return
    raise AssertionError(f"no error with {text!r}")


class Counter:
    def __init__(self) -> None:
        self.count = 0

    def add(self, n: int) -> int:
        self.count += n
        return self.count


async def check_expose_on_a_raw_message_port() -> None:
    Comlink = await _comlink()
    channel = js.MessageChannel.new()
    comlink_py.expose(Counter(), channel.port2)  # the JS MessagePort itself
    remote = Comlink.wrap(channel.port1)
    assert await remote.add(2) == 2
    assert await remote.add(3) == 5
    channel.port1.close()


async def check_wrap_a_raw_message_port() -> None:
    Comlink = await _comlink()
    channel = js.MessageChannel.new()
    Comlink.expose(run_js("({ twice: (x) => 2 * x })"), channel.port2)
    remote = comlink_py.wrap(channel.port1)
    assert await remote.twice(21) == 42
    await comlink_py.release(remote)


async def check_node_endpoint_both_ways() -> None:
    """Comlink's nodeEndpoint(...) is an object with postMessage and addEventListener, as Comlink's
    own Node users pass it."""
    Comlink, node_endpoint = await _comlink(), await _node_endpoint()
    channel = js.MessageChannel.new()
    comlink_py.expose(Counter(), node_endpoint(channel.port2))
    remote = Comlink.wrap(node_endpoint(channel.port1))
    assert await remote.add(7) == 7
    back = js.MessageChannel.new()
    Comlink.expose(run_js("({ name: 'js' })"), node_endpoint(back.port2))
    js_remote = comlink_py.wrap(node_endpoint(back.port1))
    assert await js_remote.name == "js"
    await comlink_py.release(js_remote)
    channel.port1.close()


async def check_non_endpoints_are_type_errors() -> None:
    _raises(
        TypeError, "not a JS endpoint: it needs postMessage", lambda: comlink_py.expose(1, run_js("({})"))
    )
    _raises(TypeError, "not a JS endpoint", lambda: comlink_py.wrap(run_js("({ postMessage() {} })")))
    _raises(TypeError, "expose() needs an endpoint, not int", lambda: comlink_py.expose(Counter(), 42))
    _raises(TypeError, "wrap() needs an endpoint, not dict", lambda: comlink_py.wrap({}))


class PortUser:
    """Code written against the JS port it is given, and code that uses it as an endpoint."""

    def __init__(self) -> None:
        self.kept: list[JsEndpoint] = []

    def greet(self, port: Any) -> str:
        assert isinstance(port, JsEndpoint)
        port.postMessage("hi")  # as on the JS port
        port.postMessage({"from": "python", "n": [1, 2]})  # Python data is converted
        return str(port.constructor.name)  # the JS object's own attributes

    def serve(self, port: Any) -> None:
        self.kept.append(port)
        comlink_py.expose(Counter(), port)

    async def call_back(self, port: Any) -> Any:
        remote = comlink_py.wrap(port)
        try:
            return await remote.twice(5)
        finally:
            await comlink_py.release(remote)


async def check_transferred_port_is_the_js_port_and_an_endpoint() -> None:
    Comlink = await _comlink()
    channel = js.MessageChannel.new()
    user = PortUser()
    comlink_py.expose(user, channel.port2)
    remote = Comlink.wrap(channel.port1)

    side = js.MessageChannel.new()
    received: list[Any] = []
    done = asyncio.get_running_loop().create_future()

    def on_message(event: Any) -> None:
        data = event.data
        received.append(data if isinstance(data, str) else data.to_py())
        if len(received) == 2:
            done.set_result(None)

    listener = create_proxy(on_message)
    side.port1.addEventListener("message", listener)
    side.port1.start()
    name = await remote.greet(Comlink.transfer(side.port2, to_js([side.port2])))
    await asyncio.wait_for(done, 5)
    assert name == "MessagePort", name
    assert received == ["hi", {"from": "python", "n": [1, 2]}], received
    side.port1.removeEventListener("message", listener)
    listener.destroy()

    served = js.MessageChannel.new()
    await remote.serve(Comlink.transfer(served.port2, to_js([served.port2])))
    counter = Comlink.wrap(served.port1)
    assert await counter.add(4) == 4

    js_side = js.MessageChannel.new()
    Comlink.expose(run_js("({ twice: (x) => 2 * x })"), js_side.port1)
    assert await remote.call_back(Comlink.transfer(js_side.port2, to_js([js_side.port2]))) == 10
    served.port1.close()
    channel.port1.close()


class Holder:
    def __init__(self, port: JsEndpoint) -> None:
        self.port = port


async def check_a_js_endpoint_on_a_path_is_opaque() -> None:
    """A peer that reaches a JsEndpoint cannot step into it: not to the JS object's constructor
    (and from there to Function), not to its methods, not to the JS object itself."""
    channel, other = js.MessageChannel.new(), js.MessageChannel.new()
    comlink_py.expose(Holder(JsEndpoint(other.port1)), channel.port2)
    remote = comlink_py.wrap(channel.port1)
    for path in ("constructor", "port", "postMessage", "post_message", "addEventListener", "identity"):
        step = getattr(remote.port, path)
        await _raises_async(f"step {path!r} into comlink_py.pyodide.endpoint.JsEndpoint is refused", step)
    await _raises_async("is refused", remote.port.constructor.constructor("return globalThis"))
    await _raises_async("is refused", remote.port.postMessage("from the peer"))
    await comlink_py.release(remote)


async def check_a_second_expose_is_refused() -> None:
    Comlink = await _comlink()
    channel = js.MessageChannel.new()
    first = Counter()
    handle = comlink_py.expose(first, channel.port2)
    again = run_js("(channel) => channel.port2")(channel)  # another proxy of the same JS port
    for endpoint in (channel.port2, again, JsEndpoint(again)):
        _raises(RuntimeError, "is already exposing 'Counter'", lambda e=endpoint: comlink_py.expose(first, e))
    remote = Comlink.wrap(channel.port1)
    assert await remote.add(1) == 1  # the first still serves, alone
    handle.close()  # closes the port too, as Comlink does; the endpoint is free again
    comlink_py.expose(Counter(), again).close()
    other = js.MessageChannel.new()
    comlink_py.expose(Counter(), other.port1)
    comlink_py.expose(Counter(), other.port2)  # the two ends are two endpoints
    other.port1.close()


async def check_the_shortcuts_serve_every_endpoint_alike() -> None:
    """The fast path numbers routes once per interpreter: a route learnt on one port is posted on
    the next port too, answers settle the calls of the right link, and every port answers the same
    with the shortcuts switched off."""
    Comlink = await _comlink()
    node_endpoint = await _node_endpoint()
    results = []
    for enabled in (True, True, False, True):
        with _shortcuts(enabled):
            far = js.MessageChannel.new()
            near = js.MessageChannel.new()
            Comlink.expose(js.Function.new("x", "return x + 1"), node_endpoint(far.port1))
            api = Comlink.wrap(node_endpoint(near.port1))
            comlink_py.expose(Counter(), JsEndpoint(near.port2))
            remote = comlink_py.wrap(JsEndpoint(far.port2))
            results.append([await remote(1), await remote(2), await api.add(3), await api.count])
        far.port1.close()
        near.port1.close()
    assert results == [[2, 3, 3, 3]] * 4, results


async def check_an_answer_at_hand_goes_back_as_the_listeners_result() -> None:
    """A call answered while it is delivered returns its value to the JS listener, which posts the
    answer: Python makes no second call into JS for it (with the shortcuts off it does)."""
    Comlink = await _comlink()
    node_endpoint = await _node_endpoint()
    seen = []
    for enabled in (True, False):
        with _shortcuts(enabled):
            channel = js.MessageChannel.new()
            endpoint = JsEndpoint(channel.port2)
            comlink_py.expose(Counter(), endpoint)
            answered = endpoint._js_answer
            calls = []

            def counted(value: Any, answered: Any = answered, calls: list[Any] = calls) -> None:
                calls.append(value)
                answered(value)

            endpoint._js_answer = counted
            api = Comlink.wrap(node_endpoint(channel.port1))
            seen.append([await api.add(2), await api.add(3), await api.count, bool(calls)])
        channel.port1.close()
    assert seen == [[2, 5, 5, False], [2, 5, 5, True]], seen


async def check_a_planned_route_is_served_by_its_plan_and_refused_as_ever() -> None:
    """A method of the exposed object called again is served by its route's plan, which the JS
    listener calls; replaced on the instance by eval, the same route is refused as it always was."""
    Comlink = await _comlink()
    node_endpoint = await _node_endpoint()
    channel = js.MessageChannel.new()
    endpoint = JsEndpoint(channel.port2)
    counter = Counter()
    comlink_py.expose(counter, endpoint)
    api = Comlink.wrap(node_endpoint(channel.port1))
    results = [await api.add(1), await api.add(2), await api.add(3)]
    planned = [number for number, planned in endpoint._plans.items() if planned]
    counter.add = eval  # type: ignore[method-assign]
    try:
        await api.add("1+1")
        refused = "not refused"
    except Exception as error:
        refused = str(error)
    channel.port1.close()
    assert results == [1, 3, 6] and len(planned) == 1, (results, planned)
    assert "PermissionError" in refused, refused


class Kinds:
    def kind(self, value: Any) -> str:
        return type(value).__name__

    def boxed(self, value: Any) -> list[Any]:
        return [value]


async def check_a_planned_route_answers_every_request_of_its_route() -> None:
    """Once its route is planned, a method still answers what the plan does not return to JS: an
    answer that is no atom (posted by Python), an ArrayBuffer argument (the general path) and a
    request whose id is too long for the id buffer (handed to the plan as a string)."""
    Comlink = await _comlink()
    node_endpoint = await _node_endpoint()
    channel = js.MessageChannel.new()
    endpoint = JsEndpoint(channel.port2)
    comlink_py.expose(Kinds(), endpoint)
    api = Comlink.wrap(node_endpoint(channel.port1))
    first = [await api.kind(1), await api.kind(1), await api.boxed(1), await api.boxed(1)]  # the second plans
    planned = [number for number, planned in endpoint._plans.items() if planned]
    again = [await api.kind(2), (await api.boxed(2)).to_py(), await api.kind(js.ArrayBuffer.new(4))]
    answers: list[Any] = []
    raw = js.MessageChannel.new()
    raw_endpoint = JsEndpoint(raw.port2)
    comlink_py.expose(Kinds(), raw_endpoint)
    heard = create_proxy(lambda event: answers.append(event.data.to_py()))
    raw.port1.addEventListener("message", heard)
    raw.port1.start()
    long_id = "x" * 300
    for id in ("short", "short again", long_id):
        request = {"id": id, "type": "APPLY", "path": ["kind"], "argumentList": [{"type": "RAW", "value": 1}]}
        raw.port1.postMessage(to_js(request, dict_converter=js.Object.fromEntries))
        while len(answers) < ["short", "short again", long_id].index(id) + 1:
            await asyncio.sleep(0.01)
        if id != long_id:
            planned_raw = [number for number, planned in raw_endpoint._plans.items() if planned]
    raw.port1.close()
    heard.destroy()
    channel.port1.close()
    assert first[:2] == ["int", "int"], first
    assert len(planned) == 2 and len(planned_raw) == 1, (planned, planned_raw)  # the long id: planned
    assert again == ["int", [2], "JsArrayBuffer"], again
    assert [(answer["id"], answer["value"]) for answer in answers] == [
        ("short", "int"),
        ("short again", "int"),
        (long_id, "int"),
    ], answers


async def check_a_plain_answer_goes_to_its_call_and_no_other_listener() -> None:
    """With the shortcuts on, the JS listener hands a plain answer of an atom straight to the call
    that waits for it: other listeners of the endpoint never see it, while they still see an answer
    that is not an atom and one that no call claims. With the shortcuts off they see all three."""
    Comlink = await _comlink()
    node_endpoint = await _node_endpoint()
    seen = []
    for enabled in (True, False):
        with _shortcuts(enabled):
            channel = js.MessageChannel.new()
            Comlink.expose(
                run_js("({ add: (a, b) => a + b, pair: (a, b) => [a, b] })"), node_endpoint(channel.port1)
            )
            endpoint = JsEndpoint(channel.port2)
            heard: list[Any] = []
            endpoint.add_listener(lambda event, heard=heard: heard.append(event.data["value"]))
            remote = comlink_py.wrap(endpoint)
            results = [await remote.add(1, 2), await remote.pair(1, 2)]
            stray = {"type": "RAW", "value": "nobody's", "id": "not a pending call"}
            channel.port1.postMessage(to_js(stray, dict_converter=js.Object.fromEntries))
            while "nobody's" not in heard:
                await asyncio.sleep(0.01)
            seen.append([results, [value if isinstance(value, (int, str)) else "pair" for value in heard]])
        channel.port1.close()
    assert seen == [
        [[3, [1, 2]], ["pair", "nobody's"]],
        [[3, [1, 2]], [3, "pair", "nobody's"]],
    ], seen


async def check_an_endpoint_that_still_exposes_ignores_answers_after_its_wrap_is_released() -> None:
    """One endpoint both exposed on and wrapped (Comlink's nodeEndpoint, which release leaves open):
    once the wrap is released, a stray answer arriving on it is ignored as before, and the exposed
    object still answers (the JS listener stays, without the wrap's answer listener)."""
    Comlink = await _comlink()
    node_endpoint = await _node_endpoint()
    channel = js.MessageChannel.new()
    far = node_endpoint(channel.port1)
    Comlink.expose(run_js("({ add: (a, b) => a + b })"), far)
    api = Comlink.wrap(far)
    endpoint = JsEndpoint(node_endpoint(channel.port2))
    comlink_py.expose(Counter(), endpoint)
    remote = comlink_py.wrap(endpoint)
    before = [await api.add(1), await remote.add(2, 3)]
    await comlink_py.release(remote)
    stray = {"type": "RAW", "value": 1, "id": "not a pending call"}
    channel.port1.postMessage(to_js(stray, dict_converter=js.Object.fromEntries))
    await asyncio.sleep(0.05)
    after = await asyncio.wait_for(api.add(2), 5)
    channel.port1.close()
    assert [*before, after] == [1, 5, 3], [*before, after]
