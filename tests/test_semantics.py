"""Request semantics of the exposing and wrapping sides, over in-memory channels."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

import pytest

import comlink_py as c
from comlink_py import aio
from comlink_py.protocol.endpoint import MessageEvent
from comlink_py.protocol.handlers import PROXY_HANDLER
from tests.helpers import recording_channel, run


class Account:
    instances = 0

    def __init__(self, owner: str, balance: int = 0) -> None:
        Account.instances += 1
        self.owner = owner
        self.balance = balance
        self.finalized = False

    def deposit(self, amount: int) -> int:
        if amount <= 0:
            raise ValueError(f"deposit must be positive, got {amount}")
        self.balance += amount
        return self.balance

    def __comlink_finalizer__(self) -> None:
        self.finalized = True


class Bank:
    Account = Account

    def __init__(self) -> None:
        self.accounts = {"alice": Account("alice", 10)}
        self.history: list[Any] = [1, [2, 3]]
        self.finalized = 0
        self._secret = "hidden"

    def kwargs(self, a: int, *, scale: int = 1) -> int:
        return a * scale

    async def later(self, value: Any) -> Any:
        await asyncio.sleep(0.001)
        return value

    def run_callback(self, callback: Any, value: Any) -> Any:
        return callback(value)

    async def relay(self, callback: Any) -> Any:
        """Hands the caller a callback of its own, to go one level deeper."""
        return await callback(c.proxy(lambda x: x * 10))

    def open(self, owner: str) -> Account:
        return c.proxy(Account(owner))

    def __comlink_finalizer__(self) -> None:
        self.finalized += 1


def pair(obj: Any, **options: Any) -> c.Remote[Any]:
    channel = c.MessageChannel()
    c.expose(obj, channel.port1, **options)
    return c.wrap(channel.port2)


def test_paths_reach_attributes_keys_and_indexes() -> None:
    async def go() -> None:
        remote = pair(Bank())
        assert await remote.accounts.alice.balance == 10
        assert await remote.history[1][0] == 3 - 1
        assert await remote.history.length == 2
        assert await remote.kwargs(4, scale=3) == 12
        assert await remote.later({"x": [1]}) == {"x": [1]}

    run(go())


def test_set_writes_attributes_keys_and_list_items() -> None:
    async def go() -> None:
        bank = Bank()
        remote = pair(bank)
        assert await c.assign(remote.accounts.alice.owner, "Alice") is True
        await c.assign(remote.accounts.bob, 5)
        await c.assign(remote.history[0], "first")
        assert bank.accounts["alice"].owner == "Alice"
        assert bank.accounts["bob"] == 5
        assert bank.history[0] == "first"

    run(go())


def test_python_errors_arrive_with_name_message_and_traceback() -> None:
    async def go() -> None:
        remote = pair(Bank())
        with pytest.raises(ValueError) as info:
            await remote.accounts.alice.deposit(-1)
        error = info.value
        assert isinstance(error, c.RemoteError)
        assert error.name == "ValueError"
        assert error.message == "deposit must be positive, got -1"
        assert "in deposit" in (error.stack or "") and "Traceback" in (error.stack or "")
        with pytest.raises(AttributeError, match="no attribute 'nope'"):
            await remote.nope
        with pytest.raises(TypeError, match="not callable"):
            await remote.history()

    run(go())


def test_errors_travel_both_ways_through_callbacks() -> None:
    def bad_callback(value: Any) -> Any:
        raise LookupError(f"caller-side failure for {value}")

    async def go() -> None:
        remote = pair(Bank())
        with pytest.raises(LookupError) as info:
            await remote.run_callback(c.proxy(bad_callback), 7)
        # Raised in the caller's callback, passed through the exposed side, back to the caller.
        assert info.value.message == "caller-side failure for 7"
        assert "bad_callback" in (info.value.stack or "")

    run(go())


def test_construct_then_methods_on_the_instance() -> None:
    async def go() -> None:
        remote = pair(Bank())
        account = await c.construct(remote.Account, "carol", balance=5)
        assert isinstance(account, c.Remote)
        assert await account.deposit(10) == 15
        assert await account.owner == "carol"
        opened = await remote.open("dave")
        assert await opened.deposit(1) == 1

    run(go())


def test_proxy_callbacks_nested_three_levels_deep() -> None:
    async def go() -> None:
        remote = pair(Bank())

        async def level_one(level_two: c.Remote[Any]) -> Any:
            # level_two lives on the exposed side; it receives our level-three callback.
            return await level_two(3) + 1

        assert await remote.relay(c.proxy(level_one)) == 31

        seen: list[int] = []

        async def outer(inner: c.Remote[Any]) -> None:
            await inner(c.proxy(lambda v: seen.append(v)))

        def middle(cb: c.Remote[Any]) -> Any:
            return cb(5)

        await remote.run_callback(c.proxy(outer), c.proxy(middle))
        assert seen == [5]

    run(go())


def test_create_endpoint_serves_the_same_object() -> None:
    async def go() -> None:
        bank = Bank()
        remote = pair(bank)
        port = await c.create_endpoint(remote)
        other = c.wrap(port)
        await c.assign(other.accounts.zoe, 1)
        assert await remote.accounts.zoe == 1
        await c.release(other)
        assert await remote.accounts.zoe == 1, "releasing the second endpoint leaves the first"

    run(go())


def test_release_runs_the_finalizer_and_stops_every_use() -> None:
    async def go() -> None:
        bank = Bank()
        remote = pair(bank)
        child = remote.accounts
        pending = remote.later(1)
        await c.release(remote)
        assert bank.finalized == 1
        with pytest.raises(c.ReleasedProxyError):
            await pending
        with pytest.raises(c.ReleasedProxyError):
            await child.alice
        with pytest.raises(c.ReleasedProxyError):
            remote.later(2)
        with pytest.raises(c.ReleasedProxyError):
            c.release(remote)

    run(go())


def test_a_garbage_collected_remote_releases_its_object() -> None:
    async def go() -> None:
        account = Account("gc")
        remote = pair({"make": lambda: c.proxy(account)})
        instance = await remote.make()
        assert await instance.owner == "gc"
        del instance
        gc.collect()
        for _ in range(5):
            await asyncio.sleep(0)
        assert account.finalized

    run(go())


def test_private_and_dunder_names_are_refused_unless_allowed() -> None:
    async def go() -> None:
        remote = pair(Bank())
        for path in (remote._secret, remote["__class__"]["__init__"]["__globals__"]):
            with pytest.raises(PermissionError, match="private name"):
                await path
        with pytest.raises(PermissionError):
            await c.assign(remote._secret, "x")
        assert await pair(Bank(), allow_private=True)._secret == "hidden"

    run(go())


def test_thrown_non_errors_and_custom_handlers_interoperate() -> None:
    class Point:
        def __init__(self, x: int, y: int) -> None:
            self.x, self.y = x, y

    class PointHandler:
        def can_handle(self, value: Any) -> bool:
            return isinstance(value, Point)

        def serialize(self, value: Point, endpoint: Any) -> tuple[Any, list[Any]]:
            return [value.x, value.y], []

        def deserialize(self, value: Any, endpoint: Any) -> Point:
            return Point(*value)

    c.transfer_handlers["point"] = PointHandler()
    try:

        async def go() -> None:
            remote = pair({"flip": lambda p: Point(p.y, p.x)})
            flipped = await remote.flip(Point(1, 2))
            assert (flipped.x, flipped.y) == (2, 1)

        run(go())
    finally:
        del c.transfer_handlers["point"]


def test_messages_without_data_responses_and_bad_origins_get_no_answer() -> None:
    async def go() -> None:
        _near, far = recording_channel()
        c.expose(Bank(), far, allowed_origins=["https://good.example"])
        far.deliver(None)
        far.deliver({})
        far.deliver({"id": "1", "type": "RAW", "value": 1})
        await asyncio.sleep(0)
        assert far.sent == []

    run(go())


def test_malformed_requests_with_an_id_get_a_clear_error() -> None:
    async def go() -> None:
        near, far = recording_channel()
        c.expose(Bank(), far)
        near.start()
        for bad in (
            {"id": "a", "type": "FROB"},
            {"id": "b", "type": "GET", "path": "accounts"},
            {"id": "c", "type": "APPLY", "path": ["kwargs"], "argumentList": [{"type": "RAW"}, 5]},
            {"id": "d", "type": "SET", "path": [], "value": {"type": "RAW", "value": 1}},
            {
                "id": "e",
                "type": "APPLY",
                "path": ["kwargs"],
                "argumentList": [{"type": "HANDLER", "name": "?"}],
            },
        ):
            near.post_message(bad)
        await asyncio.sleep(0.01)
        answers = {m["id"]: m["value"]["value"]["message"] for m in far.sent}
        assert "unknown message type 'FROB'" in answers["a"]
        assert "'path' must be a list of strings" in answers["b"]
        assert "argumentList[1]" in answers["c"]
        assert "SET needs a non-empty 'path'" in answers["d"]
        assert "no transfer handler registered under '?'" in answers["e"]

    run(go())


def test_origin_rules_accept_strings_and_regular_expressions() -> None:
    import re

    from comlink_py.protocol.exposing import is_allowed_origin

    assert is_allowed_origin(["*"], None)
    assert is_allowed_origin(["https://a.example"], "https://a.example")
    assert not is_allowed_origin(["https://a.example"], "https://b.example")
    assert is_allowed_origin([re.compile(r"^https://.*\.example$")], "https://b.example")
    assert not is_allowed_origin([re.compile(r"^https://.*\.example$")], "http://evil.test")

    async def go() -> None:
        _near, far = recording_channel()
        c.expose(Bank(), far, allowed_origins=[re.compile(r"good")])
        far.start()
        for listener in far._listeners:
            listener(MessageEvent({"id": "x", "type": "GET", "path": ["history"]}, "https://evil"))
            listener(MessageEvent({"id": "y", "type": "GET", "path": ["history"]}, "https://good"))
        await asyncio.sleep(0)
        assert [m["id"] for m in far.sent] == ["y"]

    run(go())


def test_the_proxy_handler_is_bound_to_the_asyncio_layer() -> None:
    """The protocol core cannot serve a channel itself: aio binds expose and wrap when it loads,
    and a handler left unbound says what it needs instead of failing obscurely."""
    assert (PROXY_HANDLER.expose, PROXY_HANDLER.wrap) == (aio._serve_proxy, c.wrap)
    unbound = type(PROXY_HANDLER)()
    with pytest.raises(RuntimeError, match="asyncio layer"):
        unbound.serialize(c.proxy(object()), c.MessageChannel().port1)
    with pytest.raises(RuntimeError, match="asyncio layer"):
        unbound.deserialize(c.MessageChannel().port1, c.MessageChannel().port1)
