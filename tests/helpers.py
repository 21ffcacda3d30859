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


def assert_two_at_a_time(tokens: Sequence[str], spans: Sequence[Sequence[float]]) -> None:
    """Four calls through a pool of two: which worker answered each, and when each began and ended
    (ms, the wall clock). Each worker ran two; the first two overlapped, the others waited."""
    assert len(set(tokens)) == 2 and all(tokens.count(token) == 2 for token in tokens)
    (begun0, ended0), (begun1, ended1), (begun2, _), (begun3, _) = spans
    assert begun1 < ended0 and begun0 < ended1  # the first two ran at the same time
    assert min(begun2, begun3) >= min(ended0, ended1) - 1  # the others waited for an idle worker


def assert_stopped_at_each_moment(got: dict[str, Any]) -> None:
    """What tests/js/each_moment.mjs saw: every call settled (nothing hung), runaway calls as
    stopped, quick ones as answered or interrupted; the worker served on."""
    assert got["spin"] == {"counts": {"KeyboardInterrupt": 96}, "next": 3}, got
    quick = got["quick"]
    assert quick["next"] == 3, got
    assert set(quick["counts"]) <= {"5", "KeyboardInterrupt"}, got
    assert sum(quick["counts"].values()) == 200, got
    assert got["abort"] == {"counts": {"AbortError": 96}, "next": 3}, got
