"""Pyodide adapter: any JS object that posts messages (a worker's global scope, a MessagePort, a
Worker, Comlink's ``nodeEndpoint(...)``, a window through ``window_endpoint``) seen as an ``Endpoint``.

A message costs one ``to_py`` in and one ``to_js`` out, or less: the commonest messages (answers of
atoms, requests whose arguments are atoms) cross as the arguments of one call and are built in JS or
Python from them, to exactly what ``to_js`` or ``to_py`` would make. The converters are proxies made
once per interpreter, and each ``JsEndpoint`` makes one PyProxy for its JS listener and destroys it
when the last Python listener goes, so calls create no PyProxies and released proxies leave none
behind. ArrayBuffers are not copied into Python's memory on the way in: they arrive as
``JsArrayBuffer``. The module imports in CPython too: Pyodide is only touched on first use.
"""

from __future__ import annotations

import ast
import datetime as _dt
import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from .clone import DataCloneError
from .codec import WIRE_ATOMS, to_wire
from .endpoint import Listener, MessageEvent, call_each
from .handlers import Thrown

if TYPE_CHECKING:
    from .aio import Remote

__all__ = [
    "JsArrayBuffer",
    "JsEndpoint",
    "default_endpoint",
    "host",
    "run_main",
    "set_default_endpoint",
    "set_host_endpoint",
    "window_endpoint",
]

log = logging.getLogger("comlink_py")

# The JS event that tells a peer went away, by constructor name (Node only: browsers have none).
_CLOSE_EVENTS = {"MessagePort": "close", "Worker": "exit"}

# How many key sets of flat objects and routes of requests a JsEndpoint's listener numbers (see
# _LISTENER_JS); later new ones cross as strings.
_SHAPES = 256

# The class of the markers that stand in for ArrayBuffers while to_py converts a message: a message
# cannot carry an instance of it (structured cloning keeps no classes), so the name is unambiguous.
_KEPT = "ComlinkPyKeptBuffer"

# makeListener(deliver, domStyle) -> the JS message listener of a JsEndpoint. It hands Python the
# origin, a kind and the data in one call, the cheapest way the data allows (JsEndpoint._deliver
# lists the kinds): a primitive, a plain object of primitives (most answers) and a Comlink request
# of primitives (most calls) go as arguments, which Pyodide converts on the way, with the key set
# or route as a number once it has been sent; other plain objects and arrays need a plain to_py,
# and anything else to_py with the decoder, which costs more even when it is never called. For
# those two it swaps every ArrayBuffer in the data for a marker while Python converts it: to_py
# would copy a buffer into Python's memory, a marker goes to the decoder. The data is restored
# before the listener returns, so other JS listeners never see a marker.
_LISTENER_JS = f"""(() => {{
  class {_KEPT} {{ constructor(buffer) {{ this.buffer = buffer; }} }}
  const put = (container, key, value) =>
    container instanceof Map ? container.set(key, value) : (container[key] = value);
  // walk.plain ends false when anything but plain objects, arrays and primitives was met.
  const visit = (container, key, value, walk) => {{
    if (typeof value !== "object" || value === null) return;
    if (value instanceof ArrayBuffer) {{
      walk.plain = false;
      walk.undo.push(container, key, value);
      put(container, key, new {_KEPT}(value));
    }} else mark(value, walk);
  }};
  const mark = (value, walk) => {{
    if (walk.seen.has(value)) return;
    walk.seen.add(value);
    if (Array.isArray(value)) {{
      for (let i = 0; i < value.length; i++) visit(value, i, value[i], walk);
    }} else if (value instanceof Map) {{
      walk.plain = false;
      for (const [key, item] of value) visit(value, key, item, walk);
    }} else {{
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {{
        walk.plain = false;
        return;
      }}
      for (const key of Object.keys(value)) visit(value, key, value[key], walk);
    }}
  }};
  // The keys and values of a plain object whose values are all primitives (most answers); null
  // for anything else.
  const flatEntries = (data) => {{
    const proto = Object.getPrototypeOf(data);
    if (proto !== Object.prototype && proto !== null) return null;
    const keys = Object.keys(data);
    const values = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {{
      const value = data[keys[i]];
      if (typeof value === "object" && value !== null) return null;
      values[i] = value;
    }}
    return [keys, values];
  }};
  // A Comlink request whose arguments are RAW wire values of primitives or ArrayBuffers (most
  // calls), as [id pieces, route, rest]: the route is the type, the path length (-1 without a
  // path) and the segments; the rest is the argument count (-1 without argumentList), the values
  // and the indexes of the ArrayBuffer arguments (which reach Python as JsProxies, uncopied).
  // null for anything else, key order included.
  const CALL_KEYS = ["id", "type", "path", "argumentList"];
  // An id as [count, ...pieces] of at most 16 characters each (JS Comlink's ids have about 50).
  // Pyodide converts a longer string to Python through a buffer of its own, and while a large
  // ArrayBuffer has just arrived, V8 answers each such allocation with a step of marking the
  // heap: a call carrying 64 MiB took milliseconds for its id alone. Up to 16 characters, the
  // buffer is made on V8's heap instead.
  const idPieces = (id) => {{
    if (id.length <= 16 || id.length > 256) return [1, id];
    const pieces = [0];
    for (let start = 0; start < id.length; ) {{
      let end = Math.min(start + 16, id.length);
      const last = id.charCodeAt(end - 1);
      if (end < id.length && last >= 0xd800 && last <= 0xdbff) end -= 1; // a surrogate pair stays whole
      pieces.push(id.slice(start, end));
      start = end;
    }}
    pieces[0] = pieces.length - 1;
    return pieces;
  }};
  const isPlain = (value) =>
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
  const callParts = (data) => {{
    const keys = Object.keys(data);
    if (keys.length < 2 || keys.length > 4 || keys.some((key, i) => key !== CALL_KEYS[i])) return null;
    const {{ id, type, path, argumentList }} = data;
    if (typeof id !== "string" || typeof type !== "string") return null;
    const route = [type, -1];
    if (keys.length > 2) {{
      if (!Array.isArray(path)) return null;
      route[1] = path.length;
      for (let i = 0; i < path.length; i++) {{
        if (typeof path[i] !== "string") return null;
        route.push(path[i]);
      }}
    }}
    const rest = [-1];
    if (keys.length > 3) {{
      if (!Array.isArray(argumentList)) return null;
      const buffers = [];
      for (let i = 0; i < argumentList.length; i++) {{
        const wire = argumentList[i];
        if (!isPlain(wire)) return null;
        const wireKeys = Object.keys(wire);
        if (wireKeys.length !== 2 || wireKeys[0] !== "type" || wireKeys[1] !== "value") return null;
        if (wire.type !== "RAW") return null;
        const value = wire.value;
        if (value instanceof ArrayBuffer) buffers.push(i);
        else if (typeof value === "object" && value !== null) return null;
        rest.push(value);
      }}
      rest[0] = argumentList.length;
      rest.push(...buffers);
    }}
    return [idPieces(id), route, rest];
  }};
  return (deliver, domStyle) => {{
    // The key sets of flat objects and the routes (type and path) of requests this listener has
    // sent, as tries of Maps whose nodes hold their number: after its first time a key set or
    // route crosses as that number (JsEndpoint._shapes numbers them alike), as converting each
    // string to Python costs about as much as a value.
    const keySets = new Map();
    const routes = new Map();
    let shapeCount = 0;
    // The number of keys (a key set or route) in shapes: >= 0 if Python knows it, NEW if it is
    // numbered now (Python numbers it next, from the strings), NONE once the table is full.
    const NEW = -1;
    const NONE = -2;
    const numberOf = (shapes, keys) => {{
      let node = shapes;
      for (let i = 0; i < keys.length; i++) {{
        let next = node.get(keys[i]);
        if (next === undefined) {{
          if (shapeCount >= {_SHAPES}) return NONE;
          next = new Map();
          node.set(keys[i], next);
        }}
        node = next;
      }}
      if (node.shape !== undefined) return node.shape;
      if (shapeCount >= {_SHAPES}) return NONE;
      node.shape = shapeCount++;
      return NEW;
    }};
    return (arg) => {{
      const data = domStyle ? arg.data : arg;
      const origin = domStyle && arg.origin ? arg.origin : undefined; // Node's ports say ""
      if (typeof data !== "object" || data === null) return deliver(origin, 0, data);
      const flat = flatEntries(data);
      if (flat !== null) {{
        const [keys, values] = flat;
        const shape = numberOf(keySets, keys);
        if (shape >= 0) return deliver(origin, 3, shape, ...values);
        return deliver(origin, shape === NEW ? 5 : 6, ...keys, ...values);
      }}
      const call = isPlain(data) ? callParts(data) : null;
      if (call !== null) {{
        const [id, route, rest] = call;
        const shape = numberOf(routes, route);
        if (shape >= 0) return deliver(origin, 4, ...id, shape, ...rest);
        return deliver(origin, shape === NEW ? 7 : 8, ...id, ...route, ...rest);
      }}
      const walk = {{ seen: new Set(), undo: [], plain: true }};
      try {{
        mark(data, walk);
      }} catch {{
        // Too deep to walk (a RangeError): what was swapped stays swapped; to_py says what is wrong.
        walk.plain = false;
      }}
      const undo = walk.undo;
      try {{
        deliver(origin, walk.plain ? 1 : 2, data);
      }} finally {{
        for (let i = 0; i < undo.length; i += 3) put(undo[i], undo[i + 1], undo[i + 2]);
      }}
    }};
  }};
}})()"""

# postFlat(port, shape, value...) posts {key: value, ...} with the keys of a shape that addShape(key...)
# registered. For an answer of an atom ({type, value, id}) this is one FFI call that Pyodide converts
# on the way, and the keys, the same for every answer, are not converted again each time.
_POST_FLAT_JS = """(() => {
  const shapes = [];
  const addShape = (...keys) => shapes.push(keys) - 1;
  const postFlat = (port, shape, ...values) => {
    const keys = shapes[shape];
    const message = {};
    for (let i = 0; i < keys.length; i++) message[keys[i]] = values[i];
    port.postMessage(message);
  };
  return [addShape, postFlat];
})()"""
# How many key sets postFlat learns; messages of any other flat shape go through to_js.
_FLAT_SHAPES = 64

# postCall(port, id, type, pathLength, argumentCount, ...pathThenValues) posts a Comlink request
# {id, type, path, argumentList} whose arguments are RAW wire values of atoms, the shape of most
# calls; a length of -1 leaves that key out. One FFI call, where to_js takes about four times as long.
_POST_CALL_JS = """(port, id, type, pathLength, argumentCount, ...rest) => {
  const message = { id, type };
  if (pathLength >= 0) message.path = rest.slice(0, pathLength);
  if (argumentCount >= 0) {
    const argumentList = new Array(argumentCount);
    for (let i = 0; i < argumentCount; i++) argumentList[i] = { type: "RAW", value: rest[pathLength + i] };
    message.argumentList = argumentList;
  }
  port.postMessage(message);
}"""

# windowPort(target, context, targetOrigin) -> what a JsEndpoint needs of a window: posting goes to
# the target window with the origin it must have, and listening happens on the context (the window
# that receives its answers). A named class, so that the endpoint's repr says what it is.
_WINDOW_PORT_JS = """(() => {
  class WindowPort {
    constructor(target, context, targetOrigin) {
      this.target = target;
      this.context = context;
      this.targetOrigin = targetOrigin;
    }
    postMessage(message, transfer) { this.target.postMessage(message, this.targetOrigin, transfer); }
    addEventListener(type, listener) { this.context.addEventListener(type, listener); }
    removeEventListener(type, listener) { this.context.removeEventListener(type, listener); }
  }
  return (target, context, targetOrigin) => new WindowPort(target, context, targetOrigin);
})()"""

# postFlat and postCall carry WIRE_ATOMS as arguments: Pyodide converts those as to_js would.
_STRINGS = frozenset({str})


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
        self.listener: Any = run_js(_LISTENER_JS)
        self.add_shape, self.post_flat = run_js(_POST_FLAT_JS)
        self.flat_shapes: dict[tuple[str, ...], int] = {}
        self.post_call: Any = run_js(_POST_CALL_JS)
        self.window_port: Any = run_js(_WINDOW_PORT_JS)

    def flat_shape(self, keys: tuple[str, ...]) -> int | None:
        """postFlat's number for keys it does not know yet (see flat_shapes); None for non-string
        keys or past _FLAT_SHAPES."""
        if len(self.flat_shapes) < _FLAT_SHAPES and _STRINGS.issuperset(map(type, keys)):
            shape: int = self.add_shape(*keys)
            self.flat_shapes[keys] = shape
            return shape
        return None

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


def _ffi() -> _Ffi:
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


def _decode_default(value: Any, convert: Any, cache: Any) -> Any:
    """What Pyodide cannot turn into data itself: ports become endpoints, dates datetimes; any
    other JS object stays a JsProxy."""
    name = _constructor_name(value)
    if name == _KEPT:
        return JsArrayBuffer(value.buffer)
    if name == "MessagePort":
        return JsEndpoint(value)
    if name == "Date":
        ms = value.getTime()
        if ms == ms:  # an invalid Date (NaN) stays a JsProxy
            return _dt.datetime.fromtimestamp(ms / 1000, _dt.UTC)
    return value


def _encode_default(value: Any, convert: Any, cache: Any) -> Any:
    if type(value) is JsEndpoint:
        return value.port
    if type(value) is JsArrayBuffer:
        return value.buffer
    if isinstance(value, _dt.datetime):
        return _ffi().js.Date.new(value.timestamp() * 1000)
    raise DataCloneError(
        f"{type(value).__qualname__} could not be cloned; pass it with proxy() to send a reference"
    )


# The key orders of a request, as wire.request builds them, that postCall rebuilds.
_CALL_KEYS = frozenset({("id", "type"), ("id", "type", "path"), ("id", "type", "path", "argumentList")})
_RAW_KEYS = ("type", "value")


def _post_flat(ffi: _Ffi, port: Any, message: dict[str, Any]) -> bool:
    """Post a message of three atoms, the shape of every answer ({type, value, id}), through
    postFlat; False, having posted nothing, for any other message or once postFlat knows
    _FLAT_SHAPES key sets. The values are spelled out: map() and a call with *values cost more."""
    if len(message) != 3:
        return False
    first, second, third = message.values()
    if not (type(first) in WIRE_ATOMS and type(second) in WIRE_ATOMS and type(third) in WIRE_ATOMS):
        return False
    keys = tuple(message)
    shape = ffi.flat_shapes.get(keys)
    if shape is None:
        shape = ffi.flat_shape(keys)
        if shape is None:
            return False
    ffi.post_flat(port, shape, first, second, third)
    return True


def _post_call(ffi: _Ffi, port: Any, message: dict[str, Any]) -> bool:
    """Post a request of atoms only (ids and types are strings, every argument a RAW wire value of
    an atom) through postCall; False, having posted nothing, for any other message."""
    keys = tuple(message)
    if keys not in _CALL_KEYS:
        return False
    msg_id, kind = message["id"], message["type"]
    if type(msg_id) is not str or type(kind) is not str:
        return False
    if len(keys) == 2:
        ffi.post_call(port, msg_id, kind, -1, -1)
        return True
    path = message["path"]
    if type(path) is not list:
        return False
    for segment in path:  # a loop: map() costs more for the usual one or two segments
        if type(segment) is not str:
            return False
    if len(keys) == 3:
        ffi.post_call(port, msg_id, kind, len(path), -1, *path)
        return True
    args = message["argumentList"]
    if type(args) is not list:
        return False
    values = []
    for arg in args:
        if type(arg) is not dict or tuple(arg) != _RAW_KEYS or arg["type"] != "RAW":
            return False
        value = arg["value"]
        if type(value) not in WIRE_ATOMS:
            return False
        values.append(value)
    if len(path) == 1 and len(values) <= 1:  # most calls: positional, as a call with *args costs more
        if values:
            ffi.post_call(port, msg_id, kind, 1, 1, path[0], values[0])
        else:
            ffi.post_call(port, msg_id, kind, 1, 0, path[0])
    else:
        ffi.post_call(port, msg_id, kind, len(path), len(values), *path, *values)
    return True


def _call_message(parts: tuple[Any, ...], shapes: list[tuple[Any, ...]], numbered: int) -> dict[str, Any]:
    """The request that the JS listener sent as callParts: the id in pieces, then the route (type,
    path length, segments) or, with ``numbered`` -1, its number in ``shapes``, then the arguments.
    With ``numbered`` 1 the route is new and joins ``shapes``."""
    count = parts[0]
    msg_id = parts[1] if count == 1 else "".join(parts[1 : 1 + count])
    start = 1 + count
    if numbered < 0:
        route = shapes[parts[start]]
        start += 1
    else:
        route = parts[start : start + 2 + max(parts[start + 1], 0)]
        start += len(route)
        if numbered:
            shapes.append(route)
    message = {"id": msg_id, "type": route[0]}
    if route[1] >= 0:
        message["path"] = list(route[2:])
    argument_count = parts[start]
    if argument_count >= 0:
        start += 1
        values = list(parts[start : start + argument_count])
        for index in parts[start + argument_count :]:  # the arguments that are ArrayBuffers
            values[index] = JsArrayBuffer(values[index])
        message["argumentList"] = [{"type": "RAW", "value": value} for value in values]
    return message


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


class JsEndpoint:
    """An ``Endpoint`` over a JS object with ``postMessage`` and either ``addEventListener`` (DOM
    style: listeners get events) or ``on``/``off`` (Node's EventEmitter style: listeners get data)."""

    __slots__ = (
        "__weakref__",
        "_close_callbacks",
        "_js_close",
        "_js_listener",
        "_listeners",
        "_post",
        "_py_listener",
        "_shapes",
        "closed",
        "port",
    )

    def __init__(self, port: Any) -> None:
        if isinstance(port, JsEndpoint):
            port = port.port  # re-wrapping shares the JS object, not the listeners
        if not (hasattr(port, "postMessage") and (hasattr(port, "addEventListener") or hasattr(port, "on"))):
            raise TypeError(f"{port!r} is not a JS endpoint: it needs postMessage and addEventListener")
        self.port: Any = port
        self._post: Any = None  # port.postMessage, looked up once: each FFI lookup costs
        self.closed = False
        self._listeners: tuple[Listener, ...] = ()  # replaced, never changed: delivery needs no copy
        self._shapes: list[tuple[Any, ...]] = []  # the key sets and routes the JS listener numbered
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

    # -- Endpoint ------------------------------------------------------------------------------

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        if self.closed:
            raise ConnectionError("cannot post on a closed endpoint")
        ffi = _FFI or _ffi()
        if (
            not transfer
            and type(message) is dict
            and (_post_flat(ffi, self.port, message) or _post_call(ffi, self.port, message))
        ):
            return
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

    def add_listener(self, listener: Listener) -> None:
        self._listeners += (listener,)
        if self._js_listener is None:
            dom_style = hasattr(self.port, "addEventListener")
            ffi = _ffi()
            self._shapes = []  # a new JS listener numbers key sets anew
            self._py_listener = ffi.create_proxy(self._deliver)
            self._js_listener = ffi.listener(self._py_listener, dom_style)
            _listen(self.port, "message", self._js_listener)

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
        channel = _ffi().js.MessageChannel.new()
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
            self._js_close = _ffi().create_proxy(self._on_close)
            _listen(self.port, event, self._js_close)

    # -- JS callbacks --------------------------------------------------------------------------

    def _deliver(self, origin: Any, kind: int, *parts: Any) -> None:
        # Exceptions must not reach JS: an error thrown in a Node 'message' handler kills the worker.
        try:
            # kind (see _LISTENER_JS): a flat object as its key set's number then its values (3),
            # or as its keys then values, the key set numbered next (5) or not (6); a request as
            # callParts with its route's number (4), or with the route, numbered next (7) or not
            # (8); 0 a primitive: all converted by Pyodide as arguments. 1 plain objects and
            # arrays only; 2 anything else, for the decoder.
            if kind == 3:
                data = dict(zip(self._shapes[parts[0]], parts[1:], strict=True))
            elif kind == 4:
                data = _call_message(parts, self._shapes, -1)
            elif kind == 5 or kind == 6:
                half = len(parts) // 2
                keys = parts[:half]
                if kind == 5:
                    self._shapes.append(keys)
                data = dict(zip(keys, parts[half:], strict=True))
            elif kind == 7 or kind == 8:
                data = _call_message(parts, self._shapes, 1 if kind == 7 else 0)
            elif kind == 0:
                data = parts[0]
            elif kind == 1:
                data = parts[0].to_py()
            else:
                data = parts[0].to_py(default_converter=_ffi().decoder)
            event = MessageEvent(data, origin if type(origin) is str else None)
        except Exception:
            log.exception("could not decode a message from %r", self)
            return
        call_each(self._listeners, event)

    def _on_close(self, *_: Any) -> None:
        self.closed = True
        self._listeners = ()
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
            self._py_listener.destroy()
            self._py_listener = None


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
    ffi = _ffi()
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


# ----------------------------------------------------------------------------------------------
# the worker's own endpoints, set by the JS shim that started it

_default: JsEndpoint | None = None
_host_endpoint: JsEndpoint | None = None
_host: Remote[Any] | None = None


def set_default_endpoint(endpoint: Any) -> None:
    """Make ``endpoint`` (a JS object or ``JsEndpoint``) what ``expose(obj)`` serves by default."""
    global _default
    _default = JsEndpoint(endpoint)


def default_endpoint() -> JsEndpoint:
    """What ``expose(obj)`` without an endpoint serves: the one the shim set, else the worker's
    global scope (a browser worker's ``self``)."""
    global _default
    if _default is None:
        scope = _ffi().js
        if not (hasattr(scope, "postMessage") and hasattr(scope, "addEventListener")):
            raise RuntimeError(
                "no default endpoint: this is not a worker's global scope; pass an endpoint to "
                "expose() or call comlink_py.js.set_default_endpoint()"
            )
        _default = JsEndpoint(scope)
    return _default


def set_host_endpoint(endpoint: Any) -> None:
    """Set the endpoint on which the thread that started this worker exposes its object."""
    global _host_endpoint, _host
    _host_endpoint, _host = JsEndpoint(endpoint), None


def host() -> Remote[Any]:
    """A ``Remote`` for the object the starting thread exposed (the shim's ``host`` option)."""
    global _host
    if _host is None:
        if _host_endpoint is None:
            raise RuntimeError("this worker was started without a host object (the shim's 'host' option)")
        from .aio import wrap

        _host = wrap(_host_endpoint)
    return _host


async def run_main(source: str, filename: str) -> Any:
    """Run the worker's main code (top-level ``await`` allowed) as ``__main__``; it must call
    ``expose`` on the default endpoint before it finishes.

    Returns ``None`` on success, else the ``throw`` wire value (a JS object) carrying the error,
    which the shim sends in answer to every call, so callers see the Python error, never a hang.
    """
    namespace = {"__name__": "__main__", "__file__": filename}
    try:
        code = compile(source, filename, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
        result = eval(code, namespace)
        if result is not None:
            await result
        if not default_endpoint().listening:
            raise RuntimeError(f"{filename} finished without calling comlink_py.expose()")
    except BaseException as error:
        wire_value, _ = to_wire(Thrown(error), default_endpoint())
        return _ffi().encode(wire_value)
    return None
