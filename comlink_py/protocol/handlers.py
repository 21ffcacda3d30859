"""Transfer handlers: how values that are not plain data cross the wire.

The registry ``transfer_handlers`` is keyed by the handler's wire name, like ``Comlink.transferHandlers``;
a Python handler and a JS handler registered under the same name interoperate because only the name
and the serialised value travel. Built in: ``"proxy"`` (pass by reference over a new channel) and
``"throw"`` (errors).
"""

from __future__ import annotations

import builtins
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, Protocol, TypeVar, cast

from .wire import describe

if TYPE_CHECKING:
    from .endpoint import Endpoint

__all__ = [
    "PROXY_HANDLER",
    "Kwargs",
    "ProxyMarked",
    "RemoteError",
    "Thrown",
    "ThrownValue",
    "TransferHandler",
    "Transferred",
    "finalizer",
    "proxy",
    "register_built_in",
    "remote_error",
    "transfer",
    "transfer_handlers",
]

T = TypeVar("T")


class TransferHandler(Protocol):
    """A custom serialisation. ``endpoint`` is the one the message travels over: handlers that open
    channels (like ``proxy``) call its ``new_channel()`` so the channel is of a transferable kind."""

    def can_handle(self, value: Any) -> bool: ...

    def serialize(self, value: Any, endpoint: Endpoint) -> tuple[Any, Sequence[Any]]: ...

    def deserialize(self, value: Any, endpoint: Endpoint) -> Any: ...


class ProxyMarked(Generic[T]):
    """``proxy(obj)``: send ``obj`` by reference. Calls and attribute reads still reach ``obj``
    locally, so a marked callback stays usable on this side too."""

    __slots__ = ("obj",)
    __comlink_by_reference__ = True

    def __init__(self, obj: T) -> None:
        self.obj = obj

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.obj(*args, **kwargs)  # type: ignore[operator]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.obj, name)

    def __repr__(self) -> str:
        return f"proxy({self.obj!r})"


class Transferred:
    """``transfer(obj, [...])``: ``obj`` travels with these transferables moved, not copied."""

    __slots__ = ("obj", "transferables")

    def __init__(self, obj: Any, transferables: Sequence[Any]) -> None:
        self.obj = obj
        self.transferables = list(transferables)


def proxy(obj: T) -> T:
    """Mark ``obj`` to be passed by reference: the receiver gets a ``Remote`` for it."""
    return cast(T, ProxyMarked(obj))


def transfer(obj: T, transferables: Sequence[Any]) -> T:
    """Mark ``obj`` (an argument or return value) to travel with ``transferables`` moved."""
    return cast(T, Transferred(obj, transferables))


#: The name of the method ``expose`` calls after a RELEASE, like the ``Comlink.finalizer`` symbol:
#: define ``__comlink_finalizer__`` on the class, or ``setattr(obj, finalizer, fn)``.
finalizer = "__comlink_finalizer__"


class Kwargs(dict[str, Any]):
    """Keyword arguments of a call. They travel as a trailing ``kwargs`` handler value, which a
    comlink_py peer unpacks; a plain JS Comlink peer does not know the name, so pass options
    positionally to JS."""


class Thrown:
    """An exception on its way to the caller (Comlink's ``throwMarker`` wrapper)."""

    __slots__ = ("value",)

    def __init__(self, value: BaseException) -> None:
        self.value = value


class RemoteError(Exception):
    """An error raised on the other side. ``name``, ``message`` and ``stack`` are the peer's own.

    For names of Python built-in exceptions (``TypeError``, ``KeyError``, ...) the raised class also
    derives from that built-in, so ``except TypeError`` catches a remote ``TypeError`` too.
    """

    def __init__(self, message: str, name: str = "Error", stack: str | None = None) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.stack = stack

    def __str__(self) -> str:
        return f"{self.name}: {self.message}"


class ThrownValue(RemoteError):
    """The peer threw something that is not an Error (JS can ``throw 42``); it is in ``value``."""

    def __init__(self, value: Any) -> None:
        super().__init__(repr(value), "ThrownValue")
        self.value = value


_error_classes: dict[str, type[RemoteError]] = {}

# Built-ins that steer control flow where they are raised: a remote StopIteration raised from a
# future's await would end the await as a return (a silent None), and StopAsyncIteration would end
# an ``async for``. Errors of these names arrive as plain ``RemoteError``s.
_CONTROL_FLOW = frozenset({"StopIteration", "StopAsyncIteration"})


def remote_error(name: str, message: str, stack: str | None) -> RemoteError:
    cls = _error_classes.get(name)
    if cls is None:
        base = None if name in _CONTROL_FLOW else getattr(builtins, name, None)
        if isinstance(base, type) and issubclass(base, Exception) and base is not Exception:
            cls = type(f"Remote{name}", (RemoteError, base), {"__module__": __name__})
        else:
            cls = RemoteError
        _error_classes[name] = cls
    error = cls.__new__(cls)
    RemoteError.__init__(error, message, name, stack)
    return error


def _describe(exc: BaseException) -> dict[str, Any]:
    stack = "".join(traceback.format_exception(exc))
    if isinstance(exc, RemoteError):
        # Keep the original error's identity when it only passed through this side.
        if exc.stack:
            stack = f"{stack}\nRemote stack:\n{exc.stack}"
        return {"message": exc.message, "name": exc.name, "stack": stack}
    return {"message": str(exc), "name": type(exc).__name__, "stack": stack}


class _ProxyHandler:
    """``proxy``: the value is served over a new channel and the receiver wraps its other end.
    Serving and wrapping are the asyncio layer's, which hands them over with ``bind`` when it is
    imported (as ``Exposer`` takes ``serve``), so this core imports nothing above it."""

    __slots__ = ("expose", "wrap")

    def __init__(self) -> None:
        self.expose: Callable[[Any, Endpoint], object] | None = None
        self.wrap: Callable[[Endpoint], Any] | None = None

    def bind(self, expose: Callable[[Any, Endpoint], object], wrap: Callable[[Endpoint], Any]) -> None:
        self.expose, self.wrap = expose, wrap

    def can_handle(self, value: Any) -> bool:
        # A Remote passed on is relayed by reference too, so proxies can be handed around freely.
        return getattr(type(value), "__comlink_by_reference__", False) is True

    def serialize(self, value: Any, endpoint: Endpoint) -> tuple[Any, Sequence[Any]]:
        new_channel = getattr(endpoint, "new_channel", None)
        if new_channel is None:
            raise TypeError(f"{type(endpoint).__name__} cannot open channels, so proxy() cannot cross it")
        near, far = new_channel()
        self._bound(self.expose)(value.obj if type(value) is ProxyMarked else value, near)
        return far, [far]

    def deserialize(self, value: Any, endpoint: Endpoint) -> Any:
        return self._bound(self.wrap)(value)

    @staticmethod
    def _bound(function: Callable[..., Any] | None) -> Callable[..., Any]:
        if function is None:
            raise RuntimeError("proxy() needs comlink_py's asyncio layer: import comlink_py")
        return function


class _ThrowHandler:
    def can_handle(self, value: Any) -> bool:
        return type(value) is Thrown

    def serialize(self, value: Thrown, endpoint: Endpoint) -> tuple[Any, Sequence[Any]]:
        exc = value.value
        if isinstance(exc, ThrownValue):
            return {"isError": False, "value": exc.value}, []
        return {"isError": True, "value": _describe(exc)}, []

    def deserialize(self, value: Any, endpoint: Endpoint) -> Any:
        if not isinstance(value, dict) or "isError" not in value:
            raise RemoteError(f"malformed throw payload: {describe(value)}", "ProtocolError")
        if value["isError"]:
            info = value.get("value")
            if not isinstance(info, dict):
                info = {}
            raise remote_error(
                str(info.get("name") or "Error"), str(info.get("message", "")), info.get("stack")
            )
        raise ThrownValue(value.get("value"))


class _KwargsHandler:
    def can_handle(self, value: Any) -> bool:
        return type(value) is Kwargs

    def serialize(self, value: Kwargs, endpoint: Endpoint) -> tuple[Any, Sequence[Any]]:
        return dict(value), []

    def deserialize(self, value: Any, endpoint: Endpoint) -> Any:
        if not isinstance(value, dict):
            raise TypeError(f"keyword arguments must be an object, got {type(value).__name__}")
        return Kwargs(value)


#: The ``proxy`` handler, which the asyncio layer binds to its ``expose`` and ``wrap``.
PROXY_HANDLER: Final = _ProxyHandler()


class _Registry(dict[str, "TransferHandler"]):
    """``transfer_handlers``: a dict that knows whether it still holds only the built-in handlers
    (``only_built_in``), none of which takes an atom, so that encoders may skip asking them about
    atoms. Comparing with ``BUILT_IN_HANDLERS`` on every answer cost 0.3 µs in Pyodide; every
    method that changes the dict says so instead."""

    only_built_in = True

    def _changed(self) -> None:
        self.only_built_in = self == BUILT_IN_HANDLERS

    def __setitem__(self, name: str, handler: TransferHandler) -> None:
        super().__setitem__(name, handler)
        self._changed()

    def __delitem__(self, name: str) -> None:
        super().__delitem__(name)
        self._changed()

    def __ior__(self, other: Any) -> _Registry:  # type: ignore[override,misc]
        super().__ior__(other)
        self._changed()
        return self

    def pop(self, *args: Any) -> Any:
        try:
            return super().pop(*args)
        finally:
            self._changed()

    def popitem(self) -> tuple[str, TransferHandler]:
        try:
            return super().popitem()
        finally:
            self._changed()

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        super().update(*args, **kwargs)
        self._changed()

    def setdefault(self, name: str, handler: TransferHandler) -> TransferHandler:
        try:
            return super().setdefault(name, handler)
        finally:
            self._changed()


#: The built-in handlers. A handler that never takes an atom may join them (``register_built_in``).
BUILT_IN_HANDLERS: dict[str, TransferHandler] = {
    "proxy": PROXY_HANDLER,
    "throw": _ThrowHandler(),
    "kwargs": _KwargsHandler(),
}

transfer_handlers: _Registry = _Registry(BUILT_IN_HANDLERS)


def register_built_in(name: str, handler: TransferHandler) -> None:
    """Register a handler of comlink_py's own that never takes an atom (streams, AbortSignal): the
    answers of atoms keep skipping the handlers, as with only the built-in ones."""
    BUILT_IN_HANDLERS[name] = handler
    transfer_handlers[name] = handler
