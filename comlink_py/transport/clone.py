"""The structured-clone value model for transports that stay inside Python.

In-memory channels and the inter-process link copy every message as a browser's ``postMessage``
would, so code tested in CPython meets the same rules it meets against JS: data is copied, tuples
arrive as lists, functions and arbitrary objects are refused with ``DataCloneError``, and endpoints
cross only when they are listed as transferables.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable
from typing import Any, Final

__all__ = [
    "CLONE_ATOMS",
    "HASHABLE",
    "DataCloneError",
    "check_key",
    "check_transfer",
    "is_transferable",
    "structured_clone",
]


class DataCloneError(TypeError):
    """A value that the structured-clone algorithm cannot copy (JS raises ``DataCloneError``)."""


# Immutable leaves that are passed through as they are.
CLONE_ATOMS: Final = frozenset(
    {type(None), bool, int, float, str, bytes, _dt.datetime, _dt.date, _dt.timedelta}
)


# The kinds of value that are still hashable after a copy, so may be dict keys and set members
# (a tuple arrives as a list, which is not).
HASHABLE: Final = CLONE_ATOMS | {memoryview}


def check_key(value: Any) -> None:
    """Refuse a dict key or set member whose copy could not be one."""
    if type(value) not in HASHABLE and not isinstance(value, BaseException):
        raise DataCloneError(
            f"a {type(value).__name__} cannot be a dict key or set member: its copy is not hashable"
        )


def is_transferable(value: object) -> bool:
    """Endpoints (ports) and bytearrays, the Python counterparts of MessagePort and ArrayBuffer."""
    return isinstance(value, bytearray) or callable(getattr(value, "post_message", None))


def check_transfer(transfer: Iterable[Any]) -> list[Any]:
    """The transfer list as a list, refused as ``postMessage`` refuses it: only transferables, each once."""
    items = list(transfer)
    seen: set[int] = set()
    for item in items:
        if not is_transferable(item):
            raise DataCloneError(f"{type(item).__name__} is not transferable")
        if id(item) in seen:
            raise DataCloneError("a transferable is listed twice")
        seen.add(id(item))
    return items


def structured_clone(value: Any, transfer: Iterable[Any] = ()) -> Any:
    """Copy ``value`` the way ``postMessage`` would.

    A transferred bytearray is moved: the receiver gets its bytes and the sender's becomes empty,
    like a detached ArrayBuffer. A transferred endpoint is handed over as the same object.
    """
    transfer = check_transfer(transfer)
    moved = {id(item): bytearray(item) if isinstance(item, bytearray) else item for item in transfer}
    try:
        result = _Cloner(moved).clone(value)
    except RecursionError:
        raise DataCloneError("the value is nested too deeply to be cloned") from None
    for item in transfer:
        if isinstance(item, bytearray):
            item.clear()
    return result


class _Cloner:
    __slots__ = ("memo",)

    def __init__(self, moved: dict[int, Any]) -> None:
        # The memo keeps shared references shared and makes cycles terminate, as the algorithm does.
        self.memo = moved

    def clone(self, value: Any) -> Any:
        kind = type(value)
        if kind in CLONE_ATOMS:
            return value
        key = id(value)
        done = self.memo.get(key)
        if done is not None:
            return done
        # Leaves are tested inline: most of a message is atoms, and a call per atom would dominate.
        clone, atoms = self.clone, CLONE_ATOMS
        if kind is list or kind is tuple:
            out: list[Any] = []
            self.memo[key] = out
            out.extend([v if type(v) in atoms else clone(v) for v in value])
            return out
        if kind is dict:
            result: dict[Any, Any] = {}
            self.memo[key] = result
            result.update(
                {
                    (k if type(k) in atoms else self.key(k)): (v if type(v) in atoms else clone(v))
                    for k, v in value.items()
                }
            )
            return result
        if kind is set or kind is frozenset:
            copied: set[Any] = set()
            self.memo[key] = copied
            copied.update([self.key(v) for v in value])
            return copied
        if kind is bytearray:
            return self.memo.setdefault(key, bytearray(value))
        if kind is memoryview:
            return self.memo.setdefault(key, memoryview(bytes(value)))
        if isinstance(value, BaseException):
            return self.memo.setdefault(key, self._exception(value))
        if is_transferable(value):
            raise DataCloneError(
                f"{kind.__name__} could not be cloned: an endpoint must be in the transfer list"
            )
        raise DataCloneError(
            f"{kind.__qualname__} could not be cloned; pass it with proxy() to send a reference"
        )

    def key(self, value: Any) -> Any:
        check_key(value)
        return self.clone(value)

    def _exception(self, exc: BaseException) -> BaseException:
        args = [self.clone(a) for a in exc.args]
        try:
            copy = type(exc)(*args)
        except Exception as err:
            raise DataCloneError(f"{type(exc).__qualname__} could not be cloned: {err}") from None
        return copy
