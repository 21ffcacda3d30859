"""The exposure policy: a peer reaches only what the exposed object offers, never the interpreter.

Each door found in review has a regression test here; the hypothesis test walks random hostile
paths over a rich object graph (tests/interop/py/hostile_graph.py) and asks the oracle whether anything
escaped. The same walk runs in real Pyodide in tests/interop/test_hostile.py.
"""

from __future__ import annotations

import gc
import inspect
import json
import types
from collections import abc
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import comlink_py as c
from comlink_py.protocol import wire
from comlink_py.protocol.codec import WIRE_ATOMS
from comlink_py.protocol.exposing import Exposer
from comlink_py.protocol.handlers import Thrown
from tests.helpers import recording_channel, run
from tests.interop.py import hostile_graph

ORACLE = hostile_graph.Oracle()


def connect(obj: Any, strict: bool = False, **options: Any) -> c.Remote[Any]:
    channel = c.MessageChannel()
    c.expose(obj, channel.port2, strict=strict, **options)
    return c.wrap(channel.port1, timeout=5)


async def refused(call: Any, *words: str) -> str:
    """The message of the PermissionError (or TypeError) ``call`` is answered with."""
    with pytest.raises(c.RemoteError) as info:
        await call
    assert info.value.name in ("PermissionError", "TypeError"), info.value
    for word in words:
        assert word in info.value.message, info.value.message
    return info.value.message


# -- 1. CONSTRUCT and coroutines, generators --------------------------------------------------


class Work:
    async def work(self) -> int:
        return 1

    def rows(self) -> Any:
        yield 1

    def coroutine_by_hand(self) -> Any:
        return c.proxy(self.rows())


def test_construct_constructs_classes_only() -> None:
    async def go() -> None:
        api = connect(Work())
        await refused(c.construct(api.work), "CONSTRUCT constructs classes only")
        await refused(c.construct(api.rows), "classes only")
        assert await api.work() == 1  # the method itself still works

    run(go())


def test_a_proxied_generator_is_not_walked_to_its_frame() -> None:
    async def go() -> None:
        generator = await connect(Work()).coroutine_by_hand()
        await refused(generator.gi_frame, "gi_frame", "interpreter internals")
        await refused(generator.gi_frame.f_builtins["eval"]("1+1"), "gi_frame")
        await refused(generator.send(None), "send")

    run(go())


# -- 2. no error name changes control flow ----------------------------------------------------


def test_a_remote_stop_iteration_is_raised_not_returned() -> None:
    class Api:
        def empty(self) -> Any:
            return next(iter([]))

        async def empty_async(self) -> Any:
            raise StopAsyncIteration("done")

    async def go() -> None:
        api = connect(Api())
        with pytest.raises(c.RemoteError) as info:
            await api.empty()
        assert info.value.name == "StopIteration"
        assert not isinstance(info.value, StopIteration)
        with pytest.raises(c.RemoteError) as info:
            await api.empty_async()
        assert info.value.name == "StopAsyncIteration"
        assert not isinstance(info.value, StopAsyncIteration)

    run(go())


def test_a_thrown_error_named_stop_iteration_from_a_peer_is_an_error() -> None:
    async def go() -> None:
        channel = c.MessageChannel()
        remote, far = c.wrap(channel.port1, timeout=5), channel.port2

        def answer(event: c.MessageEvent) -> None:
            error = {"isError": True, "value": {"name": "StopIteration", "message": "7", "stack": ""}}
            far.post_message({"type": "HANDLER", "name": "throw", "value": error, "id": event.data["id"]})

        far.add_listener(answer)
        far.start()
        with pytest.raises(c.RemoteError) as info:
            await remote.anything()
        assert info.value.name == "StopIteration" and info.value.message == "7"

    run(go())


# -- 3. every request with an id gets exactly one answer ----------------------------------------


def _deep(depth: int) -> Any:
    value: Any = []
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    "message",
    [
        {"id": "a", "type": 10**5000},
        {"id": "a", "type": _deep(5000)},
        {"id": "a", "type": "APPLY", "path": [], "argumentList": [{"type": 10**5000}]},
        {"id": "a", "type": "APPLY", "path": [], "argumentList": [{"type": "HANDLER", "name": _deep(5000)}]},
        {"id": "a", "type": "SET", "path": ["x"], "value": {"type": _deep(5000)}},
        {"id": "a", "type": "GET", "path": [10**5000]},
    ],
    ids=["huge-type", "deep-type", "huge-wire-type", "deep-handler-name", "deep-set-value", "huge-path"],
)
def test_malformed_requests_that_cannot_be_printed_are_answered(message: dict[str, Any]) -> None:
    async def go() -> None:
        _, far = recording_channel()
        exposer = Exposer(lambda: 1, far, lambda obj, ep: None)
        dispatch = exposer.receive(c.MessageEvent(message))
        assert dispatch is not None and dispatch.error is not None
        assert dispatch.id == "a"
        answer, _ = exposer.reply(dispatch, Thrown(dispatch.error))
        assert answer["id"] == "a" and answer["name"] == "throw"
        assert len(answer["value"]["value"]["message"]) < 300

    run(go())


# -- 4. transports agree on what cannot be cloned ---------------------------------------------


def test_in_memory_clone_refuses_deep_nesting_and_tuple_keys_clearly() -> None:
    class Api:
        def echo(self, value: Any) -> Any:
            return value

    async def go() -> None:
        api = connect(Api())
        with pytest.raises(c.DataCloneError, match="nested too deeply"):
            await api.echo(_deep(5000))
        with pytest.raises(c.DataCloneError, match="tuple cannot be a dict key"):
            await api.echo({(1, 2): 3})
        assert await api.echo(_deep(50)) == _deep(50)

    run(go())


# -- 5. modules, JS objects, class machinery, SET ---------------------------------------------


class Holder:
    def __init__(self) -> None:
        self.codec = json
        self.mods = {"os": __import__("os")}
        self.items = [1, 2]
        self.greeting = "Hello {}"
        self.Thing = hostile_graph.Thing


def test_a_module_held_in_an_attribute_is_not_entered_or_changed() -> None:
    async def go() -> None:
        api = connect(Holder())
        await refused(api.codec.codecs.sys.modules.os.getpid(), "'codec'", "module 'json'")
        await refused(api.codec.dumps([1]), "module 'json'")
        await refused(c.construct(api.codec.codecs.sys.modules.io.FileIO, "/etc/hostname"), "module")
        await refused(c.assign(api.codec.anything, 7), "module")
        assert not hasattr(json, "anything")
        await refused(api.mods.os.getpid(), "module 'os'")

    run(go())


def test_a_module_root_never_yields_or_runs_the_gateways_it_defines() -> None:
    """A module exposed as the root offers what it defines, but a gateway it defines (runpy's
    run_path) is refused at the step itself, so the call needs no second check."""
    import runpy

    async def go() -> None:
        api = connect(runpy)
        await refused(api.run_path("/etc/hostname"), "step 'run_path' is refused", "interpreter internals")
        await refused(api.run_path, "step 'run_path' is refused")

    with ORACLE.watch():
        run(go())


def test_class_machinery_beyond_the_users_own_attributes_is_closed() -> None:
    async def go() -> None:
        api = connect(Holder())
        assert await api.Thing.kind == "thing"
        assert await api.Thing.sm() == "static"
        await refused(api.Thing.mro(), "its own code defines")
        await refused(c.assign(api.Thing.kind, "changed"), "SET")
        counter = await c.construct(api.Thing, 5)
        assert await counter.increment() == 6
        await refused(api.greeting.format("{0}"), "format")
        assert await api.greeting.upper() == "HELLO {}"
        assert await api.items.append(3) is None and await api.items == [1, 2, 3]

    run(go())


def test_private_names_are_still_refused_and_allow_private_turns_the_policy_off() -> None:
    class Account:
        def __init__(self) -> None:
            self._balance = 100
            self.codec = json

    async def go() -> None:
        await refused(connect(Account())._balance, "allow_private")
        trusted = connect(Account(), allow_private=True)
        assert await trusted._balance == 100
        assert await trusted.codec.dumps([1]) == "[1]"

    run(go())


class Careless:
    """An author who stored the interpreter's own tools in public attributes."""

    def __init__(self) -> None:
        import os
        import pickle
        import subprocess

        self.loads = pickle.loads
        self.run = subprocess.run
        self.remove = os.remove
        self.evaluate = eval
        self.posix = vars(__import__("posix"))
        self.os = c.proxy(os)
        self.size = len


def test_functions_that_run_what_the_caller_writes_are_refused_wherever_they_are() -> None:
    async def go() -> None:
        api = connect(Careless())
        for call in (
            api.loads(b"cos\nsystem\n(S'true'\ntR."),
            api.run(["true"]),
            api.remove("/nonexistent"),
            api.evaluate("1+1"),
            api.posix.system("true"),
            api.os.system("true"),
            api.os.path.exists("/"),
        ):
            await refused(call)
        assert await api.size([1, 2]) == 2  # a harmless built-in the author offered
        await refused(c.assign(api.os.obj, 1))

    run(go())


def test_a_class_made_in_a_namespace_without_a_name_is_the_users() -> None:
    """exec with a bare dict (as Pyodide's runPython with its own globals) names the module
    'builtins'; such a class is still the author's, and built-in types stay the interpreter's."""
    namespace: dict[str, Any] = {}
    exec(
        "class Api:\n    def __init__(self):\n        self.x = 1\n    def ping(self):\n        return 2",
        namespace,
    )
    assert namespace["Api"].__module__ == "builtins"

    async def go() -> None:
        api = connect(namespace["Api"]())
        assert await api.x == 1 and await api.ping() == 2
        assert await (await c.construct(connect({"Api": namespace["Api"]}).Api)).ping() == 2
        error = connect({"e": ValueError("v")})
        await refused(error.e.args, "values, not APIs")

    run(go())


# -- strict mode ------------------------------------------------------------------------------


class Marked:
    __comlink_exposed__ = ("version",)

    def __init__(self) -> None:
        self.version = "1.0"
        self.secret = "no"

    @c.exposed
    def ping(self) -> str:
        return "pong"

    def helper(self) -> str:
        return "internal"


def test_a_class_that_marks_members_serves_only_those_even_without_strict() -> None:
    async def go() -> None:
        api = connect(Marked())
        assert await api.ping() == "pong" and await api.version == "1.0"
        await refused(api.helper(), "strict mode")
        await refused(api.secret, "strict mode")

    run(go())


def test_strict_mode_serves_nothing_unmarked() -> None:
    async def go() -> None:
        api = connect(Holder(), strict=True)
        await refused(api.items, "strict mode")
        data = connect({"k": [1, 2]}, strict=True)
        assert await data.k == [1, 2]  # keys and indexes are data, not names
        await refused(data.k.append(3), "built-in data")

    run(go())


class Factory:
    @c.exposed
    def make(self) -> Any:
        return c.proxy(Holder())


def test_a_proxy_handed_out_by_a_strict_object_is_served_strictly() -> None:
    async def go() -> None:
        holder = await connect(Factory(), strict=True).make()
        await refused(holder.items, "strict mode")
        holder = await connect(Factory()).make()  # marks make Factory strict, not what it hands out
        assert await holder.items == [1, 2]

    run(go())


# -- the walk ---------------------------------------------------------------------------------

steps = st.builds(
    hostile_graph.Step,
    root=st.integers(0, 3),
    operation=st.sampled_from(hostile_graph.OPERATIONS),
    path=st.lists(st.sampled_from(hostile_graph.VOCABULARY), max_size=6),
    args=st.lists(st.sampled_from([*hostile_graph.ARGUMENTS, hostile_graph.CALLBACK]), max_size=2),
)


@pytest.mark.parametrize("strict", [False, True], ids=["public", "strict"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(walk=st.lists(steps, min_size=1, max_size=10))
def test_no_random_hostile_path_reaches_the_interpreter(strict: bool, walk: list[hostile_graph.Step]) -> None:
    before = hostile_graph.module_state()
    with ORACLE.watch():
        run(hostile_graph.walk(connect, walk, strict=strict, timeout=2))
    assert hostile_graph.module_state() == before, "a SET changed a module"


def test_the_oracle_sees_an_escape_when_the_policy_is_off() -> None:
    """The walk's oracle is not blind: with the policy off, the issue's first door opens."""
    door = [hostile_graph.Step(0, "GET", ["codec", "codecs", "sys", "modules", "os"], [])]
    with pytest.raises(hostile_graph.Escape, match="yielded module"), ORACLE.watch():
        run(hostile_graph.walk(lambda obj, strict: connect(obj, allow_private=True), door))
    frame = [hostile_graph.Step(0, "GET", ["frames", "0", "f_builtins"], [])]
    with pytest.raises(hostile_graph.Escape), ORACLE.watch():
        run(hostile_graph.walk(lambda obj, strict: connect(obj, allow_private=True), frame))


def test_the_walk_does_reach_what_the_graph_offers() -> None:
    """Not every path is refused: the walk meets real answers too."""

    async def go() -> None:
        api = connect(hostile_graph.Api())
        assert await api.data.k[1].x == 2
        assert await api.counter.increment(2) == 3
        assert await api.numbers.length == 3
        assert await api.work() == 1
        thing = await api.make(4)
        assert await thing.x == 4
        seen: list[Any] = []
        assert await api.call_back(c.proxy(lambda x: seen.append(x) or x), 9) == 9

    run(go())


def _outcome(exposer: Exposer, dispatch: Any) -> tuple[str, Any]:
    try:
        result = exposer.perform(dispatch)
    except Exception as error:
        return type(error).__name__, str(error)
    return "value", result if type(result) in WIRE_ATOMS else type(result).__name__


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(step=steps, strict=st.booleans())
@example(step=hostile_graph.Step(0, "APPLY", ["lam"], [1, "os"]), strict=False)
@example(step=hostile_graph.Step(0, "APPLY", ["fn"], ["1+1"]), strict=False)
@example(step=hostile_graph.Step(0, "GET", ["numbers", "length"], []), strict=False)
@example(step=hostile_graph.Step(0, "CONSTRUCT", ["Thing"], [2]), strict=False)
@example(step=hostile_graph.Step(0, "GET", ["codec", "codecs"], []), strict=False)
def test_a_request_the_transport_checked_meets_exactly_the_refusals_of_a_parsed_one(
    step: hostile_graph.Step, strict: bool
) -> None:
    """Exposer.receive_call (the Pyodide fast path's entry, for requests whose form JS checked)
    accepts and refuses exactly what receive and parse_request do, over the hostile graph."""
    kind = {"GET": wire.GET, "APPLY": wire.APPLY, "CONSTRUCT": wire.CONSTRUCT}.get(step.operation)
    assume(kind is not None)
    args = None if kind == wire.GET else [a for a in step.args if type(a) in WIRE_ATOMS]
    channel = c.MessageChannel()

    def outcome(checked: bool) -> tuple[str, Any]:
        exposer = Exposer(hostile_graph.Api(), channel.port1, lambda obj, ep: None, strict=strict)
        if checked:
            dispatch = exposer.receive_call(None, "1", kind, tuple(step.path), args)
        else:
            wires = None if args is None else [{"type": wire.RAW, "value": a} for a in args]
            request = wire.request("1", kind, list(step.path), argument_list=wires)  # type: ignore[arg-type]
            dispatch = exposer.receive(c.MessageEvent(request))
        with ORACLE.watch():
            return _outcome(exposer, dispatch)

    assert outcome(checked=True) == outcome(checked=False)


# -- route plans ------------------------------------------------------------------------------


def _gateway_method(root: Any) -> Any:
    return types.MethodType(eval, "1+1")  # run, it would give 2: the policy must refuse it


def _class_swap(root: Any) -> None:
    class Other(type(root)):  # type: ignore[misc]
        def keep(self, value: Any) -> str:
            return "other"

    root.__class__ = Other


def _rename(root: Any, name: str) -> None:
    func = getattr(type(root), name)
    func.__module__, func.__qualname__ = "builtins", "eval"


def _register_as_mapping(root: Any, name: str) -> None:
    abc.Mapping.register(type(root))


def _cell_func(root: Any, name: str) -> None:
    setattr(type(root), name, property(lambda self: eval))


def _fresh_api() -> Any:
    """An Api whose class and methods are its own, so that a mutation changes nothing shared."""

    def own(func: Any) -> Any:
        copy = types.FunctionType(func.__code__, func.__globals__, func.__name__, func.__defaults__)
        copy.__qualname__ = func.__qualname__
        return copy

    methods = {name: own(vars(hostile_graph.Api)[name]) for name in PLANNED}
    return type("Fresh", (hostile_graph.Api,), methods)()


# What may change between a route's plan and a request of it: each on a class made for the example.
MUTATIONS: dict[str, Any] = {
    "nothing": lambda root, name: None,
    "an instance attribute eval": lambda root, name: setattr(root, name, eval),
    "an instance attribute, a plain function": lambda root, name: setattr(root, name, lambda *a: len(a)),
    "an instance attribute, a frame": lambda root, name: setattr(root, name, hostile_graph._frame()),
    "an instance attribute, eval bound as a method": lambda root, name: setattr(
        root, name, _gateway_method(root)
    ),
    "the class swapped": lambda root, name: _class_swap(root),
    "the function renamed eval": _rename,
    "the class's method replaced": lambda root, name: setattr(type(root), name, lambda self, *a: "replaced"),
    "a property returning eval": _cell_func,
    "the class registered as a Mapping": _register_as_mapping,
}
PLANNED = ("rows", "make", "hand_out", "hand_out_gen", "keep", "work")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.sampled_from(PLANNED),
    mutation=st.sampled_from(sorted(MUTATIONS)),
    args=st.lists(st.sampled_from([0, 1, "1+1", None, "x"]), max_size=2),
)
def test_a_route_plan_meets_exactly_the_refusals_of_the_checked_path(
    name: str, mutation: str, args: list[Any]
) -> None:
    """Exposer.run_plan (the JS listener's planned routes) serves and refuses exactly what the
    general path does, whatever changed on the object after the route was planned."""

    def outcome(planned: bool) -> tuple[str, Any]:
        root = _fresh_api()
        exposer = Exposer(root, c.MessageChannel().port1, lambda obj, ep: None)
        plan = exposer.plan(wire.APPLY, (name,))
        assert plan is not None
        MUTATIONS[mutation](root, name)
        gc.collect()  # earlier examples' objects (frames, generators) finalized outside the watch
        with ORACLE.watch():
            try:
                if planned:  # counted as performing, so that the oracle's audit hook watches it
                    ORACLE.performing += 1
                    try:
                        result = exposer.run_plan(plan, list(args))
                    finally:
                        ORACLE.performing -= 1
                else:
                    result = exposer.perform(exposer.receive_call(None, "1", wire.APPLY, (name,), list(args)))
            except Exception as error:
                return type(error).__name__, str(error)
        if inspect.isawaitable(result):
            result.close()  # type: ignore[attr-defined]
        return "value", result if type(result) in WIRE_ATOMS else type(result).__name__

    assert outcome(planned=True) == outcome(planned=False)


def test_only_a_method_of_the_exposed_object_itself_is_planned() -> None:
    root = hostile_graph.Api()
    plan = Exposer(root, c.MessageChannel().port1, lambda obj, ep: None).plan
    assert plan(wire.APPLY, ("keep",)) is not None
    assert plan(wire.GET, ("keep",)) is None  # an APPLY only
    assert plan(wire.APPLY, ("counter", "increment")) is None  # one step only
    assert plan(wire.APPLY, ("fn",)) is None  # an instance attribute: read now, checked as ever
    assert plan(wire.APPLY, ("_secret",)) is None
    strict = Exposer(root, c.MessageChannel().port1, lambda obj, ep: None, strict=True)
    assert strict.plan(wire.APPLY, ("keep",)) is None
    assert (
        Exposer({"keep": len}, c.MessageChannel().port1, lambda obj, ep: None).plan(wire.APPLY, ("keep",))
        is None
    )
