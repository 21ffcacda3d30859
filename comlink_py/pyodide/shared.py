"""Pyodide endpoints a worker can block on, over a SharedArrayBuffer (the JS shim's sync channel).

A worker blocked in ``Atomics.wait`` receives no messages, so the shim gives it a channel whose
answers arrive in shared memory (``js_shim/sync_worker.mjs``, a ``SharedLink``), served on the
host by the real ``Comlink.expose`` (``js_shim/sync_host.mjs``). Each of its sub-channels is a JS
port to Python, and a ``SharedEndpoint`` is a ``JsEndpoint`` on one that can also wait: it pumps
the shared memory until the answer is there, and delivers what else arrives first (a callback's
request, say) on the way. Ports it opens for ``proxy()`` callbacks are sub-channels too, so the
host can call them while the worker waits. ``comlink_py.shared`` wraps them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..protocol.endpoint import UNANSWERED, Endpoint, Listener
from .endpoint import JsEndpoint

__all__ = ["SharedEndpoint", "Unavailable", "install", "link_endpoint", "open_link"]


_ANSWERED = 2  # what SharedLink.awaitAnswer returns when it kept a plain answer's value


class SharedEndpoint(JsEndpoint):
    """A ``JsEndpoint`` on a sub-channel of a ``SharedLink``; a ``WaitingEndpoint``."""

    __slots__ = ("_await", "_call", "_link", "_sub", "_take")

    def __init__(self, port: Any, link: Any) -> None:
        super().__init__(port)
        self._link = link
        self._sub: int = self.port.id  # the sub-channel's number, read once
        self._await = link.awaitAnswer  # bound once: a method looked up per call cost 0.6 µs more (Node)
        self._call: Any = None  # link.call bound to this port's postCall, made on first use
        self._take = link.take

    def wait(self, timeout: float) -> None:
        self._link.pump(timeout * 1000)  # a closed link has told every port's close listeners

    def wait_answer(self, msg_id: str, timeout: float) -> Any:
        """``wait``, but a plain answer to ``msg_id`` comes back as its value, not as a message."""
        if self._await(self._sub, msg_id, timeout * 1000) == _ANSWERED:
            return self._link.answer
        return UNANSWERED

    def call_atoms(self, kind: str, path: Sequence[str], args: Sequence[Any], timeout: float) -> Any:
        """Post a GET, APPLY or CONSTRUCT of atoms with an id of JS's and wait for its plain
        answer, in one call into JS (``SharedLink.call``); ``UNANSWERED`` if none came, what came
        instead then held for the next ``wait``. Python then pends the call under ``called_id``.
        Python run between a request and its answer costs a round trip more than its CPU time
        measured alone (its code and data are found cold after the thread switch): a blocking no-op
        call, one core, same run, general path against this one: Chromium 50-64 -> 30-43 µs, Node
        37-42 -> 26 µs."""
        if self.closed:
            raise ConnectionError("cannot post on a closed endpoint")
        ms = timeout * 1000
        parts = self._call_parts(kind, path, args)
        if parts is None:  # switched off, or no route number: the request as a dict
            msg_id = self._link.newId()
            self.post_call(msg_id, kind, path, args)
            value = self._take(self._sub, msg_id, ms)
        else:
            call = self._call
            if call is None:
                call = self._call = self._link.call.bind(self._link, self._js_call, self._sub)
            value = call(ms, *parts)
        return value if type(value) in _PLAIN else UNANSWERED

    @property
    def called_id(self) -> str:
        """The id of the request ``call_atoms`` posted last."""
        return str(self._link.callId)

    def adopt(self, endpoint: Endpoint) -> SharedEndpoint:
        """A port that arrived on this link (a returned proxy) is a sub-channel of it too."""
        if not isinstance(endpoint, JsEndpoint) or getattr(endpoint.port, "link", None) != self._link:
            raise TypeError(f"{endpoint!r} did not arrive over this synchronous channel")
        return SharedEndpoint(endpoint.port, self._link)

    def new_channel(self) -> tuple[JsEndpoint, JsEndpoint]:
        near, far = self._link.open()
        return SharedEndpoint(near, self._link), JsEndpoint(far)


class Unavailable:
    """The endpoint where the host could give no channel (no SharedArrayBuffer): the first call
    raises the host's reason."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        raise RuntimeError(self.reason)

    def add_listener(self, listener: Listener) -> None:
        pass

    def remove_listener(self, listener: Listener) -> None:
        pass

    def add_close_listener(self, callback: Callable[[], None]) -> None:
        pass

    def wait(self, timeout: float) -> None:
        pass

    def adopt(self, endpoint: Endpoint) -> Any:
        raise RuntimeError(self.reason)


_link_class: Any = None  # the JS SharedLink class, given by the shim


#: The types of a plain answer's value as Pyodide converts it (None for undefined, ``jsnull`` for
#: null); ``SharedLink.call`` returns a JS object when there was none.
_PLAIN: frozenset[type] = frozenset()


def install(link_class: Any) -> None:
    """Give this module the JS ``SharedLink`` class (the shim does, as it boots the worker)."""
    global _link_class, _PLAIN
    from pyodide.code import run_js

    _link_class = link_class
    # Read off the values, as their classes differ by Pyodide version (0.28 has no JsBigInt).
    _PLAIN = frozenset({type(None), bool, int, float, str, type(run_js("null")), type(run_js("1n"))})


def open_link(port: Any, buffer: Any) -> SharedEndpoint | Unavailable:
    """The waiting endpoint of a channel that JS ``serveSync`` (js_shim/sync_host.mjs) serves, from
    its ``port`` and ``buffer`` (or the reason there is no buffer, a string): ``wrap_sync`` it."""
    if isinstance(port, JsEndpoint):
        port = port.port
    if isinstance(buffer, str):
        return Unavailable(buffer)
    if _link_class is None:
        raise RuntimeError("comlink_py.shared needs the JS shim, which gives it the SharedLink class")
    return link_endpoint(_link_class.new(port, buffer))


def link_endpoint(link: Any) -> SharedEndpoint | Unavailable:
    """The root of ``link``, or, for the reason the host sent instead of one, an endpoint that raises it."""
    return Unavailable(link) if isinstance(link, str) else SharedEndpoint(link.root(), link)
