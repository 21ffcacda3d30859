"""The transport seam: anything that can post a message and tell listeners about incoming ones.

Everything above this module speaks plain Python data. Adapters (in-memory channels, JS objects seen
through Pyodide's FFI, inter-process links) turn their own messages into ``MessageEvent`` objects and
back, so the protocol core never learns which transport it runs on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "UNANSWERED",
    "AnswerListener",
    "CallListener",
    "Endpoint",
    "Listener",
    "MessageEvent",
    "PlannedCall",
    "Planner",
    "WaitingEndpoint",
    "call_each",
    "close",
    "start",
]

log = logging.getLogger("comlink_py")


@dataclass(slots=True)
class MessageEvent:
    """One delivered message: ``data`` is already plain Python; ``origin`` is the sender's origin
    string when the transport knows it (browsers do), else ``None``. ``error`` is set when the
    transport could not decode the whole message: ``data`` then holds what it could (at least the
    ``id``, so the request is answered with the error). Not frozen: one is made per message, and a
    frozen dataclass's ``__init__`` costs three times as much."""

    data: Any
    origin: str | None = None
    error: Exception | None = None


Listener = Callable[[MessageEvent], None]

#: What ``add_answer_listener`` takes: ``(id, value)`` of a plain answer, True if it was its call's.
AnswerListener = Callable[[Any, Any], bool]

#: What ``add_call_listener`` takes: ``(origin, id, type, path, arguments)`` of a checked request.
CallListener = Callable[[str | None, str, str, Sequence[str] | None, list[Any] | None], None]

#: What ``add_call_listener`` may also take, to serve whole routes: ``planner(number, type, path)``
#: plans the endpoint's route ``number`` if it can, saying whether it did.
Planner = Callable[[int, str, Sequence[str]], bool]

#: ... and ``run(number, token, *arguments)``, which serves a request of a planned route: it returns
#: the atom for the endpoint to answer with, or ``UNANSWERED`` once it has answered by message,
#: having asked the endpoint's ``planned_id(token)`` for the request's id, only then.
PlannedCall = Callable[..., Any]


@runtime_checkable
class Endpoint(Protocol):
    """The shape ``expose`` and ``wrap`` need, mirroring Comlink's ``Endpoint`` interface.

    Optional members, looked up with ``getattr``: ``start()`` (begin delivery of queued messages, as
    a MessagePort needs), ``close()``, ``new_channel()`` (a pair of connected endpoints of the same
    kind that can be transferred over this one: the proxy handler and ENDPOINT need it), and
    ``add_close_listener(callback)`` (called once when the peer goes away, so pending calls fail
    instead of hanging), and ``post_answer(id, value)``, which ``expose`` calls instead of
    ``post_message`` to answer request ``id`` with an atom ``value`` (None, bool, int, float, str):
    it must post ``{"type": "RAW", "value": value, "id": id}``, and may do so faster (a
    ``JsEndpoint`` reuses the id JS still holds while that request is being delivered); and
    ``identity``, a hashable value that endpoints of one type share when they carry the same
    messages (every ``JsEndpoint`` of one JS object), by which ``expose`` refuses a second exposure;
    and ``add_call_listener(listener)`` with ``remove_call_listener(listener)``: an endpoint that has
    checked a request's form itself (an id string, a type of ``exposing.CHECKED_TYPES``, a path of
    strings, arguments that are RAW wire values) may hand it to that listener as ``(origin, id, type,
    path, arguments)``, the arguments decoded, instead of as a MessageEvent to the listeners, and,
    given a ``planner`` and its ``run`` too (``add_call_listener(listener, planner, run)``), may ask
    it once per route to plan it and hand that route's later requests to ``run`` instead (never
    after ``remove_call_listener``), with a token from which its ``planned_id(token)`` gives the
    request's id;
    ``post_call(id, type, path, args)``, which ``wrap`` calls instead of ``post_message`` for a GET,
    APPLY or CONSTRUCT of atoms (``Caller.request_atoms``): it must post what ``wire.request`` builds
    of them (``argumentList`` the RAW wire values of ``args``, none for a GET); and
    ``add_answer_listener(listener)`` with ``remove_answer_listener(listener)``: an endpoint may hand a
    plain answer of an atom (``{"type": "RAW", "value": value, "id": id}``) to these listeners as
    ``listener(id, value)`` until one returns True (the call was its own), instead of as a
    MessageEvent to the listeners; one that none claims goes to the listeners as usual.
    """

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None: ...

    def add_listener(self, listener: Listener) -> None: ...

    def remove_listener(self, listener: Listener) -> None: ...


@runtime_checkable
class WaitingEndpoint(Endpoint, Protocol):
    """An endpoint a thread can block on (for ``comlink_py.blocking``). ``wait(timeout)`` returns
    once it delivered what arrived to the listeners (on the calling thread), or after ``timeout``
    seconds; a peer that is gone is reported to its close listeners (``add_close_listener``, which
    a waiting endpoint must have). ``adopt(endpoint)`` makes an endpoint that arrived in a message
    (a returned proxy) one that waits with this one, so that calls through it block too. An
    endpoint may also have ``wait_answer(msg_id, timeout)``: ``wait``, except that a plain answer to
    the request ``msg_id`` (a RAW wire value) is returned as its value instead of delivered, and
    ``UNANSWERED`` when none came; a transport where delivering costs more uses it. And one may
    have ``call_atoms(type, path, args, timeout)`` with ``called_id``: post a request that
    ``Caller.atoms`` accepts, with an id of the endpoint's own, and wait up to ``timeout`` seconds
    for its answer, all in one step; the value of a plain answer, or ``UNANSWERED`` with the id in
    ``called_id`` and whatever came instead kept for the next ``wait`` or ``wait_answer``.
    """

    def wait(self, timeout: float) -> None: ...

    def adopt(self, endpoint: Endpoint) -> WaitingEndpoint: ...


#: What ``wait_answer`` returns when the answer it waits for did not come (see ``WaitingEndpoint``).
UNANSWERED: Any = object()


def call_each(callbacks: Iterable[Callable[..., None]], *args: Any) -> None:
    """Call every callback with ``args``, as adapters do for listeners. One that raises is logged
    and the rest still run: an exception reaching a JS event handler would end the worker. A list
    is copied first, so that a callback may add or remove callbacks; a tuple is used as it is."""
    for callback in callbacks if type(callbacks) is tuple else tuple(callbacks):
        try:
            callback(*args)
        except Exception:
            log.exception("listener %r failed", callback)


def start(endpoint: Endpoint) -> None:
    """Call the endpoint's optional ``start()``: a port delivers nothing until started."""
    method = getattr(endpoint, "start", None)
    if method is not None:
        method()


def close(endpoint: Endpoint) -> None:
    """Call the endpoint's optional ``close()``."""
    method = getattr(endpoint, "close", None)
    if method is not None:
        method()
