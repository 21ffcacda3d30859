"""``JsArrayBuffer``: a JS ArrayBuffer received in a message, left in JS until Python reads it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["JsArrayBuffer"]


class JsArrayBuffer:
    """A JS ArrayBuffer that arrived in a message, left where it is: receiving one costs the same
    whatever its size (``to_py`` would copy it into Python's memory).

    ``len(b)`` is its byteLength, and sent on (as a value or in a ``transfer`` list) it is the same
    ArrayBuffer again, still uncopied; transferred, it is detached (length 0), as in JS. Read, it
    is the read-only ``memoryview`` of its bytes (indexing, iteration, ``==``, ``bytes(b)``,
    ``b.tobytes()``, ...), copied into Python once, on first read. ``b.buffer`` is the JsProxy.
    It has no buffer protocol on purpose: ``to_js`` would copy anything with one into a Uint8Array.
    """

    __slots__ = ("_view", "buffer")
    __hash__ = None  # type: ignore[assignment]  # compares by content, like a memoryview

    def __init__(self, buffer: Any) -> None:
        self.buffer: Any = buffer
        self._view: memoryview | None = None

    @property
    def view(self) -> memoryview:
        """The bytes, copied into Python on first use."""
        if self._view is None:
            self._view = memoryview(bytes(self.buffer.to_bytes()))
        return self._view

    def __len__(self) -> int:
        return int(self.buffer.byteLength)

    def __bytes__(self) -> bytes:
        return bytes(self.view.obj)  # the copy the view reads: not copied again

    def __iter__(self) -> Iterator[int]:
        return iter(self.view)

    def __getitem__(self, index: Any) -> Any:
        return self.view[index]

    def __eq__(self, other: object) -> bool:
        return self.view == (other.view if type(other) is JsArrayBuffer else other)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):  # not memoryview's: copy, pickle and half-made instances ask these
            raise AttributeError(name)
        return getattr(self.view, name)  # memoryview's own methods: tobytes, tolist, hex, ...

    def __repr__(self) -> str:
        return f"<JsArrayBuffer {len(self)} bytes>"

    def _detached(self) -> None:
        self._view = None
