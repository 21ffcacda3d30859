"""Pyodide adapter: any JS object that posts messages (a worker's global scope, a MessagePort, a
Worker, Comlink's ``nodeEndpoint(...)``, a window through ``window_endpoint``) seen as an ``Endpoint``.

A message costs one ``to_py`` in and one ``to_js`` out, or less: the commonest messages (answers of
atoms, requests whose arguments are atoms) cross as the arguments of one call and are built in JS or
Python from them, to exactly what ``to_js`` or ``to_py`` would make. The converters and the buffer
that carries ids into Python are proxies made once per interpreter, and each ``JsEndpoint`` makes
one PyProxy for its JS listener and destroys it when the last Python listener goes, so calls create
no PyProxies and released proxies leave none behind. ArrayBuffers are not copied into Python's
memory on the way in: they arrive as ``JsArrayBuffer``. The module imports in CPython too: Pyodide
is only touched on first use.
"""

from __future__ import annotations

import datetime as _dt
import logging
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from ..protocol import wire
from ..protocol.endpoint import (
    AnswerListener,
    CallListener,
    Listener,
    MessageEvent,
    PlannedCall,
    Planner,
    call_each,
)
from ..protocol.exposing import CHECKED_TYPES
from ..protocol.wire import RAW
from ..transport.clone import DataCloneError
from . import fastpath
from .buffer import JsArrayBuffer
from .fastpath import (
    FACTS,
    ID_BUFFER,
    REPLIED,
    FastPath,
    Kind,
    call_message,
    call_parts,
    post_call,
    post_flat,
)
from .jsmodule import run_module

__all__ = ["JsArrayBuffer", "JsEndpoint", "js_endpoint", "load_ffi", "window_endpoint"]

log = logging.getLogger("comlink_py")

# The kinds of message, as plain ints for _deliver's comparisons.
_PRIMITIVE, _PLAIN, _DECODE, _FLAT, _FLAT_NEW, _FLAT_UNNUMBERED, _CALL = (
    Kind.PRIMITIVE.value,
    Kind.PLAIN.value,
    Kind.DECODE.value,
    Kind.FLAT.value,
    Kind.FLAT_NEW.value,
    Kind.FLAT_UNNUMBERED.value,
    Kind.CALL.value,
)
_NOBODY = object()  # JsEndpoint._answering while no request is delivered
_AWAITED = object()  # JsEndpoint._reply while a call is delivered and not yet answered

# The JS event that tells a peer went away, by constructor name (Node only: browsers have none).
_CLOSE_EVENTS = {"MessagePort": "close", "Worker": "exit"}


class _Ffi:
    """Pyodide's FFI, looked up once. The converters are long-lived proxies: passing a Python
    function to ``to_py``/``to_js`` instead would wrap it anew on every message."""

    def __init__(self) -> None:
        import js
        from pyodide.code import run_js
        from pyodide.ffi import JsProxy, create_proxy, to_js

        self.js: Any = js
        self.JsProxy: Any = JsProxy
        self.create_proxy: Any = create_proxy
        self.to_js: Any = to_js
        self.from_entries: Any = js.Object.fromEntries
        self.decoder: Any = create_proxy(_decode_default)
        self.encoder: Any = create_proxy(_encode_default)
        init = run_module(run_js, "listener.mjs")
        # The id buffer's proxy lives as long as the interpreter.
        self.fast = FastPath(init(to_js(FACTS, dict_converter=self.from_entries)), create_proxy(ID_BUFFER))
        self.window_port: Any = run_module(run_js, "window_port.mjs")
        self.identity: Any = run_module(run_js, "identity.mjs")

    def encode(self, value: Any, eager: Any = None) -> Any:
        # eager_converter=None is not the same as leaving it out: Pyodide then fails on every value.
        extra = {} if eager is None else {"eager_converter": eager}
        try:
            return self.to_js(
                value,
                dict_converter=self.from_entries,
                create_pyproxies=False,
                default_converter=self.encoder,
                **extra,
            )
        except Exception as error:
            # Pyodide wraps the converter's own error; the caller should see the precise one.
            if isinstance(error.__cause__, DataCloneError):
                raise error.__cause__ from None
            raise DataCloneError(f"could not convert the message to JavaScript: {error}") from error


_FFI: _Ffi | None = None


def load_ffi() -> _Ffi:
    """Pyodide's FFI, looked up on first use (hot paths read _FFI, set from then on)."""
    global _FFI
    if _FFI is None:
        try:
            _FFI = _Ffi()
        except ImportError as error:
            raise RuntimeError("comlink_py.js needs Pyodide (the 'js' module is missing)") from error
    return _FFI


def _constructor_name(value: Any) -> str | None:
    constructor = getattr(value, "constructor", None)
    name = getattr(constructor, "name", None)
    return name if isinstance(name, str) else None


def _undecodable(message: Any, origin: Any, error: Exception) -> MessageEvent | None:
    """What can be read of a message that ``to_py`` failed on (a Map with object keys, a Set of
    objects, a Date beyond Python's range): its id and type, so that a request is answered with the
    error and a response fails its call, instead of either waiting forever. None without an id."""
    try:
        data = {key: getattr(message, key, None) for key in ("id", "type")}
    except Exception:
        return None
    if type(data["id"]) not in (str, int, float):
        return None
    if type(data["type"]) is not str:
        data["type"] = None
    problem = DataCloneError(f"the message could not be converted to Python: {error}")
    return MessageEvent(data, origin if type(origin) is str else None, problem)


def _decode_default(value: Any, convert: Any, cache: Any) -> Any:
    """What Pyodide cannot turn into data itself: ports become endpoints, dates datetimes; any
    other JS object stays a JsProxy."""
    name = _constructor_name(value)
    if name == load_ffi().fast.kept:
        return JsArrayBuffer(value.buffer)
    if name == "MessagePort":
        return JsEndpoint(value)
    if name == "Date":
        ms = value.getTime()
        if ms == ms:  # an invalid Date (NaN) stays a JsProxy
            try:
                return _dt.datetime.fromtimestamp(ms / 1000, _dt.UTC)
            except (OverflowError, ValueError, OSError):
                raise DataCloneError(
                    f"the Date {value.toISOString()} is outside Python's datetime range"
                ) from None
    return value


def _encode_default(value: Any, convert: Any, cache: Any) -> Any:
    if type(value) is JsEndpoint:
        return value.port
    if type(value) is JsArrayBuffer:
        return value.buffer
    if isinstance(value, _dt.datetime):
        return load_ffi().js.Date.new(value.timestamp() * 1000)
    raise DataCloneError(
        f"{type(value).__qualname__} could not be cloned; pass it with proxy() to send a reference"
    )


def _transfer_list(ffi: _Ffi, transfer: Sequence[Any]) -> tuple[Any, dict[int, Any]]:
    """The JS transfer list, and the ArrayBuffers standing in for transferred bytearrays."""
    items: list[Any] = []
    buffers: dict[int, Any] = {}
    for item in transfer:
        if type(item) is JsEndpoint:
            items.append(item.port)
        elif type(item) is JsArrayBuffer:
            items.append(item.buffer)
        elif isinstance(item, bytearray):
            if id(item) in buffers:
                raise DataCloneError("a transferable is listed twice")
            buffers[id(item)] = ffi.to_js(item).buffer
            items.append(buffers[id(item)])
        elif isinstance(item, ffi.JsProxy):
            items.append(item)
        else:
            raise DataCloneError(f"{type(item).__name__} is not transferable to JavaScript")
    return ffi.to_js(items, create_pyproxies=False), buffers


class JsEndpoint:
    """An ``Endpoint`` over a JS object with ``postMessage`` and either ``addEventListener`` (DOM
    style: listeners get events) or ``on``/``off`` (Node's EventEmitter style: listeners get data).

    It is also the JS object it adapts, for code written against that (a port that arrived in a
    message, say): ``postMessage`` converts Python data as ``post_message`` does, and any other
    public name (``addEventListener``, ``on``, ``unref``, ...) is the JS object's own. To a peer's
    path it is opaque, as JS objects are: nothing in it is reachable (``protocol.policy``)."""

    __comlink_opaque__ = True

    __slots__ = (
        "__weakref__",
        "_answer_listeners",
        "_answering",
        "_call_listener",
        "_close_callbacks",
        "_js_answer",
        "_js_call",
        "_js_clear_plans",
        "_js_close",
        "_js_flat",
        "_js_listen",
        "_js_listener",
        "_js_set_answerer",
        "_js_set_plan",
        "_listeners",
        "_numbered",
        "_planner",
        "_plans",
        "_post",
        "_py_answerer",
        "_py_listener",
        "_py_plan",
        "_reply",
        "_run_planned",
        "closed",
        "port",
    )

    def __init__(self, port: Any) -> None:
        if isinstance(port, JsEndpoint):
            port = port.port  # re-wrapping shares the JS object, not the listeners
        if not (hasattr(port, "postMessage") and (hasattr(port, "addEventListener") or hasattr(port, "on"))):
            raise TypeError(
                f"{port!r} is not a JS endpoint: it needs postMessage and either addEventListener or "
                "on/off (a MessagePort, a Worker, a worker's global scope, Comlink's nodeEndpoint(...))"
            )
        self.port: Any = port
        # bind(port)'s functions (see _ENDPOINT_JS), made on first use: many endpoints (every port
        # that arrives in a message) are never used.
        self._js_listen: Any = None
        self._js_flat: Any = None
        self._js_call: Any = None
        self._js_answer: Any = None
        self._answering: Any = _NOBODY  # the id of the request being delivered, if any
        self._reply: Any = _NOBODY  # _AWAITED while a call is delivered, then its answer's value
        self._post: Any = None  # port.postMessage, looked up once: each FFI lookup costs
        self.closed = False
        self._listeners: tuple[Listener, ...] = ()  # replaced, never changed: delivery needs no copy
        self._call_listener: CallListener | None = None
        self._planner: Planner | None = None
        self._plans: dict[int, bool] = {}  # route number -> whether it was planned
        self._run_planned: PlannedCall | None = None
        self._py_plan: Any = None  # _run_planned's proxy, while a planner is given
        self._js_set_plan: Any = None
        self._js_clear_plans: Any = None
        self._answer_listeners: tuple[AnswerListener, ...] = ()
        self._js_set_answerer: Any = None
        self._py_answerer: Any = None  # _answered's proxy, while the JS listener and an answer listener are
        self._numbered: list[Any] = []  # the key sets and routes the JS listener numbered
        self._js_listener: Any = None
        self._py_listener: Any = None
        self._close_callbacks: list[Callable[[], None]] = []
        self._js_close: Any = None

    def __repr__(self) -> str:
        return f"<JsEndpoint {_constructor_name(self.port) or 'object'}{' closed' if self.closed else ''}>"

    @property
    def listening(self) -> bool:
        """Whether anything (``expose`` or ``wrap``) listens on this endpoint."""
        return bool(self._listeners)

    @property
    def identity(self) -> int:
        """The same number for every ``JsEndpoint`` of one JS object (see ``Endpoint``)."""
        return int(load_ffi().identity(self.port))

    # -- the JS object -------------------------------------------------------------------------

    def postMessage(self, message: Any, transfer: Sequence[Any] = ()) -> None:  # JS's name
        """The JS object's ``postMessage``, with Python data converted as ``post_message`` does."""
        self.post_message(message, transfer)

    if not TYPE_CHECKING:  # hidden from type checkers, so that a misspelt endpoint method is reported

        def __getattr__(self, name: str) -> Any:
            """Any other public name is the JS object's (only called for names not found here)."""
            if name[:1] == "_" or name in JsEndpoint.__slots__:
                raise AttributeError(name)  # no dunder lookups forwarded; slots not yet set
            return getattr(self.port, name)

    # -- Endpoint ------------------------------------------------------------------------------

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        if self.closed:
            raise ConnectionError("cannot post on a closed endpoint")
        if not transfer and type(message) is dict:
            if self._js_flat is None:
                self._bind()
            fast = (_FFI or load_ffi()).fast
            if post_flat(fast, self._js_flat, message) or post_call(fast, self._js_call, message):
                return
        ffi = _FFI or load_ffi()
        post = self._post
        if post is None:
            post = self._post = self.port.postMessage
        if not transfer:
            post(ffi.encode(message))
            return
        js_transfer, buffers = _transfer_list(ffi, transfer)
        eager = None
        if buffers:

            def eager(value: Any, convert: Any, cache: Any) -> Any:
                buffer = buffers.get(id(value))
                return convert(value) if buffer is None else buffer

        post(ffi.encode(message, eager), js_transfer)
        for item in transfer:
            if isinstance(item, bytearray):
                item.clear()  # moved, like a detached ArrayBuffer
            elif type(item) is JsArrayBuffer:
                item._detached()

    def post_answer(self, msg_id: Any, value: Any) -> None:
        """Post the answer ``{"type": "RAW", "value": value, "id": msg_id}`` of an atom ``value``,
        as the exposing side does for most results. While request ``msg_id`` is being delivered,
        JS still holds its id, so the answer is posted without the id crossing back from Python."""
        if msg_id is self._answering and not self.closed:
            if self._reply is _AWAITED:  # _deliver returns it to JS
                self._reply = value
            else:
                self._js_answer(value)
        else:
            self.post_message({"type": RAW, "value": value, "id": msg_id})

    def add_listener(self, listener: Listener) -> None:
        self._listeners += (listener,)
        if self._js_listener is None:
            dom_style = hasattr(self.port, "addEventListener")
            ffi = load_ffi()
            self._numbered = []  # a new JS listener numbers key sets anew
            if self._js_listen is None:
                self._bind()
            self._py_listener = ffi.create_proxy(self._deliver)
            self._js_listener, self._js_set_plan, self._js_clear_plans, self._js_set_answerer = (
                self._js_listen(self._py_listener, dom_style)
            )
            _listen(self.port, "message", self._js_listener)
            self._hand_answers()

    def add_call_listener(
        self, listener: CallListener, planner: Planner | None = None, run: PlannedCall | None = None
    ) -> None:
        """Hand the requests the JS listener has checked to ``listener`` as their parts, instead of
        as MessageEvents (see ``Endpoint``). Saves rebuilding the request dict, its MessageEvent and
        its validation: about 3 µs of the 9 µs a no-op call costs the exposing side (Node, one core).
        The JS listener hands a route that ``planner`` plans to ``run`` (see ``_plan``)."""
        if fastpath.ENABLED:
            self._call_listener = listener
            self._planner = planner
            self._run_planned = run

    def remove_call_listener(self, listener: CallListener) -> None:
        if self._call_listener == listener:
            self._call_listener = None
            self._planner = self._run_planned = None
            self._drop_plans()

    def _plan(self, number: int, kind: str, path: Sequence[str]) -> None:
        """Ask the planner once for numbered route ``number``. Its later requests whose arguments
        include no ArrayBuffer go to ``run(number, token, *arguments)`` through one proxy, from the
        JS listener, ``token`` the id's length in ID_BUFFER or the id (see ``planned_id``); a
        result that is no atom (UNANSWERED's proxy) says it was answered by message."""
        planned = self._planner(number, kind, path)  # type: ignore[misc]  # set when asked
        self._plans[number] = planned
        if planned:
            if self._py_plan is None:  # one proxy serves every plan, made with the first
                self._py_plan = load_ffi().create_proxy(self._run_planned)
            self._js_set_plan(number, self._py_plan)

    @staticmethod
    def planned_id(token: int | str) -> str:
        """The id of a request the JS listener handed a plan, while it is delivered: its length in
        ID_BUFFER (JS puts an outer call's id back there when one delivered inside it returns), or
        the id itself when it did not fit."""
        return ID_BUFFER[:token].decode("latin-1") if isinstance(token, int) else token

    def _drop_plans(self) -> None:
        self._plans = {}
        if self._js_clear_plans is not None:
            self._js_clear_plans()
        plan, self._py_plan = self._py_plan, None
        if plan is not None:
            plan.destroy()

    def add_answer_listener(self, listener: AnswerListener) -> None:
        """Hand plain answers of atoms to ``listener`` as ``(id, value)`` (see ``Endpoint``). Saves
        the answer's dict, its MessageEvent and the listeners' loop: about 1.5 µs of the 5.4 µs an
        answer cost to deliver (Node, one core)."""
        if fastpath.ENABLED:
            self._answer_listeners += (listener,)
            self._hand_answers()

    def remove_answer_listener(self, listener: AnswerListener) -> None:
        if listener in self._answer_listeners:
            self._answer_listeners = tuple(x for x in self._answer_listeners if x != listener)
            self._hand_answers()

    def _hand_answers(self) -> None:
        """Have the JS listener hand plain answers of atoms to ``_answered`` while there are answer
        listeners, ahead of ``_deliver``. Saves ``_deliver``'s sorting and the answer's type and
        key-set number crossing: an awaited no-op call 8.6 -> 8.3 µs (Node, one core)."""
        wanted = bool(self._answer_listeners) and self._js_listener is not None
        if wanted and self._py_answerer is None:
            self._py_answerer = load_ffi().create_proxy(self._answered)
            self._js_set_answerer(self._py_answerer)
        elif not wanted and self._py_answerer is not None:
            answerer, self._py_answerer = self._py_answerer, None
            self._js_set_answerer(None)  # set with the JS listener, which the answerer never outlives
            answerer.destroy()

    def _answered(self, msg_id: str, value: Any) -> bool:
        """A plain answer of an atom from the JS listener: whether one of the answer listeners'
        calls claimed it (if not, JS delivers it as any other message)."""
        for listener in self._answer_listeners:
            try:
                if listener(msg_id, value):
                    return True
            except Exception:  # never into JS: an error thrown in a Node 'message' handler kills the worker
                log.exception("answer listener %r failed", listener)
                return True
        return False

    def post_call(self, msg_id: str, kind: str, path: Sequence[str], args: Sequence[Any]) -> None:
        """Post a GET, APPLY or CONSTRUCT of atoms from its parts (see ``Endpoint``): postCall with
        the route's number. Saves building the request dict and taking it apart again in
        fastpath.post_call: about 2.5 µs of the 4.7 µs a request cost to post (Node, one core)."""
        if self.closed:
            raise ConnectionError("cannot post on a closed endpoint")
        parts = self._call_parts(kind, path, args)
        if parts is None:  # switched off, or past the table's size: the request as a dict
            self.post_message(call_message(msg_id, kind, path, None if kind == wire.GET else args))
        else:
            self._js_call(msg_id, *parts)

    def _call_parts(self, kind: str, path: Sequence[str], args: Sequence[Any]) -> tuple[Any, ...] | None:
        """postCall's arguments after the id: the route's number, the argument count (-1 for a GET)
        and the arguments; None where the route has no number (switched off, or the table full)."""
        if not fastpath.ENABLED:
            return None
        if self._js_call is None:
            self._bind()
        fast = (_FFI or load_ffi()).fast
        key = (kind, path if type(path) is tuple else tuple(path))
        route = fast.routes.get(key)
        if route is None:  # routes are the interpreter's, known to every port
            route = fast.route(key, kind, list(path))
            if route is None:
                return None
        if kind == wire.GET:
            return (route, -1)
        return (route, len(args), *args)

    def _bind(self) -> None:
        self._js_listen, self._js_flat, self._js_call, self._js_answer = load_ffi().fast.bind(self.port)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            index = self._listeners.index(listener)
            self._listeners = self._listeners[:index] + self._listeners[index + 1 :]
        if not self._listeners:
            self._stop_listening()

    def start(self) -> None:
        start = getattr(self.port, "start", None)
        if start is not None:
            start()

    def close(self) -> None:
        """Close the JS object if it is a MessagePort, as Comlink does; anything else (a worker's
        global scope, a Worker) stays open, as closing it would end a worker."""
        if self.closed or _constructor_name(self.port) != "MessagePort":
            return
        self.port.close()
        self._on_close()

    def new_channel(self) -> tuple[JsEndpoint, JsEndpoint]:
        channel = load_ffi().js.MessageChannel.new()
        return JsEndpoint(channel.port1), JsEndpoint(channel.port2)

    def add_close_listener(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once when the peer goes away, where JS can tell: Node's MessagePort
        ``close`` and Worker ``exit`` events. Elsewhere only ``close()`` calls it."""
        if self.closed:
            callback()
            return
        self._close_callbacks.append(callback)
        event = _CLOSE_EVENTS.get(_constructor_name(self.port) or "")
        if self._js_close is None and event is not None:
            self._js_close = load_ffi().create_proxy(self._on_close)
            _listen(self.port, event, self._js_close)

    # -- JS callbacks --------------------------------------------------------------------------

    def _deliver(self, origin: Any, kind: int, *parts: Any) -> Any:
        # Exceptions must not reach JS: an error thrown in a Node 'message' handler kills the worker.
        try:
            # kind (see fastpath.Kind), all converted by Pyodide as arguments unless said: a request
            # as callParts with its route's number (CALL) or with the route, numbered next
            # (CALL_NEW) or not; a flat object as its key set's number then its values (FLAT), or
            # as its keys then values, the key set numbered next (FLAT_NEW) or not; a primitive;
            # plain objects and arrays only (to_py), or anything else (to_py with the decoder).
            if kind >= _CALL:
                msg_id, type_, path, values = call_parts(parts, self._numbered, kind)
                on_call = self._call_listener
                if on_call is not None and type_ in CHECKED_TYPES:
                    outer, self._answering = self._answering, msg_id  # the id JS holds while it delivers
                    outer_reply, self._reply = self._reply, _AWAITED
                    try:  # inline, not a method: a call costs as much as a step here
                        on_call(origin if type(origin) is str else None, msg_id, type_, path, values)
                    except Exception:
                        log.exception("listener %r failed", on_call)
                    finally:
                        self._answering = outer
                        reply, self._reply = self._reply, outer_reply
                    if kind == _CALL and self._planner is not None:
                        number = parts[1] if parts[0] >= 0 else parts[2]
                        if number not in self._plans:
                            self._plan(number, type_, path)
                    if reply is _AWAITED:
                        return None
                    # Answered while delivered: the value goes back as the result, and JS posts it
                    # (see listener.mjs), instead of a second call from Python into JS.
                    ID_BUFFER[REPLIED] = 1
                    return reply
                data = call_message(msg_id, type_, path, values)
            elif kind == _FLAT:
                data = dict(zip(self._numbered[parts[0]], parts[1:], strict=True))
            elif kind in (_FLAT_NEW, _FLAT_UNNUMBERED):
                half = len(parts) // 2
                keys = parts[:half]
                if kind == _FLAT_NEW:
                    self._numbered.append(keys)
                data = dict(zip(keys, parts[half:], strict=True))
            elif kind == _PRIMITIVE:
                data = parts[0]
            elif kind == _PLAIN:
                data = parts[0].to_py()
            else:
                data = parts[0].to_py(default_converter=load_ffi().decoder)
            event = MessageEvent(data, origin if type(origin) is str else None)
        except Exception as error:
            partial = _undecodable(parts[0], origin, error) if kind in (_PLAIN, _DECODE) else None
            if partial is None:  # nobody waits for an answer to it
                log.warning("dropped a message from %r that could not be decoded: %s", self, error)
                return
            event = partial
        if kind < _CALL:
            call_each(self._listeners, event)
            return
        outer, self._answering = self._answering, data["id"]  # the id JS holds while it delivers
        try:
            call_each(self._listeners, event)
        finally:
            self._answering = outer

    def _on_close(self, *_: Any) -> None:
        self.closed = True
        self._listeners = ()
        self._call_listener = None
        self._answer_listeners = ()
        self._stop_listening()
        closer, self._js_close = self._js_close, None
        if closer is not None:
            _unlisten(self.port, _CLOSE_EVENTS[_constructor_name(self.port) or ""], closer)
            closer.destroy()
        callbacks, self._close_callbacks = self._close_callbacks, []
        call_each(callbacks)

    def _stop_listening(self) -> None:
        listener, self._js_listener = self._js_listener, None
        if listener is not None:
            _unlisten(self.port, "message", listener)
            self._drop_plans()
            self._hand_answers()  # no JS listener: the answerer goes
            self._js_set_plan = self._js_clear_plans = self._js_set_answerer = None
            self._py_listener.destroy()
            self._py_listener = None


def js_endpoint(value: Any) -> JsEndpoint | None:
    """A ``JsEndpoint`` for a JS object, as Comlink takes any object that posts messages; ``None``
    for anything else. A JS object that cannot post and listen is a ``TypeError``."""
    if sys.platform != "emscripten":  # only Pyodide has JS objects
        return None
    from pyodide.ffi import JsProxy

    return JsEndpoint(value) if isinstance(value, JsProxy) else None


def window_endpoint(target: Any, context: Any = None, target_origin: str = "*") -> JsEndpoint:
    """A ``JsEndpoint`` for a window (an iframe's ``contentWindow``, ``window.parent``, an opener),
    as Comlink's ``windowEndpoint``: a window posts with a target origin and its answers arrive on
    another object, ``context`` (this scope's global by default). Only the postMessage call and
    the listening object differ, so the messages are converted exactly as for any ``JsEndpoint``.
    """
    if not isinstance(target_origin, str):
        raise TypeError(f"target_origin must be a str, not {type(target_origin).__name__}")
    if not hasattr(target, "postMessage"):
        raise TypeError(f"{target!r} is not a window: it has no postMessage")
    ffi = load_ffi()
    scope = ffi.js if context is None else context
    if not (hasattr(scope, "addEventListener") and hasattr(scope, "removeEventListener")):
        raise TypeError(f"{scope!r} cannot be listened on: it has no addEventListener")
    return JsEndpoint(ffi.window_port(target, scope, target_origin))


def _listen(target: Any, event: str, listener: Any) -> None:
    if hasattr(target, "addEventListener"):
        target.addEventListener(event, listener)
    else:
        target.on(event, listener)


def _unlisten(target: Any, event: str, listener: Any) -> None:
    if hasattr(target, "removeEventListener"):
        target.removeEventListener(event, listener)
    else:
        target.off(event, listener)
