"""Shared test plumbing: a recording endpoint and helpers to run asyncio code from sync tests."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Coroutine, Sequence
from typing import Any

from comlink_py import MessagePort


def run(coro: Coroutine[Any, Any, Any], timeout: float = 30) -> Any:
    return asyncio.run(asyncio.wait_for(coro, timeout))


class Recorder(MessagePort):
    """A real in-memory port that also keeps every message it posted successfully."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Any] = []

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        super().post_message(message, transfer)
        self.sent.append(message)


def recording_channel() -> tuple[Recorder, Recorder]:
    """Two entangled recording ports."""
    a, b = Recorder(), Recorder()
    a._peer, b._peer = b, a
    return a, b


def same(a: Any, b: Any) -> bool:
    """Equality that treats NaN as equal to NaN and tells -0.0 from 0.0, for round-trip checks."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)
