"""Opt-in tracing of every message an endpoint sends and receives, for users following traffic.

``traced(endpoint)`` wraps an ``Endpoint`` so each posted and each received message is logged as one
compact line on the ``comlink_py.traffic`` logger at DEBUG. Channels the wrapper opens (``proxy`` and
ENDPOINT) and proxies that arrive through it are traced too, so a whole conversation shows up.
Setting ``COMLINK_PY_DEBUG=1`` makes ``expose`` and ``wrap`` trace their endpoints; when it is unset
they pay one boolean check.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any, Final

from .protocol import wire
from .protocol.endpoint import Endpoint, Listener, MessageEvent

__all__ = ["ENABLED", "TracedEndpoint", "traced"]

#: True when the ``COMLINK_PY_DEBUG`` environment variable is ``1`` at import time.
ENABLED: Final = os.environ.get("COMLINK_PY_DEBUG") == "1"

# The optional Endpoint members that carry messages past the listeners (see Endpoint): a traced
# endpoint has none, so every message goes through post_message and the listeners it taps.
_BYPASSES: Final = frozenset(
    {
        "add_call_listener",
        "remove_call_listener",
        "add_answer_listener",
        "remove_answer_listener",
        "post_call",
    }
)

_LOGGER_NAME: Final = "comlink_py.traffic"
_MAX_LINE: Final = 1000
_names = itertools.count(1)


class TracedEndpoint:
    """An ``Endpoint`` that logs what passes through it. Optional members (``start``, ``close``,
    ``add_close_listener``) exist exactly when the wrapped endpoint has them."""

    def __init__(self, inner: Endpoint, name: str, logger: logging.Logger) -> None:
        self.inner = inner
        self.name = name
        self.logger = logger
        self._listeners: list[Listener] = []
        self._children = itertools.count(1)

    def post_message(self, message: Any, transfer: Sequence[Any] = ()) -> None:
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("%s -> %s", self.name, compact(message))
        self.inner.post_message(message, transfer)

    def add_listener(self, listener: Listener) -> None:
        # One tap on the inner endpoint, however many listeners: each message is logged once.
        if not self._listeners:
            self.inner.add_listener(self._receive)
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)
            if not self._listeners:
                self.inner.remove_listener(self._receive)

    def __getattr__(self, name: str) -> Any:
        if name in _BYPASSES:  # what these would carry would never be traced
            raise AttributeError(name)
        member = getattr(self.inner, name)
        if name == "new_channel":
            return self._new_channel
        if name == "post_answer":
            return self._post_answer
        return member

    def __repr__(self) -> str:
        return f"<traced {self.name}: {self.inner!r}>"

    def _new_channel(self) -> tuple[Endpoint, Any]:
        # Only the end that stays here is wrapped: the far end is transferred and must remain the
        # transport's own object (a JS MessagePort, say) for the transport to move it.
        near, far = self.inner.new_channel()  # type: ignore[attr-defined]
        return self._child(near), far

    def _post_answer(self, msg_id: Any, value: Any) -> None:
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug(
                "%s -> %s", self.name, compact({"type": wire.RAW, "value": value, "id": msg_id})
            )
        self.inner.post_answer(msg_id, value)  # type: ignore[attr-defined]

    def _child(self, endpoint: Endpoint) -> TracedEndpoint:
        return TracedEndpoint(endpoint, f"{self.name}/{next(self._children)}", self.logger)

    def _receive(self, event: MessageEvent) -> None:
        if self.logger.isEnabledFor(logging.DEBUG):
            self.logger.debug("%s <- %s", self.name, compact(event.data))
        event = self._trace_proxies(event)
        for listener in tuple(self._listeners):
            try:
                listener(event)
            except Exception:
                self.logger.exception("message listener of %s failed", self.name)

    def _trace_proxies(self, event: MessageEvent) -> MessageEvent:
        """Proxy handler values carry the endpoint a ``Remote`` will be made from: trace it too."""
        data = event.data
        if not isinstance(data, dict):
            return event
        if _is_proxy(data):
            data = {**data, "value": self._child(data["value"])}
        elif _is_proxy(data.get("value")):
            data = {**data, "value": self._traced_wire(data["value"])}
        elif isinstance(data.get("argumentList"), list) and any(map(_is_proxy, data["argumentList"])):
            data = {**data, "argumentList": [self._traced_wire(v) for v in data["argumentList"]]}
        else:
            return event
        return MessageEvent(data, event.origin)

    def _traced_wire(self, value: Any) -> Any:
        return {**value, "value": self._child(value["value"])} if _is_proxy(value) else value


def _is_proxy(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == wire.HANDLER
        and value.get("name") == "proxy"
        and callable(getattr(value.get("value"), "post_message", None))
    )


def compact(message: Any) -> str:
    """One line of JSON; what JSON cannot show (endpoints, bytes, sets) appears as its repr."""
    text = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=_unjsonable)
    if len(text) > _MAX_LINE:
        text = f"{text[:_MAX_LINE]}... ({len(text) - _MAX_LINE} more characters)"
    return text


def _unjsonable(value: Any) -> Any:
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"
    if callable(getattr(value, "post_message", None)):
        return f"<endpoint {type(value).__name__}>"
    return repr(value)


def traced(endpoint: Endpoint, logger: logging.Logger | None = None, *, name: str | None = None) -> Endpoint:
    """``endpoint`` with its traffic logged (``comlink_py.traffic`` at DEBUG unless ``logger`` is
    given). ``name`` labels its lines; by default a short numbered name. Tracing twice is a no-op."""
    if isinstance(endpoint, TracedEndpoint):
        return endpoint
    return TracedEndpoint(
        endpoint, name or f"ep{next(_names)}", logging.getLogger(_LOGGER_NAME) if logger is None else logger
    )


def trace_from_env(endpoint: Endpoint, role: str) -> Endpoint:
    """What ``expose``/``wrap`` call when ``ENABLED``: trace, and print to stderr unless the
    application configured the traffic logger itself."""
    logger = logging.getLogger(_LOGGER_NAME)
    if not logger.handlers and logger.level == logging.NOTSET:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("comlink_py %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    return traced(endpoint, logger, name=f"{role}{next(_names)}")
