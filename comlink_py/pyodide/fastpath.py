"""The Pyodide endpoint's fast path: the second, private protocol between the JS listener
(``listener.mjs``) and ``JsEndpoint``, with which the commonest messages cross as the arguments of
one FFI call instead of through ``to_py``/``to_js``.

Everything both languages must agree on is here and reaches JS through ``init(FACTS)``: the message
kinds by name (``Kind``), the size of the listener's key-set table, and Comlink's key orders (from
``comlink_py.protocol.wire``). Here too are the tables of key sets (``postFlat``) and routes
(``postCall``) JS has been taught, and ``ID_BUFFER``, through which ids of requests reach Python.
"""

from __future__ import annotations

import enum
import os
from typing import Any, Final

from ..protocol.codec import WIRE_ATOMS
from ..protocol.wire import RAW, RAW_WIRE_VALUE_KEYS, REQUEST_KEYS, RESPONSE_KEYS
from .buffer import JsArrayBuffer

__all__ = [
    "CALL_PARTS",
    "ENABLED",
    "FACTS",
    "FLAT_KEYS",
    "ID_BUFFER",
    "KEY_SETS",
    "LISTENER_NUMBERS",
    "REPLIED",
    "ROUTES",
    "FastPath",
    "Kind",
    "call_message",
    "call_parts",
    "post_call",
    "post_flat",
]


#: The one switch of the per-call shortcuts that skip generic layers (each says what it saves, as
#: measured with ``python -m benchmarks.steps``); off for comparison: ``COMLINK_PY_FASTPATH=0`` in the
#: environment, or ``ENABLED = False`` before ``expose`` or ``wrap``. The message forms above (kinds,
#: numbered key sets and routes, the id buffer) stay: JS and Python must agree on them.
ENABLED = os.environ.get("COMLINK_PY_FASTPATH", "1") != "0"


class Kind(enum.IntEnum):
    """How the JS listener hands a message to ``JsEndpoint._deliver``; JS knows them by name."""

    PRIMITIVE = 0  # the data itself
    PLAIN = 1  # plain objects and arrays only: a plain to_py
    DECODE = 2  # anything else: to_py with the decoder
    FLAT = 3  # a flat object: its key set's number, then its values
    FLAT_NEW = 4  # a flat object: its keys, then values; the key set is numbered next
    FLAT_UNNUMBERED = 5  # the same, past the table's size
    CALL = 6  # a request of atoms (see call_message), its route as a number
    CALL_NEW = 7  # the same with the route itself, numbered next
    CALL_UNNUMBERED = 8  # the same, past the table's size


# How many key sets of flat objects and routes of requests a JsEndpoint's listener numbers; later
# new ones cross as strings.
LISTENER_NUMBERS: Final = 256

# The most path segments or arguments (CALL_PARTS) and keys of a flat object (FLAT_KEYS) that cross
# as call arguments; a message with more takes the to_py path (a call with hundreds of thousands of
# arguments overflows the stack).
CALL_PARTS: Final = 64
FLAT_KEYS: Final = 16

# How many key sets postFlat and routes postCall learn; later new ones go through to_js.
KEY_SETS: Final = 64
ROUTES: Final = 256

# Where JS listeners write the id of a request for Python to read (see idParts in listener.mjs):
# one for all, as each is read before any other message can be delivered. Its byte REPLIED, after
# the ids, is set when a request was answered while delivered: the answer's value is then what
# JsEndpoint._deliver returns, which JS posts and clears the byte.
REPLIED: Final = 256
ID_BUFFER: Final = bytearray(REPLIED + 1)

#: What listener.mjs's ``init`` takes.
FACTS: Final = {
    "kinds": {kind.name: kind.value for kind in Kind},
    "numberLimit": LISTENER_NUMBERS,
    "maxCallParts": CALL_PARTS,
    "maxFlatKeys": FLAT_KEYS,
    "callKeys": list(REQUEST_KEYS),
    "rawKeys": list(RAW_WIRE_VALUE_KEYS),
    "answerKeys": list(RESPONSE_KEYS),
    "raw": RAW,
    "replied": REPLIED,
}


# postFlat and postCall carry WIRE_ATOMS as arguments: Pyodide converts those as to_js would.
_STRINGS = frozenset({str})

# The requests postCall rebuilds, by key order: wire.request builds GET with three keys, ENDPOINT
# and RELEASE with two, APPLY and CONSTRUCT with all four.
_GET_KEYS = REQUEST_KEYS[:3]
_BARE_KEYS = REQUEST_KEYS[:2]
_CALL, _CALL_NEW = Kind.CALL.value, Kind.CALL_NEW.value


class FastPath:
    """listener.mjs's functions in one interpreter, and what posting has taught them."""

    def __init__(self, functions: Any, id_buffer: Any) -> None:
        # init's [addKeySet, addRoute, bind, useIdBuffer, keptName]; id_buffer: ID_BUFFER's proxy.
        self.add_key_set, self.add_route, self.bind, use_id_buffer, kept = functions
        use_id_buffer(id_buffer)
        self.kept: str = kept  # the class name of the markers that stand in for ArrayBuffers
        self.key_sets: dict[tuple[str, ...], int] = {}
        # By (type, *path) for post_call's requests and (type, path) for JsEndpoint.post_call's.
        self.routes: dict[tuple[Any, ...], int] = {}

    def key_set(self, keys: tuple[str, ...]) -> int | None:
        """postFlat's number for keys it does not know yet (see key_sets); None for non-string
        keys or past KEY_SETS."""
        if len(self.key_sets) < KEY_SETS and _STRINGS.issuperset(map(type, keys)):
            number: int = self.add_key_set(*keys)
            self.key_sets[keys] = number
            return number
        return None

    def route(self, key: tuple[Any, ...], kind: str, path: list[str] | None) -> int | None:
        """postCall's number for a route it does not know yet, ``key`` in routes: the type
        ``kind`` and ``path`` (None for a request without one); None past ROUTES."""
        if len(self.routes) < ROUTES:
            route: int = self.add_route(kind, -1) if path is None else self.add_route(kind, len(path), *path)
            self.routes[key] = route
            return route
        return None


def post_flat(fast: FastPath, post_flat: Any, message: dict[str, Any]) -> bool:
    """Post a message of three atoms, the form of every answer ({type, value, id}), through
    postFlat; False, having posted nothing, for any other message or once postFlat knows
    KEY_SETS key sets. The values are spelled out: map() and a call with *values cost more."""
    if len(message) != 3:
        return False
    first, second, third = message.values()
    if not (type(first) in WIRE_ATOMS and type(second) in WIRE_ATOMS and type(third) in WIRE_ATOMS):
        return False
    keys = tuple(message)
    number = fast.key_sets.get(keys)
    if number is None:
        number = fast.key_set(keys)
        if number is None:
            return False
    post_flat(number, first, second, third)
    return True


def post_call(fast: FastPath, post_call: Any, message: dict[str, Any]) -> bool:
    """Post a request of atoms only (ids and types are strings, every argument a RAW wire value of
    an atom) through postCall; False, having posted nothing, for any other message or a new route
    once postCall knows ROUTES."""
    keys = tuple(message)
    if keys == REQUEST_KEYS:
        args = message["argumentList"]
        if type(args) is not list:
            return False
    elif keys in (_GET_KEYS, _BARE_KEYS):
        args = None
    else:
        return False
    msg_id = message["id"]
    kind = message["type"]
    if type(msg_id) is not str or type(kind) is not str:
        return False
    path: list[str] | None = None
    if len(keys) == 2:
        key: tuple[str | None, ...] = (kind, None)
    else:
        path = message["path"]
        if type(path) is not list:
            return False
        for segment in path:  # a loop: map() costs more for the usual one or two segments
            if type(segment) is not str:
                return False
        key = (kind, *path)
    route = fast.routes.get(key)
    if route is None:
        route = fast.route(key, kind, path)
        if route is None:
            return False
    if args is None:
        post_call(msg_id, route, -1)
    elif not args:  # most calls: positional, as a call with *args costs more
        post_call(msg_id, route, 0)
    else:
        values = []
        for arg in args:
            if type(arg) is not dict or tuple(arg) != RAW_WIRE_VALUE_KEYS or arg["type"] != RAW:
                return False
            value = arg["value"]
            if type(value) not in WIRE_ATOMS:
                return False
            values.append(value)
        if len(values) == 1:
            post_call(msg_id, route, 1, values[0])
        else:
            post_call(msg_id, route, len(values), *values)
    return True


def call_parts(parts: tuple[Any, ...], numbered: list[Any], kind: int) -> tuple[str, str, Any, Any]:
    """The request that the JS listener sent as callParts, as (id, type, path, arguments): the id's
    length in ID_BUFFER (or -1 and the id), then the route's number in ``numbered`` (``Kind.CALL``) or
    the route itself (type, path length, segments; a ``Kind.CALL_NEW`` route joins ``numbered``),
    then the arguments. The path is a tuple (shared by every request of the route), or None without
    one; the arguments the values of the RAW wire values, or None without argumentList."""
    id_length = parts[0]
    if id_length >= 0:
        msg_id = ID_BUFFER[:id_length].decode("latin-1")
        start = 1
    else:
        msg_id = parts[1]
        start = 2
    if kind == _CALL:
        type_, path = numbered[parts[start]]
        start += 1
    else:
        type_, path_length = parts[start], parts[start + 1]
        path = tuple(parts[start + 2 : start + 2 + path_length]) if path_length >= 0 else None
        start += 2 + max(path_length, 0)
        if kind == _CALL_NEW:
            numbered.append((type_, path))
    argument_count = parts[start]
    if argument_count > 0:
        start += 1
        values = list(parts[start : start + argument_count])
        for index in parts[start + argument_count :]:  # the arguments that are ArrayBuffers
            values[index] = JsArrayBuffer(values[index])
        return msg_id, type_, path, values
    return msg_id, type_, path, [] if argument_count == 0 else None


def call_message(msg_id: str, type_: str, path: Any, values: Any) -> dict[str, Any]:
    """A request dict from its parts (call_parts', or a call of atoms to post), in Comlink's key order."""
    message: dict[str, Any] = {"id": msg_id, "type": type_}
    if path is not None:
        message["path"] = list(path)
    if values is not None:
        message["argumentList"] = [{"type": RAW, "value": value} for value in values]
    return message
