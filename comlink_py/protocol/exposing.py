"""The exposing side's core: a decoded request in, a call to run and then a response out.

No I/O happens here: the asyncio glue feeds ``receive`` with events, runs the returned ``Dispatch``,
awaits it if needed, and posts what ``reply`` builds. That keeps the request semantics testable
without any transport.
"""

from __future__ import annotations

import abc
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from types import FunctionType, MethodType
from typing import TYPE_CHECKING, Any

from . import wire
from .codec import from_wire, is_plain_atom, to_wire
from .handlers import Kwargs, ProxyMarked, Thrown, Transferred, finalizer
from .policy import USER, Policy, _is_gateway, kind_of
from .wire import APPLY, CONSTRUCT, ENDPOINT, GET, RAW, SET, ProtocolError

if TYPE_CHECKING:
    from .endpoint import Endpoint, MessageEvent

__all__ = ["CHECKED_TYPES", "Dispatch", "Exposer", "Origin", "RoutePlan", "answering", "is_allowed_origin"]

log = logging.getLogger("comlink_py")

Origin = str | re.Pattern[str]


def is_allowed_origin(allowed: Iterable[Origin], origin: str | None) -> bool:
    """Comlink's rule: ``"*"`` or an equal string or a matching regular expression allows."""
    text = "" if origin is None else origin
    for rule in allowed:
        if rule == "*" or rule == text:
            return True
        if isinstance(rule, re.Pattern) and rule.search(text):
            return True
    return False


@dataclass(slots=True)
class Dispatch:
    """One accepted request, for ``Exposer.perform``: a valid ``request``, or the ``error`` that
    made it invalid (answered like an error the call raised). A CANCEL has neither: it is not
    performed, the glue cancels what runs under its ``id``. A call that ``receive_call`` accepted
    has no ``request`` dict but its ``path`` and decoded ``arguments``."""

    id: Any
    type: str
    request: wire.Request | None
    error: Exception | None = None
    path: Sequence[str] = ()
    arguments: list[Any] | None = None


@dataclass(slots=True, frozen=True)
class RoutePlan:
    """What ``Exposer.plan`` found for a route: the exposed object's type, the method's name, and
    its function with the module and name the policy judged it by; the abstract-class cache token."""

    cls: type
    name: str
    func: FunctionType
    module: str
    qualname: str
    token: object


#: The exposer whose answer is being encoded, if any: a ``proxy()`` handed out in it is served
#: with the same options (strict stays strict, origins stay checked), through its ``serve``.
answering: ContextVar[Exposer | None] = ContextVar("comlink_py_answering", default=None)

# Path segments index these by number (and "length" is their length), as in JS.
_SEQUENCES = (list, tuple, str, bytes)

_MAPPING, _SEQUENCE, _OTHER = "mapping", "sequence", "other"
_indexings: dict[type, str] = {}
_indexing_token = abc.get_cache_token()


def _indexing(cls: type) -> str:
    """How a path step reads an instance of ``cls`` (``resolve`` looks in ``_indexings`` first).
    Remembered per class, since the abstract-class check costs more than the rest of a step;
    forgotten whenever any ABC gains a registration."""
    global _indexing_token
    token = abc.get_cache_token()
    if token != _indexing_token:
        _indexings.clear()
        _indexing_token = token
    indexing = _indexings.get(cls)
    if indexing is None:
        indexing = (
            _MAPPING if issubclass(cls, Mapping) else _SEQUENCE if issubclass(cls, _SEQUENCES) else _OTHER
        )
        _indexings[cls] = indexing
    return indexing


# Responses on a shared endpoint must never be answered: that would make two peers that both expose
# and wrap over one endpoint bounce errors at each other forever.
_RESPONSE_TYPES = frozenset({wire.RAW, wire.HANDLER})
_CALLS = (APPLY, CONSTRUCT)

#: The request types ``Exposer.receive_call`` takes: those whose form is an id, a type, a path and
#: arguments (a SET's value, a CANCEL and the responses go to ``receive``).
CHECKED_TYPES: frozenset[str] = frozenset({GET, APPLY, CONSTRUCT, ENDPOINT, wire.RELEASE})


class Exposer:
    """Serves one object. ``serve(obj, endpoint)`` is how the glue exposes a new channel (ENDPOINT)."""

    def __init__(
        self,
        obj: Any,
        endpoint: Endpoint,
        serve: Callable[[Any, Endpoint], None],
        *,
        allowed_origins: Sequence[Origin] = ("*",),
        allow_private: bool = False,
        strict: bool = False,
    ) -> None:
        self.obj = obj
        self.endpoint = endpoint
        self.serve = serve
        self.allowed_origins = tuple(allowed_origins)
        self.allow_private = allow_private
        # None: every peer is trusted, and paths are walked as they are (allow_private=True).
        self.policy: Policy | None = None if allow_private else Policy(obj, strict=strict)
        self._any_origin = "*" in self.allowed_origins  # the default: no per-message check

    # -- requests in --------------------------------------------------------------------------

    def receive(self, event: MessageEvent) -> Dispatch | None:
        """Accept a message, or return ``None`` for one that gets no answer (as Comlink does for
        messages without data, from a refused origin, or that are responses)."""
        data = event.data
        if not data or (type(data) is not dict and not isinstance(data, Mapping)):
            return None
        if not self._any_origin and not is_allowed_origin(self.allowed_origins, event.origin):
            log.warning("Invalid origin %r for comlink proxy", event.origin)
            return None
        kind = data.get("type")
        if type(kind) is str and kind in _RESPONSE_TYPES:  # a list would not even hash
            return None
        id = data.get("id")
        if kind == wire.CANCEL:  # never answered: the caller has forgotten the call
            return Dispatch(id, wire.CANCEL, None) if type(id) is str else None
        if event.error is not None:  # the transport could decode only part of it: say what failed
            return Dispatch(id, "", None, event.error) if id is not None else None
        try:
            request = wire.parse_request(data)
        except Exception as error:  # every request with an id gets an answer, whatever it holds
            if not isinstance(error, ProtocolError):
                error = ProtocolError(f"malformed request: {type(error).__name__}: {error}")
            return Dispatch(id, kind if type(kind) is str else "", None, error) if id is not None else None
        return Dispatch(id, request["type"], request, None, request["path"])

    def receive_call(
        self, origin: str | None, id: str, kind: str, path: Sequence[str] | None, arguments: list[Any] | None
    ) -> Dispatch | None:
        """Accept a request of one of ``CHECKED_TYPES`` whose form the transport has checked already
        (``id`` a string, ``path`` strings, ``arguments`` the values of RAW wire values, either None
        where the message had no such key), exactly as ``receive`` would accept it: for such a
        request, ``parse_request`` finds nothing more to refuse. Any other type goes to ``receive``."""
        if not self._any_origin and not is_allowed_origin(self.allowed_origins, origin):
            log.warning("Invalid origin %r for comlink proxy", origin)
            return None
        if kind in _CALLS:
            return Dispatch(id, kind, None, None, () if path is None else path, arguments or [])
        return Dispatch(id, kind, None, None, () if path is None else path)

    def perform(self, dispatch: Dispatch) -> Any:
        """Run an accepted request: its raw result (maybe awaitable), or the error it raises."""
        if dispatch.error is not None:
            raise dispatch.error
        request = dispatch.request
        kind = dispatch.type
        path = dispatch.path
        if kind in _CALLS:  # the commonest first
            target = self.resolve(path)
            if not callable(target):
                name = ".".join(path) or "the exposed object"
                raise TypeError(f"{name} is not callable")
            if self.policy is not None:
                self.policy.check_call(target, kind == CONSTRUCT, reached=bool(path))
            args = dispatch.arguments
            if args is None:
                wires = request["argumentList"]  # type: ignore[index]  # receive sets one or the other
                endpoint = self.endpoint
                # RAW arguments are read in place: a call to from_wire each costs more than the rest.
                args = [a.get("value") if a["type"] == RAW else from_wire(a, endpoint) for a in wires]
            if args:
                last = args[-1]
                result = target(*args[:-1], **last) if type(last) is Kwargs else target(*args)
            else:
                result = target()
            return ProxyMarked(result) if kind == CONSTRUCT else result
        if kind == GET:
            return self.resolve(path)
        if kind == SET:
            parent = self.resolve(path[:-1])
            value = from_wire(request["value"], self.endpoint)  # type: ignore[index]  # only receive makes a SET
            self._assign(parent, path[-1], value)
            return True
        if kind == ENDPOINT:
            near, far = self.endpoint.new_channel()  # type: ignore[attr-defined]
            self.serve(self.obj, near)
            return Transferred(far, [far])
        return None  # RELEASE

    # -- route plans --------------------------------------------------------------------------

    def plan(self, kind: str, path: Sequence[str]) -> RoutePlan | None:
        """A plan for the requests of a route that ``run_plan`` can serve with fewer checks, or None.
        Only an APPLY of a method of the exposed object itself (``remote.method(...)``), under the
        default policy: decided from the types, never from a value read now (no getter runs)."""
        policy = self.policy
        if kind != APPLY or len(path) != 1 or policy is None or policy.strict or not self._any_origin:
            return None
        name = path[0]
        root = self.obj
        cls = type(root)
        if name[:1] == "_" or cls is ProxyMarked or kind_of(root) != USER or _indexing(cls) is not _OTHER:
            return None
        func = next((vars(k)[name] for k in cls.__mro__ if name in vars(k)), None)
        if type(func) is not FunctionType or _is_gateway(func):
            return None
        return RoutePlan(cls, name, func, func.__module__, func.__qualname__, abc.get_cache_token())

    def run_plan(self, plan: RoutePlan, args: Sequence[Any]) -> Any:
        """``perform`` for a request of ``plan``'s route, exactly as strict. While the exposed object
        has the plan's type (and no abstract class gained a registration), the policy's step checks
        decide as they did for the plan; if the method read now is the plan's function, as named
        then, the checks of the value reached decide as they did too. Anything else is checked
        as ``perform`` checks it, on the value in hand (nothing is read twice)."""
        root = self.obj
        if type(root) is not plan.cls or abc.get_cache_token() != plan.token:
            target = self.resolve((plan.name,))
        else:
            target = getattr(root, plan.name)
            func = plan.func
            if not (
                type(target) is MethodType
                and target.__func__ is func
                and func.__module__ is plan.module
                and func.__qualname__ is plan.qualname
            ):
                target = self.policy.check_reached(target, plan.name)  # type: ignore[union-attr]
            else:
                return target(*args)
        if not callable(target):
            raise TypeError(f"{plan.name} is not callable")
        self.policy.check_call(target, False, reached=True)  # type: ignore[union-attr]
        return target(*args)

    # -- paths --------------------------------------------------------------------------------

    def resolve(self, path: Sequence[str]) -> Any:
        """The object at ``path``, each step allowed by the policy (see ``comlink_py.protocol.policy``)."""
        obj = self.obj
        policy = self.policy
        for segment in path:  # each step inline: a call per step costs more than the step
            indexing = _indexings.get(type(obj)) if abc.get_cache_token() == _indexing_token else None
            if indexing is None:
                indexing = _indexing(type(obj))
            if indexing is _MAPPING:
                if segment in obj:
                    obj = obj[segment] if policy is None else policy.check_reached(obj[segment], segment)
                    continue
            elif indexing is _SEQUENCE:
                if segment.isdecimal():
                    obj = obj[int(segment)]
                    if policy is not None:
                        policy.check_reached(obj, segment)
                    continue
                if segment == "length":
                    obj = len(obj)
                    continue
            obj = getattr(obj, segment) if policy is None else policy.step(obj, segment)
        return obj

    def _assign(self, parent: Any, segment: str, value: Any) -> None:
        policy = self.policy
        if type(parent) is ProxyMarked and policy is not None:  # what it marks is what is set
            parent = parent.obj
        if isinstance(parent, dict):  # the root, or a dict a step checked
            parent[segment] = value
        elif isinstance(parent, list) and segment.isdecimal():
            parent[int(segment)] = value
        else:
            if policy is not None:
                policy.check_assign(parent, segment)
            setattr(parent, segment, value)

    # -- responses out ------------------------------------------------------------------------

    def reply(self, dispatch: Dispatch, result: Any) -> tuple[dict[str, Any], list[Any]]:
        """The response message for a result; a ``Thrown`` result travels through ``throw``."""
        if is_plain_atom(result):
            return {"type": RAW, "value": result, "id": dispatch.id}, []  # most answers
        token = answering.set(self)  # a proxy() in the answer is served as this object is
        try:
            wire_value, transferables = to_wire(result, self.endpoint)
        except Exception as error:
            return self.unserializable(dispatch, error)
        finally:
            answering.reset(token)
        return wire.response(wire_value, dispatch.id), transferables

    def unserializable(self, dispatch: Dispatch, error: BaseException) -> tuple[dict[str, Any], list[Any]]:
        problem = TypeError(f"Unserializable return value: {error}")
        wire_value, transferables = to_wire(Thrown(problem), self.endpoint)
        return wire.response(wire_value, dispatch.id), transferables

    def finalize(self) -> None:
        """Run the object's ``__comlink_finalizer__`` after a RELEASE, as Comlink runs its finalizer."""
        method = getattr(self.obj, finalizer, None)
        if callable(method):
            method()
