"""Traffic tracing: every message a traced endpoint sends or receives is one DEBUG line."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import comlink_py as c
from comlink_py.debug import TracedEndpoint, compact, traced
from tests.helpers import run

ROOT = Path(__file__).resolve().parent.parent


class Api:
    def __init__(self) -> None:
        self.calls = 0

    def add(self, a: int, b: int) -> int:
        return a + b

    def call_back(self, callback: c.Remote[object]) -> object:
        return callback(21)


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "comlink_py.traffic"]


def test_each_message_is_one_line_with_direction_and_name(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, "comlink_py.traffic")

    async def main() -> int:
        channel = c.MessageChannel()
        c.expose(Api(), traced(channel.port2, name="server"))
        remote = c.wrap(traced(channel.port1, name="client"))
        result: int = await remote.add(1, 2)
        await c.release(remote)
        return result

    assert run(main()) == 3
    lines = _lines(caplog)
    assert len(lines) == 8, lines
    sent, received, answered, got = lines[:4]
    assert [line.split(" {")[0] for line in lines[4:]] == ["client ->", "server <-", "server ->", "client <-"]
    assert '"type":"RELEASE"' in lines[4]
    assert re.fullmatch(r'client -> \{"id":"[^"]+","type":"APPLY","path":\["add"\],"argumentList":.*\}', sent)
    assert received.startswith("server <- ") and received[10:] == sent[10:]
    assert re.fullmatch(r'server -> \{"type":"RAW","value":3,"id":"[^"]+"\}', answered)
    assert got == answered.replace("server -> ", "client <- ")
    assert all("\n" not in line for line in lines)


def test_proxies_and_new_channels_are_traced_too(caplog: pytest.LogCaptureFixture) -> None:
    """A callback passed with proxy() opens a channel; both its ends show up under child names."""
    caplog.set_level(logging.DEBUG, "comlink_py.traffic")

    async def main() -> object:
        channel = c.MessageChannel()
        c.expose(Api(), traced(channel.port2, name="server"))
        remote = c.wrap(traced(channel.port1, name="client"))
        result = await remote.call_back(c.proxy(lambda x: x * 2))
        await c.release(remote)
        return result

    assert run(main()) == 42
    names = {line.split(" ", 1)[0] for line in _lines(caplog)}
    # client/1: the callback's channel, opened by the client; server/1: the Remote the server made.
    assert names == {"client", "server", "client/1", "server/1"}, _lines(caplog)
    callback_lines = [line for line in _lines(caplog) if line.startswith("server/1 -> ")]
    assert any('"type":"APPLY"' in line and '"value":21' in line for line in callback_lines)


def test_create_endpoint_channel_is_traced_on_the_exposing_side(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, "comlink_py.traffic")

    async def main() -> int:
        channel = c.MessageChannel()
        c.expose(Api(), traced(channel.port2, name="server"))
        remote = c.wrap(channel.port1)
        second = c.wrap(await c.create_endpoint(remote))
        result: int = await second.add(2, 3)
        return result

    assert run(main()) == 5
    assert any(line.startswith('server/1 <- {"id"') and '"APPLY"' in line for line in _lines(caplog))


def test_untraced_traffic_and_disabled_level_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "comlink_py.traffic")

    async def main() -> int:
        channel = c.MessageChannel()
        c.expose(Api(), traced(channel.port2))
        result: int = await c.wrap(traced(channel.port1)).add(1, 1)
        return result

    assert run(main()) == 2
    assert _lines(caplog) == []


def test_traced_endpoint_keeps_the_optional_members_of_what_it_wraps() -> None:
    class Minimal:
        def post_message(self, message: object, transfer: object = ()) -> None: ...
        def add_listener(self, listener: object) -> None: ...
        def remove_listener(self, listener: object) -> None: ...

    bare = traced(Minimal())
    assert isinstance(bare, c.Endpoint)
    for name in ("start", "close", "new_channel", "add_close_listener"):
        assert getattr(bare, name, None) is None, name
    port = traced(c.MessageChannel().port1)
    assert all(callable(getattr(port, n)) for n in ("start", "close", "new_channel", "add_close_listener"))
    assert traced(port) is port  # tracing twice does not log twice


def test_a_custom_logger_and_long_messages(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("my.app.trace")
    caplog.set_level(logging.DEBUG, "my.app.trace")

    async def main() -> int:
        channel = c.MessageChannel()
        c.expose(Api(), channel.port2)
        remote = c.wrap(traced(channel.port1, logger, name="big"))
        result: bytes = await remote.add(b"x" * 10, b"y" * 5)
        return len(result)

    assert run(main()) == 15
    lines = [r.getMessage() for r in caplog.records if r.name == "my.app.trace"]
    assert any('"value":"<10 bytes>"' in line for line in lines), lines
    long = compact({"text": "z" * 5000})
    assert len(long) < 1100 and long.endswith("more characters)")


def test_listeners_are_added_and_removed_through_one_tap() -> None:
    port = c.MessageChannel().port1
    endpoint = traced(port)
    assert isinstance(endpoint, TracedEndpoint)
    first, second = (lambda e: None), (lambda e: None)
    endpoint.add_listener(first)
    endpoint.add_listener(second)
    assert len(port._listeners) == 1
    endpoint.remove_listener(first)
    endpoint.remove_listener(second)
    assert port._listeners == []


def test_environment_variable_traces_expose_and_wrap() -> None:
    """COMLINK_PY_DEBUG=1 is read at import time, so it runs in a fresh interpreter."""
    script = textwrap.dedent(
        """
        import asyncio, comlink_py as c

        async def main():
            channel = c.MessageChannel()
            c.expose({"add": lambda a, b: a + b}, channel.port2)
            print(await c.wrap(channel.port1).add(2, 2))

        asyncio.run(main())
        """
    )
    env = {**os.environ, "COMLINK_PY_DEBUG": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "4\n"
    lines = proc.stderr.splitlines()
    assert any(re.match(r'comlink_py wrap\d+ -> \{"id".*"type":"APPLY"', line) for line in lines), lines
    assert any(re.match(r'comlink_py expose\d+ -> \{"type":"RAW","value":4', line) for line in lines), lines

    env.pop("COMLINK_PY_DEBUG")
    quiet = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert quiet.returncode == 0 and quiet.stdout == "4\n" and quiet.stderr == ""
