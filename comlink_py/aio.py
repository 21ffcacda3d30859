"""The asyncio glue: runs the exposing and wrapping cores over any ``Endpoint``.

Sync results are answered in the same turn of the loop; only awaitables become tasks. Calls are sent
when they are made (not when awaited), so ``asyncio.gather`` over many calls keeps them all in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import weakref
from collections.abc import Awaitable, Callable, Generator, Hashable, Sequence
from functools import partial
from types import CodeType, FrameType
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast, overload

from . import debug
from .abort import ABORT_HANDLER, PERFORM, AbortError, Cancellation
from .protocol import wire
from .protocol.codec import is_plain_atom
from .protocol.endpoint import UNANSWERED, Endpoint, MessageEvent, close, start
from .protocol.exposing import Dispatch, Exposer, Origin, RoutePlan, answering
from .protocol.handlers import PROXY_HANDLER, Thrown
from .protocol.wrapping import Caller
from .pyodide.endpoint import JsEndpoint, js_endpoint
from .resume import Resumer, resumer_for
from .transport.clone import CLONE_ATOMS

__all__ = [
    "ConnectionClosedError",
    "Exposed",
    "ReleasedProxyError",
    "Remote",
    "assign",
    "construct",
    "create_endpoint",
    "expose",
    "release",
    "wrap",
]

T = TypeVar("T")
log = logging.getLogger("comlink_py")


class ReleasedProxyError(RuntimeError):
    """The proxy was released; it cannot be used any more."""


class ConnectionClosedError(ConnectionError):
    """The endpoint closed (or its peer went away) while calls were pending."""


def _no_default_endpoint() -> Endpoint:
    raise RuntimeError(NO_ENDPOINT)


NO_ENDPOINT: Final = (
    "expose() needs an endpoint here: pass one, as in expose(obj, port) with a port of "
    "comlink_py.MessageChannel(); only a Pyodide worker has a default one (its global scope)"
)


#: What ``expose(obj)`` serves when given no endpoint. ``comlink_py.js``, the layer above this one,
#: sets it to its ``default_endpoint`` when imported (and ``import comlink_py`` imports it).
default_endpoint: Callable[[], Endpoint] = _no_default_endpoint


# ----------------------------------------------------------------------------------------------
# exposing


class Exposed:
    """The handle ``expose`` returns: ``close()`` stops serving without a RELEASE from the peer."""

    def __init__(self, exposer: Exposer, key: Hashable) -> None:
        self._exposer = exposer
        self._key = key  # its endpoint's key in _serving
        # The tasks of calls that await, by request id: a CANCEL from the peer cancels one.
        self._tasks: dict[Any, asyncio.Task[None]] = {}
        # The endpoint's fast answer of an atom, if it has one (see Endpoint).
        self._answer: Callable[[Any, Any], None] | None = getattr(exposer.endpoint, "post_answer", None)
        self._plans: dict[int, RoutePlan] = {}  # the endpoint's planned routes, by number
        self.closed = False

    def _on_message(self, event: MessageEvent) -> None:
        dispatch = self._exposer.receive(event)
        if dispatch is not None:
            self._run(dispatch)

    def _on_call(
        self, origin: str | None, id: str, kind: str, path: Sequence[str] | None, arguments: list[Any] | None
    ) -> None:
        """A request the endpoint has checked, as its parts (see ``Endpoint``'s ``add_call_listener``)."""
        dispatch = self._exposer.receive_call(origin, id, kind, path, arguments)
        if dispatch is not None:
            self._run(dispatch)

    def _planner(self, number: int, kind: str, path: Sequence[str]) -> bool:
        """Plan the endpoint's route ``number`` if ``Exposer.plan`` can (see ``Endpoint``'s
        ``add_call_listener``)."""
        plan = self._exposer.plan(kind, path)
        if plan is not None:
            self._plans[number] = plan
        return plan is not None

    def _run_planned(self, number: int, token: Any, *arguments: Any) -> Any:
        """A request of a planned route, from the endpoint: one function from the JS listener to the
        method (it was three, with the id's and arguments' parts decoded first): row 3's round trip
        over row 2's, median of eight interleaved pairs (Node, one core), 1.30x -> 1.18x."""
        plan = self._plans[number]
        try:
            result = self._exposer.run_plan(plan, arguments)
        except Exception as error:
            result = Thrown(error)
        except BaseException as error:  # KeyboardInterrupt from an interrupt: this call's error only
            result = Thrown(_interrupted(error))
        if is_plain_atom(result) and not ABORT_HANDLER.received and not self.closed:
            return result
        try:  # nothing may reach the JS listener: an error thrown there ends a Node worker
            msg_id = self._exposer.endpoint.planned_id(token)  # type: ignore[attr-defined]
            self._finish(Dispatch(msg_id, wire.APPLY, None, None, (plan.name,), list(arguments)), result)
        except Exception:
            log.exception("could not answer a planned call")
        return UNANSWERED

    def _run(self, dispatch: Dispatch) -> None:
        exposer = self._exposer
        if dispatch.request is None and dispatch.type == wire.CANCEL:
            self._cancel(dispatch.id)
            return
        try:
            result = exposer.perform(dispatch)
        except Exception as error:
            result = Thrown(error)
        except BaseException as error:  # KeyboardInterrupt from an interrupt: this call's error only
            result = Thrown(_interrupted(error))
        self._finish(dispatch, result)

    def _finish(self, dispatch: Dispatch, result: Any) -> None:
        """Answer a performed request with its result, or run it on as a task if it awaits."""
        signals = ABORT_HANDLER.claim() if ABORT_HANDLER.received else None  # the call's AbortSignals
        if type(result) not in CLONE_ATOMS and inspect.isawaitable(result):
            if signals is not None and any(signal.aborted for signal in signals):
                _discard(result)  # aborted before it began
                self._respond(dispatch, Thrown(AbortError(signals[0].message)))
                return
            task = asyncio.ensure_future(self._settle(dispatch, result, signals))
            id = dispatch.id
            self._tasks[id] = task
            task.add_done_callback(partial(self._finished, id, result))
            if signals is not None:
                self._watch(id, task, signals)
        else:
            if signals is not None:
                for signal in signals:
                    signal.detach()  # a synchronous call is over: nothing is left to abort
            self._respond(dispatch, result)

    def _finished(self, id: Any, awaitable: Awaitable[Any], task: asyncio.Task[None]) -> None:
        self._tasks.pop(id, None)
        _discard(awaitable)

    def _watch(self, id: Any, task: asyncio.Task[None], signals: list[Cancellation]) -> None:
        """An AbortSignal that aborts cancels the call's task, answered with ``AbortError``."""

        def abort(signal: Cancellation) -> None:
            if self._tasks.get(id) is task:
                task.cancel(signal)  # _settle reads it back

        def detach(_: object) -> None:
            for signal in signals:
                signal.detach()

        for signal in signals:
            signal.add_callback(abort)
        task.add_done_callback(detach)

    def _cancel(self, id: Any) -> None:
        """The peer gave up on call ``id``: cancel its task (it is not answered any more)."""
        task = self._tasks.pop(id, None)
        if task is not None:
            task.cancel()

    async def _settle(
        self, dispatch: Dispatch, awaitable: Awaitable[Any], signals: list[Cancellation] | None
    ) -> None:
        try:
            result = await _awaited(awaitable, signals)
        except asyncio.CancelledError as error:
            if dispatch.id not in self._tasks:  # cancelled by the peer, which no longer waits
                raise
            signal = error.args[0] if error.args else None
            result = Thrown(AbortError(signal.message) if isinstance(signal, Cancellation) else error)
        except Exception as error:
            result = Thrown(error)
        except BaseException as error:
            result = Thrown(_interrupted(error))
        self._respond(dispatch, result)

    def _respond(self, dispatch: Dispatch, result: Any) -> None:
        if self.closed:  # released while the call ran: its port is gone, nobody waits for the answer
            log.debug("dropped the answer to %r: the endpoint was closed", dispatch.id)
            return
        exposer = self._exposer
        endpoint = exposer.endpoint
        answer = self._answer
        try:
            if answer is not None and is_plain_atom(result):
                answer(dispatch.id, result)
            else:
                message, transferables = exposer.reply(dispatch, result)
                endpoint.post_message(message, transferables)
        except Exception as error:
            message, transferables = exposer.unserializable(dispatch, error)
            try:
                endpoint.post_message(message, transferables)
            except Exception:
                log.exception("could not answer request %r", dispatch.id)
        if dispatch.type == wire.RELEASE:
            self.close()
            try:
                exposer.finalize()
            except Exception:
                log.exception("finalizer of %r failed", exposer.obj)

    @property
    def running(self) -> int:
        """How many calls are running as tasks (awaiting something)."""
        return len(self._tasks)

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        held = _serving.get(self._key)
        if held is not None and held() is self:
            del _serving[self._key]
        endpoint = self._exposer.endpoint
        endpoint.remove_listener(self._on_message)
        remove_call_listener = getattr(endpoint, "remove_call_listener", None)
        if remove_call_listener is not None:
            remove_call_listener(self._on_call)
        close(endpoint)


def _discard(awaitable: Awaitable[Any]) -> None:
    """Close a coroutine that may never have run (its task was cancelled before it began): a
    finished one is left as it is, an unstarted one is not reported as never awaited."""
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()


#: The AbortSignals of each call's task, while the call's own code runs in it.
_task_signals: dict[asyncio.Task[Any], list[Cancellation]] = {}


async def _awaited(awaitable: Awaitable[Any], signals: list[Cancellation] | None) -> Any:
    """Await a call's awaitable: the call's own code runs below this frame (see ``_call_code``),
    with its signals, if any, noted as the running task's (see ``abort_interrupt``)."""
    if signals is None:
        return await awaitable
    task = asyncio.current_task()
    assert task is not None  # _settle runs as a task
    _task_signals[task] = signals
    try:
        return await awaitable
    finally:
        del _task_signals[task]


def abort_interrupt(signum: int, frame: FrameType | None) -> None:
    """The handler of ``ABORT_SIGNUM`` in a Pyodide worker (``comlink_py.js`` installs it): JS
    flagged an aborted signal and wrote to the interrupt buffer. Raise ``AbortError`` in the call
    running now if the signal is one of its own; anywhere else do nothing (a call that awaits is
    cancelled once the abort's message arrives)."""
    code = _call_code(frame)
    if code is PERFORM:
        signals = ABORT_HANDLER.received
    elif code is _AWAITED:
        task = asyncio.current_task()
        signals = _task_signals.get(task, []) if task is not None else []
    else:
        return
    for signal in signals:
        if signal.interrupted:
            raise AbortError(signal.message)


def interrupting(frame: FrameType | None) -> bool:
    """Whether ``KeyboardInterrupt`` (the shim's ``interrupt()``) may be raised in ``frame``: only
    in a call's own code, where the call is answered with it. Raised in the code that delivers a
    request or sends an answer, it would leave the call unanswered (or stop the worker); raised in
    ``perform`` itself, it could drop the coroutine an ``async`` method has just returned."""
    return frame is not None and frame.f_code not in _CALLS and _call_code(frame) is not None


def _call_code(frame: FrameType | None) -> CodeType | None:
    """Of the frames below which a call's own code runs (``Exposer.perform`` and ``run_plan``
    for a synchronous call, ``_awaited`` for a task), the one ``frame`` runs under, if it runs
    under one before any frame that serves calls (``_SERVING``): their callers answer the call
    with whatever they raise, which no code serving calls does."""
    while frame is not None:
        code = frame.f_code
        if code in _CALLS:
            return code
        if code in _SERVING:
            return None
        frame = frame.f_back
    return None


_AWAITED: Final = _awaited.__code__
_CALLS: Final = frozenset({PERFORM, Exposer.run_plan.__code__, _AWAITED})
#: Where the code that serves calls begins: a Pyodide endpoint's entries from JS (a message nested
#: in a blocking call is delivered under the frames of the call that blocks) and the exposing glue.
_SERVING: Final = frozenset(
    function.__code__
    for function in (
        JsEndpoint._deliver,
        JsEndpoint._answered,
        Exposed._run,
        Exposed._run_planned,
        Exposed._settle,
    )
)


def _interrupted(error: BaseException) -> BaseException:
    """A ``KeyboardInterrupt`` (Pyodide's interrupt buffer raises it in the running call) fails that
    call and nothing more; any other ``BaseException`` (``SystemExit``) stops the loop as usual."""
    if isinstance(error, KeyboardInterrupt):
        return error
    raise error


def expose(
    obj: Any,
    endpoint: Endpoint | None = None,
    allowed_origins: Sequence[Origin] = ("*",),
    *,
    allow_private: bool = False,
    strict: bool = False,
) -> Exposed:
    """Serve ``obj`` on ``endpoint`` (in a Pyodide worker, the worker's global scope by default).

    The exposure policy (``comlink_py.protocol.policy``) keeps a peer to what ``obj`` offers: no private
    names, no steps into interpreter internals. ``strict`` serves only members marked with
    ``exposed``; ``allow_private`` turns the policy off, for peers that are your own code.
    """
    ep = default_endpoint() if endpoint is None else as_endpoint(endpoint, "expose")
    key = _claim(ep)
    if debug.ENABLED:
        ep = debug.trace_from_env(ep, "expose")

    def serve(target: Any, channel: Endpoint) -> None:
        expose(target, channel, allowed_origins, allow_private=allow_private, strict=strict)

    exposer = Exposer(
        obj, ep, serve, allowed_origins=allowed_origins, allow_private=allow_private, strict=strict
    )
    handle = Exposed(exposer, key)
    _serving[key] = weakref.ref(handle, partial(_forget, key))
    ep.add_listener(handle._on_message)
    add_call_listener = getattr(ep, "add_call_listener", None)
    if add_call_listener is not None:
        add_call_listener(handle._on_call, handle._planner, handle._run_planned)
    start(ep)
    return handle


#: The handles of the endpoints being served, by ``_key``: a second ``expose`` on one is refused.
_serving: dict[Hashable, weakref.ref[Exposed]] = {}


def _forget(key: Hashable, ref: weakref.ref[Exposed]) -> None:
    """A handle dropped without ``close()`` (its endpoint went with it) frees its key."""
    if _serving.get(key) is ref:
        del _serving[key]


def _key(endpoint: Endpoint) -> Hashable:
    """The endpoint's ``identity`` if it has one (every ``JsEndpoint`` of one JS object shares it),
    else the endpoint itself by ``id`` (alive, so unique, as long as its handle is)."""
    identity = getattr(endpoint, "identity", None)
    return (type(endpoint), id(endpoint)) if identity is None else (type(endpoint), identity)


def _claim(endpoint: Endpoint) -> Hashable:
    """The endpoint's key, unless an earlier ``expose`` still serves it: two objects on one
    endpoint would both answer every request, so the second is refused."""
    key = _key(endpoint)
    ref = _serving.get(key)
    serving = None if ref is None else ref()
    if serving is not None and not serving.closed and not _gone(endpoint, serving._exposer.endpoint):
        raise RuntimeError(
            f"{endpoint!r} is already exposing {type(serving._exposer.obj).__name__!r}: expose one object "
            "per endpoint (close() the first handle, or give each object its own MessageChannel port)"
        )
    return key


def _gone(*endpoints: Endpoint) -> bool:
    """Whether one of them closed (its peer went away, say): what served it serves nothing."""
    return any(getattr(endpoint, "closed", False) is True for endpoint in endpoints)


def as_endpoint(value: Any, caller: str) -> Endpoint:
    """``value`` if it is an ``Endpoint``; in Pyodide a JS object that posts messages (a MessagePort,
    a Worker, Comlink's ``nodeEndpoint(...)``) adapted as a ``JsEndpoint``, as Comlink takes it."""
    if hasattr(value, "add_listener") and hasattr(value, "post_message"):
        return cast(Endpoint, value)
    adapted = js_endpoint(value)
    if adapted is None:
        raise TypeError(
            f"{caller}() needs an endpoint, not {type(value).__name__}: an object with post_message, "
            "add_listener and remove_listener (a port of comlink_py.MessageChannel(), a Connection's "
            "port, a JsEndpoint) or, in Pyodide, a JS object with postMessage and addEventListener or "
            "on/off (a MessagePort, a Worker, Comlink's nodeEndpoint(...))"
        )
    return adapted


# ----------------------------------------------------------------------------------------------
# wrapping


class _Call(asyncio.Future[Any]):
    """The future of one pending call. Cancelling it (directly, or through a cancelled task or
    ``wait_for``) forgets the call at once, so no done-callback has to run for every call: in
    Pyodide each callback is a trip through the JS event loop.

    Made as ``_Call(loop=link's resumer or loop)``, then given its slots (``_Link.send``):
    an ``__init__`` of its own would cost more than the future itself."""

    # No __dict__ per call: 0.3 µs of an awaited call's 8.3 (Pyodide, Node).
    __slots__ = ("link", "msg_id", "timer")

    link: _Link
    msg_id: str
    timer: asyncio.TimerHandle | None

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return self.link.loop  # type: ignore[return-value]  # what asyncio compares with the task's loop

    def cancel(self, msg: Any | None = None) -> bool:
        if not super().cancel(msg):
            return False
        _stop_timer(self)
        self.link.cancel(self.msg_id)
        return True


def _stop_timer(call: _Call) -> None:
    if call.timer is not None:
        call.timer.cancel()
        call.timer = None


class _Link:
    """What every ``Remote`` made from one ``wrap`` shares: the endpoint, its listener and the
    pending calls. It releases the peer when the last ``Remote`` is garbage collected and no call
    is pending, as Comlink does with its FinalizationRegistry."""

    def __init__(self, endpoint: Endpoint, timeout: float | None = None) -> None:
        self.endpoint = endpoint
        self.timeout = timeout
        self.caller: Caller[_Call] = Caller(endpoint)
        self.refs = 0
        self.released = False
        self.closed = False
        self.started = False
        self.loop: asyncio.AbstractEventLoop | None = None
        self.resumer: Resumer | None = None  # see comlink_py.resume
        self.future_loop: Any = None  # the loop calls' futures are made with: the resumer, if any
        # The endpoint's shortcuts, if it has them (see Endpoint): requests of atoms posted from
        # their parts, answers of atoms delivered as (id, value).
        self.post_call: Callable[[str, str, Sequence[str], Sequence[Any]], None] | None = getattr(
            endpoint, "post_call", None
        )
        endpoint.add_listener(self._on_message)
        add_answer_listener = getattr(endpoint, "add_answer_listener", None)
        if add_answer_listener is not None:
            add_answer_listener(self._on_answer)
        add_close_listener = getattr(endpoint, "add_close_listener", None)
        if add_close_listener is not None:
            add_close_listener(self._on_close)

    def stop_listening(self) -> None:
        self.endpoint.remove_listener(self._on_message)
        remove_answer_listener = getattr(self.endpoint, "remove_answer_listener", None)
        if remove_answer_listener is not None:
            remove_answer_listener(self._on_answer)

    def _on_answer(self, msg_id: Any, value: Any) -> bool:
        """A plain answer of an atom: whether it was one of this link's calls."""
        call = self.caller.answer(msg_id, value)
        if call is None:
            return False
        self._answered(call, value, None)
        return True

    def _on_message(self, event: MessageEvent) -> None:
        settled = self.caller.receive(event.data, event.error)
        if settled is not None:
            call, outcome = settled
            self._answered(call, outcome.value, outcome.error)

    def _answered(self, call: _Call, value: Any, error: BaseException | None) -> None:
        """Settle a call its answer named, its caller resumed at once where it may (see
        comlink_py.resume), and release the peer if nothing holds or waits on it any more."""
        if call.timer is not None:  # most calls have none: no call to _stop_timer (0.2 µs in Pyodide)
            _stop_timer(call)
        if not call.done():
            resumer = self.resumer  # set by the first call
            if error is not None:
                call.set_exception(error)
            elif resumer is not None:
                resumer.resolve(call, value)
            else:
                call.set_result(value)
        if self.refs == 0 and not self.caller.pending:
            self._release_unused()

    def _on_close(self) -> None:
        self.closed = True
        self._fail_pending(ConnectionClosedError("the endpoint closed while the call was pending"))

    def _fail_pending(self, error: BaseException) -> None:
        for call in self.caller.drain():
            _stop_timer(call)
            if not call.done():
                call.set_exception(error)

    def send(
        self,
        kind: wire.MessageType,
        path: Sequence[str] = (),
        *,
        value: Any = None,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> asyncio.Future[Any]:
        if self.released:
            raise ReleasedProxyError("Proxy has been released and is not useable")
        future_loop = self.future_loop
        if future_loop is None:
            loop = self.loop = _loop()
            self.resumer = resumer_for(loop)
            future_loop = self.future_loop = self.resumer or loop
        call = _Call(loop=future_loop)
        call.link = self
        call.msg_id = ""
        call.timer = None
        if self.closed:
            call.set_exception(ConnectionClosedError("the endpoint is closed"))
            return call
        if not self.started:
            self.started = True
            start(self.endpoint)
        post_call = self.post_call
        msg_id = None if post_call is None or kwargs else self.caller.request_atoms(call, kind, path, args)
        try:
            if msg_id is not None:
                call.msg_id = msg_id
                post_call(msg_id, kind, path, args)  # type: ignore[misc]  # set with msg_id
            else:
                message, transferables = self.caller.request(
                    call, kind, path, value=value, args=args, kwargs=kwargs
                )
                call.msg_id = message["id"]
                self.endpoint.post_message(message, transferables)
        except BaseException:
            self.caller.forget(call.msg_id)
            raise
        if self.timeout is not None and kind != wire.RELEASE:
            call.timer = self.loop.call_later(self.timeout, self._expire, call)  # type: ignore[union-attr]
        return call

    def cancel(self, msg_id: str) -> None:
        """Forget a call and tell the peer, which cancels the task running it (docs/wire-format.md)."""
        message = self.caller.cancel(msg_id)
        if message is None or self.closed:
            return
        try:
            self.endpoint.post_message(message, [])
        except Exception:  # the endpoint is going away: nothing runs there to cancel
            log.debug("could not send CANCEL for %r", msg_id, exc_info=True)

    def _expire(self, call: _Call) -> None:
        """A timed-out call fails and is forgotten (a late answer is then ignored); the peer is told."""
        call.timer = None
        self.cancel(call.msg_id)
        if not call.done():
            call.set_exception(TimeoutError(f"no answer within {self.timeout} s"))

    def release(self) -> asyncio.Future[None]:
        """Send RELEASE; pending calls fail now; the endpoint closes once the peer answers."""
        if self.released:
            raise ReleasedProxyError("Proxy has been released and is not useable")
        done: asyncio.Future[None] = (self.loop or _loop()).create_future()
        self._fail_pending(ReleasedProxyError("the proxy was released while the call was pending"))
        if self.closed:
            self.released = True
            done.set_result(None)
            return done
        acknowledged = self.send(wire.RELEASE)
        self.released = True

        def finish(answer: asyncio.Future[Any]) -> None:
            if not answer.cancelled():
                answer.exception()  # a peer that closed first is as good as an answer
            self.stop_listening()
            close(self.endpoint)
            if not done.done():
                done.set_result(None)

        acknowledged.add_done_callback(finish)
        return done

    def _release_unused(self) -> None:
        if self.released or self.closed or self.loop is None:
            return
        try:
            self.release().add_done_callback(lambda f: None)
        except Exception:
            log.debug("automatic release failed", exc_info=True)

    def drop(self) -> None:
        self.refs -= 1
        if self.refs == 0 and not self.caller.pending and self.loop is not None:
            if self.loop.is_closed():
                return
            with contextlib.suppress(RuntimeError):
                self.loop.call_soon_threadsafe(self._release_if_unused)

    def _release_if_unused(self) -> None:
        if self.refs == 0 and not self.caller.pending:
            self._release_unused()


def _loop() -> asyncio.AbstractEventLoop:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop_policy().get_event_loop()


class Remote(Generic[T]):
    """A proxy for an object on the other side of an endpoint.

    ``remote.a.b`` builds a path; ``await remote.a.b`` reads it (GET); ``remote.f(1, k=2)`` calls it
    (APPLY) and returns a future. Module functions do what would collide with attribute names:
    ``construct``, ``assign``, ``create_endpoint``, ``release``. ``remote["name"]`` reaches names
    that are not identifiers.
    """

    __slots__ = ("__weakref__", "_link", "_path")
    __comlink_by_reference__ = True  # passed on as an argument or result, it travels as a proxy

    def __init__(self, link: _Link, path: tuple[str, ...] = ()) -> None:
        self._link = link
        self._path = path
        link.refs += 1

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            self._link.drop()

    def __getattr__(self, name: str) -> Remote[Any]:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        self._check()
        return Remote(self._link, (*self._path, name))

    def __getitem__(self, key: str | int) -> Remote[Any]:
        self._check()
        return Remote(self._link, (*self._path, str(key)))

    def __call__(self, *args: Any, **kwargs: Any) -> asyncio.Future[Any]:
        return self._link.send(wire.APPLY, self._path, args=args, kwargs=kwargs)

    def __await__(self) -> Generator[Any, None, T]:
        if not self._path:
            return _itself(self).__await__()
        return self._link.send(wire.GET, self._path).__await__()

    if not TYPE_CHECKING:  # hidden from type checkers, so that `remote.x = v` is reported statically

        def __setattr__(self, name: str, value: Any) -> None:
            if name in Remote.__slots__:
                object.__setattr__(self, name, value)
            else:
                raise AttributeError(
                    f"use 'await comlink_py.assign(remote.{name}, value)' to set a remote value"
                )

    def __repr__(self) -> str:
        return f"<Remote {'.'.join(self._path) or '(root)'}>"

    def _check(self) -> None:
        if self._link.released:
            raise ReleasedProxyError("Proxy has been released and is not useable")


async def _itself(remote: Remote[T]) -> T:
    return cast(T, remote)


@overload
def wrap(endpoint: Endpoint, interface: None = None, *, timeout: float | None = None) -> Remote[Any]: ...
@overload
def wrap(endpoint: Endpoint, interface: Callable[..., T], *, timeout: float | None = None) -> Remote[T]: ...
def wrap(
    endpoint: Endpoint, interface: Callable[..., Any] | None = None, *, timeout: float | None = None
) -> Remote[Any]:
    """A ``Remote`` for the object exposed at the other end of ``endpoint``.

    ``interface`` (a class or Protocol the remote object implements) is for type checkers only:
    ``wrap(port, Api)`` is a ``Remote[Api]`` (see ``comlink_py.mypy_plugin``).

    With ``timeout`` (seconds) every call that gets no answer in time fails with ``TimeoutError``;
    a single call can also be bounded with ``asyncio.wait_for``. Either way nothing stays pending.
    """
    endpoint = as_endpoint(endpoint, "wrap")
    if debug.ENABLED:
        endpoint = debug.trace_from_env(endpoint, "wrap")
    return Remote(_Link(endpoint, timeout))


def _link_of(remote: Remote[Any]) -> _Link:
    if not isinstance(remote, Remote):
        raise TypeError(f"expected a Remote, got {type(remote).__name__}")
    remote._check()
    return object.__getattribute__(remote, "_link")  # type: ignore[no-any-return]


def _path_of(remote: Remote[Any]) -> tuple[str, ...]:
    return object.__getattribute__(remote, "_path")  # type: ignore[no-any-return]


def unwrap(remote: Remote[Any]) -> Endpoint:
    """The endpoint of ``remote``'s wrap, taken back from it for a layer that calls through it in
    its own way (``comlink_py.blocking``, for a proxy that arrived in a blocking call's answer): the
    wrap stops listening and its ``Remote``s stop working, with no RELEASE sent."""
    link = _link_of(remote)
    link.stop_listening()
    link.released = True
    return link.endpoint


def construct(remote: Remote[Any], *args: Any, **kwargs: Any) -> asyncio.Future[Remote[Any]]:
    """``new`` on the remote class: resolves to a ``Remote`` for the new instance."""
    return _link_of(remote).send(wire.CONSTRUCT, _path_of(remote), args=args, kwargs=kwargs)


def assign(remote: Remote[Any], value: Any) -> asyncio.Future[bool]:
    """Set the remote attribute (or key) that ``remote`` names to ``value`` (Comlink's SET)."""
    path = _path_of(remote)
    if not path:
        raise TypeError("assign needs a path such as remote.attribute")
    return _link_of(remote).send(wire.SET, path, value=value)


def create_endpoint(remote: Remote[Any]) -> asyncio.Future[Endpoint]:
    """A new endpoint serving the same remote object (Comlink's ``createEndpoint``)."""
    return _link_of(remote).send(wire.ENDPOINT)


def release(remote: Remote[Any]) -> asyncio.Future[None]:
    """Release the remote object: its finalizer runs and every ``Remote`` of this wrap stops working.

    Returns a future done once the peer acknowledged (awaiting it is optional)."""
    return _link_of(remote).release()


def _serve_proxy(obj: Any, endpoint: Endpoint) -> None:
    """Serve a ``proxy()`` value: with the options of the exposer whose answer holds it, if any."""
    exposer = answering.get()
    if exposer is None:
        expose(obj, endpoint)
    else:
        exposer.serve(obj, endpoint)


PROXY_HANDLER.bind(_serve_proxy, wrap)  # proxy() values are served and wrapped here
