"""The producers of the stream rows (``streams.py``), the same in CPython and in Pyodide.

``rows`` is the issue's 100,000 small items, ``chunks`` the 1 MiB transferred buffers, and
``comlink_iterator`` what Comlink users write today: an iterator passed by reference with
``proxy()`` and pulled one ``next()`` call per item.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from comlink_py import proxy, stream, transfer


def rows(n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {"i": i, "v": "x"}


class _ItemByItem:
    """The Comlink pattern: one round trip per item."""

    def __init__(self, items: Iterator[Any]) -> None:
        self._items = items

    def next(self) -> dict[str, Any]:
        for item in self._items:
            return {"done": False, "value": item}
        return {"done": True, "value": None}


class Source:
    def rows(self, n: int) -> Iterator[dict[str, Any]]:
        return rows(n)

    def comlink_iterator(self, n: int) -> _ItemByItem:
        return proxy(_ItemByItem(rows(n)))

    def chunks(self, count: int, size: int) -> Any:
        """``count`` buffers of ``size`` bytes, moved, at most 4 in flight (one per pull)."""

        def made() -> Iterator[Any]:
            for _ in range(count):
                chunk = bytearray(size)
                yield transfer(chunk, [chunk])

        return stream(made(), batch=1, window=4)


source = Source()
