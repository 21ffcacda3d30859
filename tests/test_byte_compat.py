"""The same conversation through real JS Comlink and through comlink_py yields the same bytes."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import comlink_py as c
from tests.helpers import recording_channel, run

ROOT = Path(__file__).resolve().parent.parent


def _normalise(text: str) -> str:
    """Ids are random on both sides and stacks are language-specific: blank them."""
    text = re.sub(r'"id":"[^"]*"', '"id":"ID"', text)
    return re.sub(r'"stack":"(?:[^"\\]|\\.)*"', '"stack":"STACK"', text)


def _json(message: Any) -> str:
    """``JSON.stringify`` as JS would see the message: Python None is JS undefined, which
    JSON.stringify leaves out of objects; endpoints (MessagePorts) stringify as ``{}``."""

    def drop_none(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: drop_none(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [drop_none(v) for v in value]
        return value

    return json.dumps(drop_none(message), separators=(",", ":"), ensure_ascii=False, default=lambda _: {})


class Thing:
    def __init__(self, n: int) -> None:
        self.n = n


def _fail(message: str) -> None:
    raise TypeError(message)


async def _python_conversation() -> tuple[list[str], list[str]]:
    target = {
        "a": {"b": [1, "two", {"three": 3.5}]},
        "x": 0,
        "add": lambda a, b: a + b,
        "fail": _fail,
        "Thing": Thing,
    }
    near, far = recording_channel()
    c.expose(target, far)
    remote = c.wrap(near)
    await remote.a.b
    await c.assign(remote.x, {"k": [1, "s", True, "ü"]})
    await remote.add(1, 2)
    with contextlib.suppress(TypeError):
        await remote.fail("boom")
    thing = await c.construct(remote.Thing, 3)
    c.release(thing)
    port = await c.create_endpoint(remote)
    port.close()
    c.release(remote)
    await asyncio.sleep(0.05)
    return [_json(m) for m in near.sent], [_json(m) for m in far.sent]


def test_messages_are_byte_for_byte_those_of_comlink_4_4_2() -> None:
    out = subprocess.run(
        ["node", str(ROOT / "tests/js/comlink_messages.mjs")],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=ROOT,
    ).stdout
    js = json.loads(out)
    requests, responses = run(_python_conversation())
    assert [_normalise(m) for m in requests] == [_normalise(m) for m in js["requests"]]
    assert [_normalise(m) for m in responses] == [_normalise(m) for m in js["responses"]]
