"""Comlink 4.4.2's wire format: message and wire-value shapes, ids, and validation of what arrives.

Dictionaries are built with the same key order Comlink's ``Object.assign`` calls produce, so a message
serialised by ``JSON.stringify`` on either side is byte-for-byte the same.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Mapping
from typing import Any, Final, Literal, TypedDict

__all__ = [
    "APPLY",
    "CANCEL",
    "CONSTRUCT",
    "ENDPOINT",
    "GET",
    "HANDLER",
    "MESSAGE_TYPES",
    "RAW",
    "RAW_WIRE_VALUE_KEYS",
    "RELEASE",
    "REQUEST_KEYS",
    "RESPONSE_KEYS",
    "SET",
    "ProtocolError",
    "Request",
    "WireValue",
    "cancel",
    "describe",
    "new_id",
    "parse_request",
    "request",
    "response",
]

GET: Final = "GET"
SET: Final = "SET"
APPLY: Final = "APPLY"
CONSTRUCT: Final = "CONSTRUCT"
ENDPOINT: Final = "ENDPOINT"
RELEASE: Final = "RELEASE"
MESSAGE_TYPES: Final = frozenset({GET, SET, APPLY, CONSTRUCT, ENDPOINT, RELEASE})

RAW: Final = "RAW"
HANDLER: Final = "HANDLER"

#: comlink_py's extension (docs/wire-format.md): ``{"type": "CANCEL", "id": <a call's id>}`` asks the
#: peer to cancel the task running that call. It is never answered; Comlink ignores it (it answers
#: only the types above), and so does a peer that has nothing running under that id.
CANCEL: Final = "CANCEL"

#: Key orders, as Comlink's ``Object.assign`` calls make them and ``request`` builds them: a request
#: with all its keys (GET has the first three, ENDPOINT and RELEASE the first two), and a RAW wire
#: value.
REQUEST_KEYS: Final = ("id", "type", "path", "argumentList")
RAW_WIRE_VALUE_KEYS: Final = ("type", "value")
#: A plain answer's keys, in the order Comlink posts them ({...wireValue, id}).
RESPONSE_KEYS: Final = ("type", "value", "id")

MessageType = Literal["GET", "SET", "APPLY", "CONSTRUCT", "ENDPOINT", "RELEASE"]


class WireValue(TypedDict, total=False):
    type: Literal["RAW", "HANDLER"]
    name: str
    value: Any


class Request(TypedDict, total=False):
    id: str
    type: MessageType
    path: list[str]
    value: WireValue
    argumentList: list[WireValue]


class ProtocolError(ValueError):
    """A message that is not a valid Comlink request or wire value."""


# A random prefix per process keeps ids from two wrappers that share one endpoint apart; a counter
# keeps them unique among calls in flight without Comlink's four random numbers per call. Ids stay
# within 16 characters for the first 268 million calls: Pyodide converts a longer JS string to
# Python through a buffer outside V8's heap, which costs more, and costs milliseconds while V8 is
# collecting after a large ArrayBuffer arrived (see comlink_py.js).
_ID_FORMAT: Final = os.urandom(4).hex() + "-%x"  # %-formatting costs less than an f-string's :x
_counter = itertools.count(1)


def new_id() -> str:
    return _ID_FORMAT % next(_counter)


def request(
    id: str,
    type: MessageType,
    path: list[str] | None = None,
    *,
    value: WireValue | None = None,
    argument_list: list[WireValue] | None = None,
) -> Request:
    """Build a request with Comlink's key order: id, type, path, then value or argumentList."""
    msg: Request = {"id": id, "type": type}
    if path is not None:
        msg["path"] = path
    if value is not None:
        msg["value"] = value
    if argument_list is not None:
        msg["argumentList"] = argument_list
    return msg


def response(wire_value: WireValue, id: str) -> dict[str, Any]:
    """A response is the wire value with the request's id appended (Comlink's key order)."""
    msg: dict[str, Any] = dict(wire_value)
    msg["id"] = id
    return msg


def cancel(id: str) -> dict[str, str]:
    """The CANCEL message for the call ``id`` (type first, like a response's keys)."""
    return {"type": CANCEL, "id": id}


def describe(value: Any, limit: int = 60) -> str:
    """A short ``repr`` of a peer's value for an error message, which never raises: a peer's value
    can be too large to print (an int of 10**5000 digits) or too deep (RecursionError)."""
    try:
        text = repr(value)
    except Exception:  # RecursionError too
        return f"a {type(value).__name__} that cannot be shown"
    return text if len(text) <= limit else f"{text[: limit - 5]}...{text[-2:]}"


def check_wire_value(value: Any, where: str, index: int | None = None) -> WireValue:
    """``value`` if it is a wire value; ``where`` (with ``index``, formatted only for the error)
    names it in the error."""
    if type(value) is dict and value.get("type") == RAW:  # the common case, checked first
        return value  # type: ignore[return-value]
    if index is not None:
        where = f"{where}[{index}]"
    if not isinstance(value, Mapping):
        raise ProtocolError(f"{where} must be a wire value object, got {type(value).__name__}")
    kind = value.get("type")
    if kind == RAW:
        return value  # type: ignore[return-value]
    if kind == HANDLER:
        if not isinstance(value.get("name"), str):
            raise ProtocolError(f"{where} is a HANDLER wire value without a string 'name'")
        return value  # type: ignore[return-value]
    raise ProtocolError(f"{where} has unknown wire value type {describe(kind)} (expected 'RAW' or 'HANDLER')")


def parse_request(data: Mapping[str, Any]) -> Request:
    """Validate a request, raising ``ProtocolError`` that says exactly what is wrong.

    Comlink fills a missing ``path`` with ``[]`` and a missing ``argumentList`` with ``[]``; so do we,
    in a new dict. A call that needs no filling (most) is returned as it is, not copied.
    """
    kind = data.get("type")
    try:
        known = kind in MESSAGE_TYPES
    except TypeError:  # unhashable, a list say
        known = False
    if not known:
        raise ProtocolError(f"unknown message type {describe(kind)}")
    path = data.get("path")
    filled = path is None
    if filled:
        path = []
    elif type(path) is not list and not isinstance(path, list):
        raise ProtocolError("'path' must be a list of strings")
    for segment in path:  # a loop: map() and all() cost more for the usual one or two segments
        if type(segment) is not str:
            raise ProtocolError("'path' must be a list of strings")
    if kind in (APPLY, CONSTRUCT):  # the commonest first
        args = data.get("argumentList")
        if args is None:
            args = []
            filled = True
        elif type(args) is not list and not isinstance(args, list):
            raise ProtocolError("'argumentList' must be a list of wire values")
        if args:
            for index, value in enumerate(args):
                if type(value) is not dict or value.get("type") != RAW:  # RAW dicts are valid as they are
                    check_wire_value(value, "argumentList", index)
        if not filled and len(data) == 4 and type(data) is dict and "id" in data:
            return data  # type: ignore[return-value]  # exactly id, type, path and argumentList
        msg: Request = {"id": data.get("id"), "type": kind, "path": path, "argumentList": args}  # type: ignore[typeddict-item]
        return msg
    msg = {"id": data.get("id"), "type": kind, "path": path}  # type: ignore[typeddict-item]
    if kind == SET:
        if not path:
            raise ProtocolError("SET needs a non-empty 'path'")
        msg["value"] = check_wire_value(data.get("value"), "SET 'value'")
    return msg
