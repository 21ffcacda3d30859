"""Values to wire values and back, through the transfer handlers (Comlink's toWireValue/fromWireValue)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .handlers import Transferred, transfer_handlers
from .wire import HANDLER, RAW, ProtocolError, WireValue, describe

if TYPE_CHECKING:
    from .endpoint import Endpoint

__all__ = ["WIRE_ATOMS", "from_wire", "is_plain_atom", "to_wire", "to_wire_list"]

#: Values that every transport carries as they are, and that the built-in handlers never take.
WIRE_ATOMS = frozenset({type(None), bool, int, float, str})


def is_plain_atom(value: Any) -> bool:
    """Whether ``value`` travels as a RAW value with no handler asked: an atom, while only the
    built-in handlers (none of which takes an atom) are registered."""
    return type(value) in WIRE_ATOMS and transfer_handlers.only_built_in


def to_wire(value: Any, endpoint: Endpoint) -> tuple[WireValue, list[Any]]:
    """Encode one value; returns the wire value and the transferables it carries.

    As in Comlink, handlers see only the top-level value: a proxy() nested inside a list is not
    special (it fails to clone instead of silently becoming a reference).
    """
    if is_plain_atom(value):
        return {"type": RAW, "value": value}, []
    transferables: list[Any] = []
    if type(value) is Transferred:
        transferables = value.transferables
        value = value.obj
    for name, handler in transfer_handlers.items():
        if handler.can_handle(value):
            serialized, extra = handler.serialize(value, endpoint)
            return {"type": HANDLER, "name": name, "value": serialized}, list(extra)
    return {"type": RAW, "value": value}, transferables


def to_wire_list(values: Any, endpoint: Endpoint) -> tuple[list[WireValue], list[Any]]:
    wire: list[WireValue] = []
    transferables: list[Any] = []
    for value in values:
        w, t = to_wire(value, endpoint)
        wire.append(w)
        transferables.extend(t)
    return wire, transferables


def from_wire(wire: WireValue, endpoint: Endpoint) -> Any:
    """Decode one wire value; a ``throw`` handler value raises the error it carries."""
    kind = wire.get("type")
    if kind == RAW:
        return wire.get("value")
    if kind == HANDLER:
        name = wire.get("name")
        handler = transfer_handlers.get(name)  # type: ignore[arg-type]
        if handler is None:
            raise ProtocolError(f"no transfer handler registered under {describe(name)}")
        return handler.deserialize(wire.get("value"), endpoint)
    raise ProtocolError(f"unknown wire value type {describe(kind)}")
