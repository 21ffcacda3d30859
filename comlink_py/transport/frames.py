"""The frames of a process link, which ``connection.py`` (asyncio) and ``sync_connection.py`` (a
blocking socket) both speak.

Frame: ``<u32 size of the rest> <u32 channel> <u8 kind>`` and a body. ``MESSAGE``: an encoded value.
``PORTS``: ``<u32 n>``, n channel ids, then an encoded value whose ports are those channels.
``CLOSE``: no body; the channel is gone. Each side numbers the channels it opens from 1 and the
receiver flips the top bit, so ids never collide without a handshake; channel 0 is the main port.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Final

__all__ = [
    "CLOSE",
    "HEAD",
    "MESSAGE",
    "OPENED_BY_PEER",
    "PORTS",
    "SIZE",
    "close_frame",
    "flip",
    "port_table",
    "read_port_table",
]

SIZE: Final = struct.Struct("<I")
HEAD: Final = struct.Struct("<IIB")  # size of the rest, channel, kind
MESSAGE: Final = 0
PORTS: Final = 1
CLOSE: Final = 2
OPENED_BY_PEER: Final = 1 << 31


def flip(channel: int) -> int:
    """A channel id as the other side names it (the main port is 0 on both sides)."""
    return channel ^ OPENED_BY_PEER if channel else 0


def close_frame(channel: int) -> bytes:
    """The frame that says ``channel`` is gone."""
    return HEAD.pack(HEAD.size - 4, channel, CLOSE)


def port_table(channels: Sequence[int]) -> bytes:
    """The head of a ``PORTS`` frame's body: the channels of its value's ports, in order."""
    return struct.pack(f"<I{len(channels)}I", len(channels), *channels)


def read_port_table(body: memoryview) -> tuple[tuple[int, ...], memoryview]:
    """The channel ids (as the sender named them) of a ``PORTS`` body and the value after them;
    ``struct.error`` if the table runs past the end."""
    (count,) = SIZE.unpack_from(body, 0)
    return struct.unpack_from(f"<{count}I", body, 4), body[4 + 4 * count :]
