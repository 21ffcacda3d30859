"""A compact binary codec for the structured-clone value model, for transports that carry bytes.

The runtime must stay dependency-free, pickle would run the sender's code on receipt, and JSON would
need base64 for bytes; so values get their own small format. Each value is a one-byte tag and a
fixed-size or length-prefixed body. Lists, dicts, sets, bytearrays, memoryviews, exceptions and ports
are numbered in order of appearance and written once: a later occurrence is a back-reference, so
shared references stay shared and cycles terminate, as ``structured_clone`` keeps them.

Endpoints (ports) listed as transferables are written as indexes into a side list that ``encode``
returns and ``decode`` takes, like ``postMessage``'s ``ports``: the transport decides what a port
becomes on the wire. What ``decode`` returns is what ``structured_clone`` would have produced.
"""

from __future__ import annotations

import builtins
import datetime as _dt
import struct
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Final

from .clone import DataCloneError, check_key, check_transfer, is_transferable

__all__ = ["DecodeError", "decode", "encode", "encode_into"]


class DecodeError(ValueError):
    """The bytes are not a value this codec wrote (a broken or hostile peer)."""


_TAG_LEN: Final = struct.Struct("<cI")
_TAG_INT: Final = struct.Struct("<cq")
_TAG_FLOAT: Final = struct.Struct("<cd")
_U32: Final = struct.Struct("<I")
_I64: Final = struct.Struct("<q")
_F64: Final = struct.Struct("<d")
_DELTA: Final = struct.Struct("<iII")  # days, seconds, microseconds
_DATETIME: Final = struct.Struct("<HBBBBBIBB")  # y m d H M S us, fold, tz kind
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1
_U32_MAX: Final = 2**32 - 1

_TZ_NAIVE, _TZ_FIXED, _TZ_ZONE = 0, 1, 2
_STR: Final = ord("s")


def encode(value: Any, transfer: Iterable[Any] = ()) -> tuple[bytes, list[Any]]:
    """The bytes for ``value`` and the ports (endpoints from ``transfer``) it refers to, in order."""
    out = bytearray()
    ports = encode_into(out, value, transfer)
    return bytes(out), ports


def encode_into(out: bytearray, value: Any, transfer: Iterable[Any] = ()) -> list[Any]:
    """Append ``value`` to ``out`` (so a transport can reserve its frame header in front).

    Raises ``DataCloneError`` for what ``structured_clone`` refuses, leaving ``out`` as it was. A
    transferred bytearray is moved: once encoded, the sender's is emptied, like a detached buffer.
    """
    items = check_transfer(transfer)
    start = len(out)
    encoder = _Encoder(out, {id(item) for item in items})
    try:
        encoder.value(value)
    except RecursionError:
        del out[start:]
        raise DataCloneError("the value is nested too deeply to be cloned") from None
    except struct.error:  # a length that does not fit in 32 bits
        del out[start:]
        raise DataCloneError("a value is larger than 4 GiB") from None
    except BaseException:
        del out[start:]
        raise
    if len(out) - start > _U32_MAX:
        del out[start:]
        raise DataCloneError("the message is larger than 4 GiB")
    for item in items:
        if isinstance(item, bytearray):
            item.clear()
    return encoder.ports


def decode(data: bytes | bytearray | memoryview, ports: Sequence[Any] = ()) -> Any:
    """Rebuild the value ``encode`` wrote; its port indexes are looked up in ``ports``."""
    with memoryview(data) as view:
        decoder = _Decoder(view, ports)
        try:
            value = decoder.value()
        except DecodeError:
            raise
        except (IndexError, struct.error):
            raise DecodeError("the message ends in the middle of a value") from None
        except Exception as error:
            raise DecodeError(f"malformed message: {type(error).__name__}: {error}") from None
        if decoder.pos != len(view):
            raise DecodeError(f"{len(view) - decoder.pos} stray bytes after the value")
    return value


# ----------------------------------------------------------------------------------------------
# encoding


class _Encoder:
    __slots__ = ("busy", "memo", "out", "ports", "transfer")

    def __init__(self, out: bytearray, transfer: set[int]) -> None:
        self.out = out
        self.transfer = transfer
        self.memo: dict[int, int] = {}
        self.ports: list[Any] = []
        self.busy: set[int] = set()  # exceptions whose args are being written

    def value(self, value: Any) -> None:
        kind = type(value)
        if kind is str:  # first: most values are keys, names, paths and ids
            self.out += _str_bytes(value)
            return
        write = _WRITERS.get(kind)
        if write is not None:
            write(self, value)
        elif isinstance(value, BaseException):
            self.put_exception(value)
        elif is_transferable(value):
            self.put_port(value)
        else:
            raise DataCloneError(
                f"{type(value).__qualname__} could not be cloned; pass it with proxy() to send a reference"
            )

    def seen(self, value: Any) -> bool:
        """Write a back-reference if ``value`` was written before; else give it the next number."""
        key = id(value)
        index = self.memo.get(key)
        if index is None:
            self.memo[key] = len(self.memo)
            return False
        if key in self.busy:
            raise DataCloneError("an exception cannot contain itself in its args")
        self.out += _TAG_LEN.pack(b"r", index)
        return True

    def put_none(self, value: None) -> None:
        self.out += b"N"

    def put_bool(self, value: bool) -> None:
        self.out += b"T" if value else b"F"

    def put_int(self, value: int) -> None:
        if _INT64_MIN <= value <= _INT64_MAX:
            self.out += _TAG_INT.pack(b"i", value)
        else:
            size = (value.bit_length() + 8) // 8  # room for the sign bit
            self.out += _TAG_LEN.pack(b"I", size)
            self.out += value.to_bytes(size, "little", signed=True)

    def put_float(self, value: float) -> None:
        self.out += _TAG_FLOAT.pack(b"f", value)

    def put_bytes(self, value: bytes) -> None:
        self.out += _TAG_LEN.pack(b"b", len(value))
        self.out += value

    def put_bytearray(self, value: bytearray) -> None:
        if not self.seen(value):
            self.out += _TAG_LEN.pack(b"B", len(value))
            self.out += value

    def put_memoryview(self, value: memoryview) -> None:
        if not self.seen(value):
            data = value.tobytes()
            self.out += _TAG_LEN.pack(b"m", len(data))
            self.out += data

    def put_list(self, value: list[Any] | tuple[Any, ...]) -> None:
        if not self.seen(value):
            self.out += _TAG_LEN.pack(b"l", len(value))
            for item in value:
                self.value(item)

    def put_dict(self, value: dict[Any, Any]) -> None:
        if not self.seen(value):
            out = self.out
            out += _TAG_LEN.pack(b"d", len(value))
            for key, item in value.items():
                if type(key) is str:
                    encoded = _known_keys.get(key)
                    if encoded is None:
                        encoded = _str_bytes(key)
                        if len(key) <= 64 and len(_known_keys) < _KNOWN_KEYS_MAX:
                            _known_keys[key] = encoded
                    out += encoded
                else:
                    check_key(key)
                    self.value(key)
                self.value(item)

    def put_set(self, value: set[Any] | frozenset[Any]) -> None:
        if not self.seen(value):
            self.out += _TAG_LEN.pack(b"S", len(value))
            for item in value:
                check_key(item)
                self.value(item)

    def put_date(self, value: _dt.date) -> None:
        self.out += _TAG_LEN.pack(b"a", value.toordinal())

    def put_timedelta(self, value: _dt.timedelta) -> None:
        self.out += b"e"
        self.out += _DELTA.pack(value.days, value.seconds, value.microseconds)

    def put_datetime(self, value: _dt.datetime) -> None:
        tz = value.tzinfo
        kind = _TZ_NAIVE
        if type(tz) is _dt.timezone:
            kind = _TZ_FIXED
        elif type(tz) is zoneinfo.ZoneInfo and tz.key is not None:
            kind = _TZ_ZONE
        elif tz is not None:
            raise DataCloneError(f"a datetime with a {type(tz).__qualname__} tzinfo could not be cloned")
        self.out += b"D"
        self.out += _DATETIME.pack(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            value.fold,
            kind,
        )
        if type(tz) is _dt.timezone:
            args = tz.__getinitargs__()  # type: ignore[attr-defined]  # (offset,) or (offset, name)
            self.put_timedelta(args[0])
            self.value(args[1] if len(args) > 1 else None)
        elif type(tz) is zoneinfo.ZoneInfo:
            self.value(tz.key)

    def put_exception(self, value: BaseException) -> None:
        if self.seen(value):
            return
        try:
            type(value)(*value.args)  # what structured_clone does to copy it, so refuse the same
        except Exception as error:
            raise DataCloneError(f"{type(value).__qualname__} could not be cloned: {error}") from None
        names = _exception_names(type(value))
        self.out += _TAG_LEN.pack(b"E", len(names))
        for name in names:
            self.value(name)
        self.busy.add(id(value))
        self.put_list(value.args)  # the args tuple lives as long as value
        self.busy.discard(id(value))

    def put_port(self, value: Any) -> None:
        if id(value) not in self.transfer:
            raise DataCloneError(
                f"{type(value).__name__} could not be cloned: an endpoint must be in the transfer list"
            )
        if not self.seen(value):
            self.out += _TAG_LEN.pack(b"p", len(self.ports))
            self.ports.append(value)


_WRITERS: Final[dict[type, Callable[[_Encoder, Any], None]]] = {
    type(None): _Encoder.put_none,
    bool: _Encoder.put_bool,
    int: _Encoder.put_int,
    float: _Encoder.put_float,
    bytes: _Encoder.put_bytes,
    bytearray: _Encoder.put_bytearray,
    memoryview: _Encoder.put_memoryview,
    list: _Encoder.put_list,
    tuple: _Encoder.put_list,
    dict: _Encoder.put_dict,
    set: _Encoder.put_set,
    frozenset: _Encoder.put_set,
    _dt.date: _Encoder.put_date,
    _dt.datetime: _Encoder.put_datetime,
    _dt.timedelta: _Encoder.put_timedelta,
}


def _str_bytes(value: str) -> bytes:
    data = value.encode("utf-8", "surrogatepass")  # Python strings may hold lone surrogates
    return _TAG_LEN.pack(b"s", len(data)) + data


_names_cache: dict[type, list[str]] = {}
# Encoded dict keys: messages reuse a few names ("id", "type", "path", ...) over and over.
_KNOWN_KEYS_MAX: Final = 4096
_known_keys: dict[str, bytes] = {}


def _exception_names(cls: type) -> list[str]:
    """The class and its exception bases, most specific first: the receiver rebuilds the first one
    it has, so an exception whose class the receiver never imported still arrives as its base."""
    names = _names_cache.get(cls)
    if names is None:
        names = [f"{c.__module__}:{c.__qualname__}" for c in cls.__mro__ if issubclass(c, BaseException)]
        _names_cache[cls] = names
    return names


# ----------------------------------------------------------------------------------------------
# decoding

_PENDING: Final = object()  # the slot of an exception whose args are still being read


class _Decoder:
    __slots__ = ("ports", "pos", "table", "view")

    def __init__(self, view: memoryview, ports: Sequence[Any]) -> None:
        self.view = view
        self.pos = 0
        self.ports = ports
        self.table: list[Any] = []

    def value(self) -> Any:
        view = self.view
        pos = self.pos
        tag = view[pos]
        if tag == _STR:  # inline, as in the encoder
            (size,) = _U32.unpack_from(view, pos + 1)
            start = pos + 5
            end = start + size
            if end > len(view):
                raise DecodeError(f"a length of {size} runs past the end of the message")
            self.pos = end
            return str(view[start:end], "utf-8", "surrogatepass")
        self.pos = pos + 1
        read = _READERS.get(tag)
        if read is None:
            raise DecodeError(f"unknown tag {tag:#04x} at byte {self.pos - 1}")
        return read(self)

    def u32(self) -> int:
        (n,) = _U32.unpack_from(self.view, self.pos)
        self.pos += 4
        return int(n)

    def chunk(self) -> memoryview:
        size = self.u32()
        end = self.pos + size
        if end > len(self.view):
            raise DecodeError(f"a length of {size} runs past the end of the message")
        piece = self.view[self.pos : end]
        self.pos = end
        return piece

    def get_none(self) -> None:
        return None

    def get_true(self) -> bool:
        return True

    def get_false(self) -> bool:
        return False

    def get_int(self) -> int:
        (n,) = _I64.unpack_from(self.view, self.pos)
        self.pos += 8
        return int(n)

    def get_bigint(self) -> int:
        return int.from_bytes(self.chunk(), "little", signed=True)

    def get_float(self) -> float:
        (x,) = _F64.unpack_from(self.view, self.pos)
        self.pos += 8
        return float(x)

    def get_bytes(self) -> bytes:
        return self.chunk().tobytes()

    def get_bytearray(self) -> bytearray:
        value = bytearray(self.chunk())
        self.table.append(value)
        return value

    def get_memoryview(self) -> memoryview:
        value = memoryview(self.chunk().tobytes())
        self.table.append(value)
        return value

    def get_ref(self) -> Any:
        index = self.u32()
        if index >= len(self.table):
            raise DecodeError(f"a reference to value #{index}, which has not been read")
        value = self.table[index]
        if value is _PENDING:
            raise DecodeError("an exception refers to itself in its args")
        return value

    def get_list(self) -> list[Any]:
        count = self.u32()
        value: list[Any] = []
        self.table.append(value)
        for _ in range(count):
            value.append(self.value())
        return value

    def get_dict(self) -> dict[Any, Any]:
        count = self.u32()
        value: dict[Any, Any] = {}
        self.table.append(value)
        for _ in range(count):
            key = self.value()
            value[key] = self.value()
        return value

    def get_set(self) -> set[Any]:
        count = self.u32()
        value: set[Any] = set()
        self.table.append(value)
        for _ in range(count):
            value.add(self.value())
        return value

    def get_date(self) -> _dt.date:
        return _dt.date.fromordinal(self.u32())

    def get_timedelta(self) -> _dt.timedelta:
        days, seconds, micros = _DELTA.unpack_from(self.view, self.pos)
        self.pos += _DELTA.size
        return _dt.timedelta(days, seconds, micros)

    def get_datetime(self) -> _dt.datetime:
        y, mo, d, h, mi, s, us, fold, kind = _DATETIME.unpack_from(self.view, self.pos)
        self.pos += _DATETIME.size
        tz: _dt.tzinfo | None = None
        if kind == _TZ_FIXED:
            offset = self.value()
            name = self.value()
            tz = _dt.timezone(offset) if name is None else _dt.timezone(offset, name)
        elif kind == _TZ_ZONE:
            tz = zoneinfo.ZoneInfo(self.value())
        elif kind != _TZ_NAIVE:
            raise DecodeError(f"unknown time zone kind {kind}")
        return _dt.datetime(y, mo, d, h, mi, s, us, tz, fold=fold)

    def get_exception(self) -> BaseException:
        names = [self.value() for _ in range(self.u32())]
        slot = len(self.table)
        self.table.append(_PENDING)
        args = self.value()
        if type(args) is not list:
            raise DecodeError("exception args must be a list")
        for name in names:
            cls = _exception_class(name)
            if cls is None:
                continue
            try:
                value = cls(*args)
            except Exception:
                continue
            self.table[slot] = value
            return value
        raise DecodeError(f"none of the exception classes {names} could be rebuilt here")

    def get_port(self) -> Any:
        index = self.u32()
        if index >= len(self.ports):
            raise DecodeError(f"port #{index} is not among the {len(self.ports)} ports sent")
        value = self.ports[index]
        self.table.append(value)
        return value


def _exception_class(name: Any) -> type[BaseException] | None:
    """The built-in exception class a ``module:qualname`` names. Other classes are never looked up:
    their ``__init__`` is code a peer could choose to run; the encoder sends the whole MRO, so a
    custom exception arrives as its nearest built-in base."""
    if type(name) is not str:
        return None
    module, _, qualname = name.partition(":")
    if module != "builtins":
        return None
    obj = getattr(builtins, qualname, None)
    if isinstance(obj, type) and issubclass(obj, BaseException):
        return obj
    return None


_READERS: Final[dict[int, Callable[[_Decoder], Any]]] = {
    ord("N"): _Decoder.get_none,
    ord("T"): _Decoder.get_true,
    ord("F"): _Decoder.get_false,
    ord("i"): _Decoder.get_int,
    ord("I"): _Decoder.get_bigint,
    ord("f"): _Decoder.get_float,
    ord("b"): _Decoder.get_bytes,
    ord("B"): _Decoder.get_bytearray,
    ord("m"): _Decoder.get_memoryview,
    ord("r"): _Decoder.get_ref,
    ord("l"): _Decoder.get_list,
    ord("d"): _Decoder.get_dict,
    ord("S"): _Decoder.get_set,
    ord("a"): _Decoder.get_date,
    ord("e"): _Decoder.get_timedelta,
    ord("D"): _Decoder.get_datetime,
    ord("E"): _Decoder.get_exception,
    ord("p"): _Decoder.get_port,
}
