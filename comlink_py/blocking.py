"""Blocking calls: a ``SyncRemote`` answers in the calling thread, for code that is not async.

Requests are built by the wrapping core (``wrapping.Caller``) exactly as ``Remote``'s are. Where
``Remote`` hands back a future, a blocking call waits on its endpoint, which must be a
``WaitingEndpoint``: ``wait(timeout)`` blocks until messages arrived and delivers them to the
listeners on this thread, answers and requests alike. So a ``proxy()`` callback that the peer
calls before it answers is served by the waiting caller itself instead of deadlocking it.

The waiting endpoints: ``comlink_py.transport.waiting`` (in-memory channels, another thread's
loop serving), ``comlink_py.transport.sync_connection`` (a ``comlink_py.blocking_process`` worker)
and ``comlink_py.pyodide.shared`` (Pyodide workers, over a SharedArrayBuffer the JS shim provides).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast, overload

from .aio import ConnectionClosedError, ReleasedProxyError, Remote, unwrap
from .protocol import wire
from .protocol.endpoint import UNANSWERED, Endpoint, MessageEvent, WaitingEndpoint, close, start
from .protocol.wrapping import Caller, Outcome
from .resume import set_running_loop
from .transport.channel import MessagePort
from .transport.waiting import adopt_port

__all__ = [
    "UNANSWERED",
    "SyncRemote",
    "WaitingEndpoint",
    "assign",
    "construct",
    "create_endpoint",
    "get",
    "release",
    "wrap_sync",
]

T = TypeVar("T")
log = logging.getLogger("comlink_py")

#: The longest a call waits without looking at its deadline and whether the peer is gone: a peer
#: that dies unnoticed by the transport, or a KeyboardInterrupt, is seen within this.
SLICE = 0.1


class _Pending:
    __slots__ = ("outcome",)

    def __init__(self) -> None:
        self.outcome: Outcome | None = None


class _SyncLink:
    """What every ``SyncRemote`` of one ``wrap_sync`` shares: the endpoint and the pending calls."""

    def __init__(self, endpoint: WaitingEndpoint, timeout: float | None) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.caller: Caller[_Pending] = Caller(endpoint)
        self.wait_answer = getattr(endpoint, "wait_answer", None)
        self.call_atoms = getattr(endpoint, "call_atoms", None)
        self.released = False
        self.closed = False
        endpoint.add_listener(self._on_message)
        add_close_listener = getattr(endpoint, "add_close_listener", None)
        if add_close_listener is not None:
            add_close_listener(self._on_close)
        start(endpoint)

    def _on_message(self, event: MessageEvent) -> None:
        settled = self.caller.receive(event.data)
        if settled is not None:
            pending, outcome = settled
            pending.outcome = outcome

    def _on_close(self) -> None:
        self.closed = True

    def send(
        self,
        kind: wire.MessageType,
        path: Sequence[str] = (),
        value: Any = None,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> Any:
        """Make the call (the fields as ``Caller.request`` takes them) and wait for its answer:
        the value, or the peer's error raised."""
        if self.released:
            raise ReleasedProxyError("Proxy has been released and is not useable")
        if self.closed:
            raise ConnectionClosedError("the endpoint is closed")
        timeout = self.timeout
        deadline = None if timeout is None else time.monotonic() + timeout
        caller = self.caller
        call_atoms = self.call_atoms
        message: Any = None
        if call_atoms is not None and not kwargs and caller.atoms(kind, args):
            # Posted and waited for by the endpoint in one step for the first slice, with an id of
            # its own: nothing is pending here unless the answer is not plain.
            value = call_atoms(kind, path, args, SLICE if timeout is None else min(SLICE, timeout))
            if value is not UNANSWERED:
                return value
            msg_id = self.endpoint.called_id  # type: ignore[attr-defined]
            pending = _Pending()
            caller.expect(msg_id, pending)
        else:
            pending = _Pending()
            message, transferables = caller.request(
                pending, kind, path, value=value, args=args, kwargs=kwargs
            )
            msg_id = message["id"]
        try:
            outer = set_running_loop(_BLOCKED)
            try:
                if message is not None:
                    self.endpoint.post_message(message, transferables)
                value = self._wait(pending, msg_id, deadline)
            finally:
                set_running_loop(outer)
        except BaseException:  # a timeout, a closed peer, a KeyboardInterrupt: nothing stays pending
            caller.forget(msg_id)
            raise
        if value is not UNANSWERED:
            return value
        outcome = cast(Outcome, pending.outcome)
        if outcome.error is not None:
            raise outcome.error
        return self._blocking(outcome.value)

    def _wait(self, pending: _Pending, msg_id: str, deadline: float | None) -> Any:
        """Wait for the answer to ``msg_id`` until ``deadline`` (``time.monotonic()``): a plain
        answer that ``wait_answer`` returned (a value that needs no conversion), or ``UNANSWERED``
        once the answer was delivered to ``pending``. Returning the value, with no message built
        and received, and no closure per call, cut the Python of a call from 4.2-5.7 to 2.8-3.0 µs
        (measured in CPython against a bare endpoint)."""
        wait_answer = self.wait_answer
        while pending.outcome is None:
            if self.closed:
                raise ConnectionClosedError("the endpoint closed while the call was pending")
            piece = SLICE
            if deadline is not None:
                piece = deadline - time.monotonic()
                if piece <= 0:
                    raise TimeoutError(f"no answer within {self.timeout} s")
                piece = min(SLICE, piece)
            if wait_answer is None:
                self.endpoint.wait(piece)
                continue
            value = wait_answer(msg_id, piece)
            if value is not UNANSWERED:
                self.caller.forget(msg_id)
                return value
        return UNANSWERED

    def _blocking(self, value: Any) -> Any:
        """A proxy that arrived (a ``Remote`` the proxy handler made) becomes a ``SyncRemote``."""
        if type(value) is not Remote:
            return value
        return SyncRemote(_SyncLink(self.endpoint.adopt(unwrap(value)), self.timeout))

    def new_endpoint(self) -> Endpoint:
        """Comlink's ENDPOINT: the port the peer answers with, serving the same object. An in-memory
        port stays unstarted and a process channel waits by itself, so either can be wrapped on any
        thread (or loop); a port of a Pyodide shared link can only wait with it, so it is adopted."""
        port = self.send(wire.ENDPOINT)
        if isinstance(port, WaitingEndpoint) or type(port) is MessagePort:
            return cast(Endpoint, port)
        return self.endpoint.adopt(port)

    def release(self) -> None:
        if self.released:
            raise ReleasedProxyError("Proxy has been released and is not useable")
        try:
            if not self.closed:
                self.send(wire.RELEASE)
        except ConnectionClosedError:
            pass  # a peer that is gone is as good as an answer
        finally:
            self.released = True
            self.endpoint.remove_listener(self._on_message)
            close(self.endpoint)


_CANNOT_WAIT = (
    "a callback served while a blocking call waits cannot wait itself (its loop is the blocked "
    "thread): make it a plain function, or call through comlink_py.wrap's async Remote"
)


class _Settled:
    """What ``_BlockedLoop.create_task`` returns: a task that has already run."""

    def add_done_callback(self, callback: Callable[[Any], None], **_: Any) -> None:
        callback(self)


class _BlockedLoop:
    """The running loop of a thread while it waits for a blocking call. ``expose`` makes a task of a
    callback's awaitable result; the real loop (if any) is blocked, so the task runs here, at once,
    to its end. What it awaits can never be resolved now: the awaiting fails with a clear error,
    which the callback's caller receives, instead of hanging the blocked call."""

    def create_task(self, coro: Any, **_: Any) -> _Settled:
        error: BaseException | None = None
        while True:
            try:
                yielded = coro.send(None) if error is None else coro.throw(error)
            except StopIteration:
                break
            except BaseException:
                log.exception("a callback's task failed while a blocking call waited")
                break
            if yielded is None:  # a bare yield (asyncio.sleep(0)): go on
                error = None
            elif error is None:  # a future, which nothing can resolve now
                error = RuntimeError(_CANNOT_WAIT)
            else:  # it went on waiting after it was told it cannot
                coro.close()
                break
        return _Settled()

    def __getattr__(self, name: str) -> Any:
        def cannot_wait(*args: Any, **kwargs: Any) -> Any:
            raise RuntimeError(_CANNOT_WAIT)

        return cannot_wait


_BLOCKED = _BlockedLoop()


class SyncRemote(Generic[T]):
    """A proxy whose calls block until the answer is there (see ``Remote`` for the paths).

    ``remote.a.b`` builds a path; ``remote.f(1, k=2)`` calls it (APPLY) and returns its value or
    raises the peer's error; ``get(remote.a.b)`` reads it (GET). ``construct``, ``assign`` and
    ``release`` are the functions of this module.
    """

    __slots__ = ("_link", "_path")
    _link: _SyncLink
    _path: tuple[str, ...]

    def __init__(self, link: _SyncLink, path: tuple[str, ...] = ()) -> None:
        object.__setattr__(self, "_link", link)
        object.__setattr__(self, "_path", path)

    def __getattr__(self, name: str) -> SyncRemote[Any]:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return SyncRemote(_link_of(self), (*self._path, name))

    def __getitem__(self, key: str | int) -> SyncRemote[Any]:
        return SyncRemote(_link_of(self), (*self._path, str(key)))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        # The link straight from its slot (no _link_of, whose checks send makes) and the fields by
        # name (no dict of them): with send's own fields, 2.8-3.0 -> 2.3-2.7 µs a call in CPython.
        return self._link.send(wire.APPLY, self._path, None, args, kwargs)

    if not TYPE_CHECKING:  # hidden from type checkers, so that `remote.x = v` is reported statically

        def __setattr__(self, name: str, value: Any) -> None:
            raise AttributeError(
                f"use 'comlink_py.blocking.assign(remote.{name}, value)' to set a remote value"
            )

    def __repr__(self) -> str:
        return f"<SyncRemote {'.'.join(self._path) or '(root)'}>"


def _link_of(remote: SyncRemote[Any]) -> _SyncLink:
    if not isinstance(remote, SyncRemote):
        raise TypeError(f"expected a SyncRemote, got {type(remote).__name__}")
    link: _SyncLink = object.__getattribute__(remote, "_link")
    if link.released:
        raise ReleasedProxyError("Proxy has been released and is not useable")
    return link


def _path_of(remote: SyncRemote[Any]) -> tuple[str, ...]:
    return object.__getattribute__(remote, "_path")  # type: ignore[no-any-return]


def waiting(endpoint: Endpoint) -> WaitingEndpoint:
    """``endpoint`` as one a thread can block on: a ``WaitingEndpoint`` as it is, an unstarted
    in-memory ``MessagePort`` adopted by ``comlink_py.transport.waiting``."""
    if isinstance(endpoint, WaitingEndpoint):
        return endpoint
    adopted = adopt_port(endpoint)
    if adopted is None:
        raise TypeError(
            f"{type(endpoint).__name__} cannot block a thread: pass a comlink_py.MessagePort nobody "
            "started, a process connection (comlink_py.blocking_process) or, in a Pyodide worker, "
            "comlink_py.shared.host_sync()"
        )
    return adopted


@overload
def wrap_sync(
    endpoint: Endpoint, interface: None = None, *, timeout: float | None = None
) -> SyncRemote[Any]: ...
@overload
def wrap_sync(
    endpoint: Endpoint, interface: Callable[..., T], *, timeout: float | None = None
) -> SyncRemote[T]: ...
def wrap_sync(
    endpoint: Endpoint, interface: Callable[..., Any] | None = None, *, timeout: float | None = None
) -> SyncRemote[Any]:
    """A ``SyncRemote`` for the object exposed at the other end of ``endpoint``; its calls block.

    ``interface`` is for type checkers only, as in ``wrap``. With ``timeout`` (seconds) a call that
    gets no answer in time raises ``TimeoutError``; a peer that goes away fails it with
    ``ConnectionClosedError``. Either way nothing stays pending.
    """
    return SyncRemote(_SyncLink(waiting(endpoint), timeout))


def get(remote: SyncRemote[T]) -> T:
    """Read the remote value ``remote`` names (Comlink's GET); the root is the remote itself."""
    path = _path_of(remote)
    if not path:
        return cast(T, remote)
    return cast(T, _link_of(remote).send(wire.GET, path))


def construct(remote: SyncRemote[Any], *args: Any, **kwargs: Any) -> SyncRemote[Any]:
    """``new`` on the remote class: a ``SyncRemote`` for the new instance."""
    made = _link_of(remote).send(wire.CONSTRUCT, _path_of(remote), args=args, kwargs=kwargs)
    return cast(SyncRemote[Any], made)


def assign(remote: SyncRemote[Any], value: Any) -> None:
    """Set the remote attribute (or key) that ``remote`` names to ``value`` (Comlink's SET)."""
    path = _path_of(remote)
    if not path:
        raise TypeError("assign needs a path such as remote.attribute")
    _link_of(remote).send(wire.SET, path, value=value)


def create_endpoint(remote: SyncRemote[Any]) -> Endpoint:
    """A new endpoint serving the same remote object (Comlink's ``createEndpoint``): ``wrap_sync`` it,
    or, where it is an in-memory ``MessagePort``, hand it to another thread or ``wrap`` it on a loop."""
    return _link_of(remote).new_endpoint()


def release(remote: SyncRemote[Any]) -> None:
    """Release the remote object: its finalizer runs and every ``SyncRemote`` of this wrap stops."""
    _link_of(remote).release()
