"""Pyodide: JS endpoints as ``Endpoint`` objects (``comlink_py.pyodide``) and a worker's start-up API.

The JS shim that starts a worker sets the worker's own endpoints here and runs its main code with
``run_main``. This layer sits above the asyncio one: it gives ``expose`` its default endpoint.
"""

from __future__ import annotations

import ast
import signal
import sys
from types import FrameType
from typing import Any, Final

from . import abort, aio
from .aio import Remote, wrap
from .protocol.codec import to_wire
from .protocol.handlers import Thrown
from .pyodide.endpoint import JsArrayBuffer, JsEndpoint, load_ffi, window_endpoint

__all__ = [
    "JsArrayBuffer",
    "JsEndpoint",
    "default_endpoint",
    "host",
    "run_main",
    "set_default_endpoint",
    "set_host_endpoint",
    "set_interrupt_buffer",
    "window_endpoint",
]

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
        if sys.platform != "emscripten":
            raise RuntimeError(aio.NO_ENDPOINT)
        scope = load_ffi().js
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
        _host = wrap(_host_endpoint)
    return _host


#: The byte of the interrupt buffer where Python notes that it raised the shim's interrupt (see
#: ``interrupter`` in js_shim/boot.mjs, which writes 2 at index 0 until it reads 1 here).
INTERRUPT_RAISED: Final = 1


def set_interrupt_buffer(buffer: Any) -> None:
    """Let the shim's ``interrupt()`` and an ``AbortSignal`` stop the synchronous code of a call:
    the shim calls this with the buffer it gave ``pyodide.setInterruptBuffer`` (a ``Uint8Array``
    over a ``SharedArrayBuffer``). ``interrupt()`` raises ``KeyboardInterrupt`` in the code of the
    call running now, and only there (``keyboard_interrupt``). The ``Cancellation`` of a call that
    arrives on the default endpoint (the starter's call port) hands the caller this buffer and a
    flag of its own, and an abort raises ``AbortError`` in the call that received the signal, if
    it runs. Calls from elsewhere get no buffer: with it a peer could interrupt any call."""

    def new_flag() -> Any:
        js = load_ffi().js  # on first use, as everywhere: start-up makes no proxies
        return js.Int32Array.new(js.SharedArrayBuffer.new(4))

    def trusted(endpoint: Any) -> bool:  # the starter's call port; others get no buffer
        return bool(getattr(endpoint, "identity", None) == default_endpoint().identity)

    def keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
        """SIGINT, the shim's ``interrupt()``: raised only in a call's own code (``aio.interrupting``),
        and said so in the buffer's second byte; anywhere else the shim writes it again soon."""
        if aio.interrupting(frame):
            if buffer.length > INTERRUPT_RAISED:
                buffer[INTERRUPT_RAISED] = 1
            raise KeyboardInterrupt

    abort.arm(buffer, new_flag, trusted)
    signal.signal(abort.ABORT_SIGNUM, aio.abort_interrupt)
    signal.signal(signal.SIGINT, keyboard_interrupt)


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
        return load_ffi().encode(wire_value)
    return None


aio.default_endpoint = default_endpoint  # what expose(obj) serves when given no endpoint
