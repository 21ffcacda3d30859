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
# _ENDPOINT_JS); later new ones cross as strings.
_SHAPES = 256

# The class of the markers that stand in for ArrayBuffers while to_py converts a message: a message
# cannot carry an instance of it (structured cloning keeps no classes), so the name is unambiguous.
_KEPT = "ComlinkPyKeptBuffer"

# [addShape, addRoute, bind, useIdBuffer]: bind(port) -> [listen, postFlat, postCall, answer], what
# a JsEndpoint calls in JS, bound to its port (passing the port to each call costs about as much
# as a value); useIdBuffer(proxy) gives JS _ID_BUFFER, where listeners write the ids of requests.
#
# listen(deliver, domStyle) -> the JS message listener. It hands Python the origin, a kind and the
# data in one call, the cheapest way the data allows (JsEndpoint._deliver lists the kinds): a
# primitive, a plain object of primitives (most answers) and a Comlink request of primitives (most
# calls) go as arguments, which Pyodide converts on the way, with the key set or route as a number
# once it has been sent; other plain objects and arrays need a plain to_py, and anything else to_py
# with the decoder, which costs more even when it is never called. For those two it swaps every
# ArrayBuffer in the data for a marker while Python converts it: to_py would copy a buffer into
# Python's memory, a marker goes to the decoder. The data is restored before the listener returns,
# so other JS listeners never see a marker.
#
# postFlat(shape, value...) posts {key: value, ...} with the keys of a shape that addShape(key...)
# registered: an answer of an atom ({type, value, id}) in one FFI call that Pyodide converts on the
# way, without converting the keys again each time. postCall(id, route, argumentCount, ...values)
# posts a request {id, type, path, argumentList} whose arguments are RAW wire values of atoms, the
# shape of most calls, with the type and path of a route that addRoute(type, pathLength, ...path)
# registered; a length or count of -1 leaves that key out. to_js takes about four times as long.
# answer(value) posts {type: "RAW", value, id} with the id of the request being delivered, held in
# JS: a request answered while it is delivered (any call with a result at hand) never converts its
# id back from Python.
_ENDPOINT_JS = f"""(() => {{
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
  // The values of a plain object's keys if they are all primitives (most answers), else null.
  const flatValues = (data, keys) => {{
    const values = new Array(keys.length);
    for (let i = 0; i < keys.length; i++) {{
      const value = data[keys[i]];
      if (typeof value === "object" && value !== null) return null;
      values[i] = value;
    }}
    return values;
  }};
  // A Comlink request whose arguments are RAW wire values of primitives or ArrayBuffers (most
  // calls), as [id parts, route, rest]: the route is the type, the path length (-1 without a
  // path) and the segments; the rest is the argument count (-1 without argumentList), the values
  // and the indexes of the ArrayBuffer arguments (which reach Python as JsProxies, uncopied).
  // null for anything else, key order included.
  const CALL_KEYS = ["id", "type", "path", "argumentList"];
  // The most path segments, arguments and flat keys that cross as call arguments; a message with
  // more takes the to_py path (a call with hundreds of thousands of arguments overflows the stack).
  const CALL_PARTS = 64;
  const FLAT_KEYS = 16;
  // An id as [length] once its characters are written to the shared id buffer (a bytearray of
  // Python's, see useIdBuffer), else as [-1, id]: Pyodide converts a string to Python through a
  // Uint32Array of its own, which for JS Comlink's ids of about 50 characters costs more than
  // the rest of the call's arguments (and milliseconds while V8 collects after a large
  // ArrayBuffer arrived), where Python decodes the buffer's bytes in a fraction of that.
  let idProxy = null;
  let idBuffer = null;
  let idBytes = new Uint8Array(0);
  const useIdBuffer = (proxy) => {{
    idProxy = proxy;
  }};
  const idParts = (id) => {{
    if (idBytes.length === 0) {{
      // Not yet, or the WebAssembly memory grew, which detaches every view of it.
      idBuffer?.release();
      idBuffer = idProxy.getBuffer("u8");
      idBytes = idBuffer.data;
    }}
    const length = id.length;
    if (length > idBytes.length) return [-1, id];
    for (let i = 0; i < length; i++) {{
      const code = id.charCodeAt(i);
      if (code > 255) return [-1, id]; // not Latin-1: its bytes would not decode to it
      idBytes[i] = code;
    }}
    return [length];
  }};
  const isPlain = (value) =>
    typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
  const callParts = (data, keys) => {{
    if (keys.length < 2 || keys.length > 4 || keys.some((key, i) => key !== CALL_KEYS[i])) return null;
    const {{ id, type, path, argumentList }} = data;
    if (typeof id !== "string" || typeof type !== "string") return null;
    const route = [type, -1];
    if (keys.length > 2) {{
      if (!Array.isArray(path) || path.length > CALL_PARTS) return null;
      route[1] = path.length;
      for (let i = 0; i < path.length; i++) {{
        if (typeof path[i] !== "string") return null;
        route.push(path[i]);
      }}
    }}
    const rest = [-1];
    if (keys.length > 3) {{
      if (!Array.isArray(argumentList) || argumentList.length > CALL_PARTS) return null;
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
    return [idParts(id), route, rest];
  }};
  const flatShapes = [];
  const addShape = (...keys) => flatShapes.push(keys) - 1;
  const callRoutes = [];
  const addRoute = (type, pathLength, ...path) => callRoutes.push([type, pathLength < 0 ? null : path]) - 1;
  const bind = (port) => {{
    let current; // the id of the request being delivered, if any
    const listen = (deliver, domStyle) => {{
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
        const proto = Object.getPrototypeOf(data);
        if (proto === Object.prototype || proto === null) {{
          const keys = Object.keys(data);
          const call = keys[0] === "id" && proto !== null ? callParts(data, keys) : null;
          if (call !== null) {{
            const [id, route, rest] = call;
            const shape = numberOf(routes, route);
            const outer = current;
            current = data.id;
            try {{
              if (shape >= 0) return deliver(origin, 6, ...id, shape, ...rest);
              return deliver(origin, shape === NEW ? 7 : 8, ...id, ...route, ...rest);
            }} finally {{
              current = outer;
            }}
          }}
          // Few keys only: they cross as call arguments, and a call takes only so many.
          const values = keys.length <= FLAT_KEYS ? flatValues(data, keys) : null;
          if (values !== null) {{
            const shape = numberOf(keySets, keys);
            if (shape >= 0) return deliver(origin, 3, shape, ...values);
            return deliver(origin, shape === NEW ? 4 : 5, ...keys, ...values);
          }}
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
    // The messages are built by assignments: an answer built as an object literal took
    // milliseconds to post in Node while V8 was under the pressure of a large ArrayBuffer that had
    // just arrived (measured with 64 MiB transfers), built this way never.
    const postFlat = (shape, ...values) => {{
      const keys = flatShapes[shape];
      const message = {{}};
      for (let i = 0; i < keys.length; i++) message[keys[i]] = values[i];
      port.postMessage(message);
    }};
    const postCall = (id, route, argumentCount, ...values) => {{
      const [type, path] = callRoutes[route];
      const message = {{}};
      message.id = id;
      message.type = type;
      if (path !== null) message.path = path.slice();
      if (argumentCount >= 0) {{
        const argumentList = new Array(argumentCount);
        for (let i = 0; i < argumentCount; i++) {{
          const wire = {{}};
          wire.type = "RAW";
          wire.value = values[i];
          argumentList[i] = wire;
        }}
        message.argumentList = argumentList;
      }}
      port.postMessage(message);
    }};
    const answer = (value) => {{
      const message = {{}};
      message.type = "RAW";
      message.value = value;
      message.id = current;
      port.postMessage(message);
    }};
    return [listen, postFlat, postCall, answer];
  }};
  return [addShape, addRoute, bind, useIdBuffer];
}})()"""
# How many key sets postFlat and routes postCall learn; later new ones go through to_js.
_FLAT_SHAPES = 64
_ROUTES = 256

# Where JS listeners write the id of a request for Python to read (see idParts in _ENDPOINT_JS):
# one for all, as each is read before any other message can be delivered.
_ID_BUFFER = bytearray(256)

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
        self.add_shape, self.add_route, self.bind, use_id_buffer = run_js(_ENDPOINT_JS)
        self.id_buffer: Any = create_proxy(_ID_BUFFER)  # lives as long as the interpreter
        use_id_buffer(self.id_buffer)
        self.flat_shapes: dict[tuple[str, ...], int] = {}
        self.routes: dict[tuple[str | None, ...], int] = {}
        self.window_port: Any = run_js(_WINDOW_PORT_JS)

    def flat_shape(self, keys: tuple[str, ...]) -> int | None:
        """postFlat's number for keys it does not know yet (see flat_shapes); None for non-string
        keys or past _FLAT_SHAPES."""
        if len(self.flat_shapes) < _FLAT_SHAPES and _STRINGS.issuperset(map(type, keys)):
            shape: int = self.add_shape(*keys)
            self.flat_shapes[keys] = shape
            return shape
        return None

    def route(self, key: tuple[str | None, ...], kind: str, path: list[str] | None) -> int | None:
        """postCall's number for a route it does not know yet, ``key`` in routes: the type
        ``kind`` and ``path`` (None for a request without one); None past _ROUTES."""
        if len(self.routes) < _ROUTES:
            route: int = self.add_route(kind, -1) if path is None else self.add_route(kind, len(path), *path)
            self.routes[key] = route
            return route
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
    if name == _KEPT:
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
        return _ffi().js.Date.new(value.timestamp() * 1000)
    raise DataCloneError(
        f"{type(value).__qualname__} could not be cloned; pass it with proxy() to send a reference"
    )


# The key order of an answer, and of the requests (as wire.request builds them) postCall rebuilds.
_ANSWER_KEYS = ("type", "value", "id")
_APPLY_KEYS = ("id", "type", "path", "argumentList")
_GET_KEYS = ("id", "type", "path")
_BARE_KEYS = ("id", "type")
_RAW_KEYS = ("type", "value")
_NOBODY = object()  # JsEndpoint._answering while no request is delivered


def _post_flat(ffi: _Ffi, post_flat: Any, message: dict[str, Any]) -> bool:
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
    post_flat(shape, first, second, third)
    return True


def _post_call(ffi: _Ffi, post_call: Any, message: dict[str, Any]) -> bool:
    """Post a request of atoms only (ids and types are strings, every argument a RAW wire value of
    an atom) through postCall; False, having posted nothing, for any other message or a new route
    once postCall knows _ROUTES."""
    keys = tuple(message)
    if keys == _APPLY_KEYS:
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
    route = ffi.routes.get(key)
    if route is None:
        route = ffi.route(key, kind, path)
        if route is None:
            return False
    if args is None:
        post_call(msg_id, route, -1)
    elif not args:  # most calls: positional, as a call with *args costs more
        post_call(msg_id, route, 0)
    else:
        values = []
        for arg in args:
            if type(arg) is not dict or tuple(arg) != _RAW_KEYS or arg["type"] != "RAW":
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


# The kinds of message the JS listener delivers (see JsEndpoint._deliver).
_PRIMITIVE, _PLAIN, _DECODE, _FLAT, _FLAT_NEW, _FLAT_UNNUMBERED, _CALL, _CALL_NEW, _CALL_UNNUMBERED = range(9)


def _call_message(parts: tuple[Any, ...], shapes: list[Any], kind: int) -> dict[str, Any]:
    """The request that the JS listener sent as callParts: the id's length in _ID_BUFFER (or -1
    and the id), then the route's number in ``shapes`` (_CALL) or the route itself (type, path
    length, segments; a _CALL_NEW route joins ``shapes``), then the arguments. A route is kept as
    its type and path (None without one), so that a numbered one costs a copy of the path."""
    id_length = parts[0]
    if id_length >= 0:
        msg_id = _ID_BUFFER[:id_length].decode("latin-1")
        start = 1
    else:
        msg_id = parts[1]
        start = 2
    if kind == _CALL:
        type_, path = shapes[parts[start]]
        start += 1
    else:
        type_, path_length = parts[start], parts[start + 1]
        path = list(parts[start + 2 : start + 2 + path_length]) if path_length >= 0 else None
        start += 2 + max(path_length, 0)
        if kind == _CALL_NEW:
            shapes.append((type_, path))
    message = {"id": msg_id, "type": type_}
    if path is not None:
        message["path"] = path.copy()
    argument_count = parts[start]
    if argument_count > 0:
        start += 1
        values = list(parts[start : start + argument_count])
        for index in parts[start + argument_count :]:  # the arguments that are ArrayBuffers
            values[index] = JsArrayBuffer(values[index])
        message["argumentList"] = [{"type": "RAW", "value": value} for value in values]
    elif argument_count == 0:
        message["argumentList"] = []
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
        "_answering",
        "_close_callbacks",
        "_js_answer",
        "_js_call",
        "_js_close",
        "_js_flat",
        "_js_listen",
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
        # bind(port)'s functions (see _ENDPOINT_JS), made on first use: many endpoints (every port
        # that arrives in a message) are never used.
        self._js_listen: Any = None
        self._js_flat: Any = None
        self._js_call: Any = None
        self._js_answer: Any = None
        self._answering: Any = _NOBODY  # the id of the request being delivered, if any
        self._post: Any = None  # port.postMessage, looked up once: each FFI lookup costs
        self.closed = False
        self._listeners: tuple[Listener, ...] = ()  # replaced, never changed: delivery needs no copy
        self._shapes: list[Any] = []  # the key sets and routes the JS listener numbered
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
        if not transfer and type(message) is dict:
            if message.get("id") is self._answering and tuple(message) == _ANSWER_KEYS:
                value = message["value"]
                if type(value) in WIRE_ATOMS and message["type"] == "RAW":
                    self._js_answer(value)  # the id is the one JS holds
                    return
            ffi = _FFI or _ffi()
            if self._js_flat is None:
                self._bind()
            if _post_flat(ffi, self._js_flat, message) or _post_call(ffi, self._js_call, message):
                return
        ffi = _FFI or _ffi()
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
            if self._js_listen is None:
                self._bind()
            self._py_listener = ffi.create_proxy(self._deliver)
            self._js_listener = self._js_listen(self._py_listener, dom_style)
            _listen(self.port, "message", self._js_listener)

    def _bind(self) -> None:
        self._js_listen, self._js_flat, self._js_call, self._js_answer = _ffi().bind(self.port)

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
            # kind (see _ENDPOINT_JS), all converted by Pyodide as arguments unless said: a request
            # as callParts with its route's number (_CALL) or with the route, numbered next
            # (_CALL_NEW) or not; a flat object as its key set's number then its values (_FLAT), or
            # as its keys then values, the key set numbered next (_FLAT_NEW) or not; a primitive;
            # plain objects and arrays only (to_py), or anything else (to_py with the decoder).
            if kind >= _CALL:
                data = _call_message(parts, self._shapes, kind)
            elif kind == _FLAT:
                data = dict(zip(self._shapes[parts[0]], parts[1:], strict=True))
            elif kind in (_FLAT_NEW, _FLAT_UNNUMBERED):
                half = len(parts) // 2
                keys = parts[:half]
                if kind == _FLAT_NEW:
                    self._shapes.append(keys)
                data = dict(zip(keys, parts[half:], strict=True))
            elif kind == _PRIMITIVE:
                data = parts[0]
            elif kind == _PLAIN:
                data = parts[0].to_py()
            else:
                data = parts[0].to_py(default_converter=_ffi().decoder)
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
