"""Streams: generators and async iterators across the boundary, pulled in batches.

The ``comlink_py.stream`` transfer handler sends an iterable as a MessagePort over which the producer
is exposed as a pull object (``pull(n)`` answers ``{"items": [...], "done": bool}``, ``close()``),
speaking Comlink's own protocol. The receiver gets an async iterator (``RemoteStream``) that keeps at
most ``window`` pulls of ``batch`` items in flight, so the producer never runs further ahead than
that (back-pressure without unbounded buffers). The JS shim registers the same handler name with
Comlink, so a real Comlink peer streams too. See docs/streams.md and docs/wire-format.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections import deque
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, Generic, TypeVar, cast

from .aio import Remote, expose, release, wrap
from .protocol.exposing import answering
from .protocol.handlers import Transferred, register_built_in, transfer
from .protocol.policy import exposed

if TYPE_CHECKING:
    from .protocol.endpoint import Endpoint

__all__ = ["HANDLER_NAME", "RemoteStream", "stream"]

T = TypeVar("T")
log = logging.getLogger("comlink_py")

#: The transfer handler's name, the same in comlink_py and in the JS shim.
HANDLER_NAME: Final = "comlink_py.stream"
#: Items per pull, and pulls in flight, unless the producer's ``stream()`` says otherwise.
DEFAULT_BATCH: Final = 256
DEFAULT_WINDOW: Final = 2
_MAX_BATCH: Final = 65536


class _Marked:
    """``stream(source)``: an iterable to send as a stream, with the consumer's suggested window."""

    __slots__ = ("batch", "source", "window")

    def __init__(self, source: Iterable[Any] | AsyncIterable[Any], batch: int, window: int) -> None:
        self.source, self.batch, self.window = source, batch, window


def stream(
    source: Iterable[T] | AsyncIterable[T], *, batch: int = DEFAULT_BATCH, window: int = DEFAULT_WINDOW
) -> AsyncIterator[T]:
    """Mark ``source`` (any iterable or async iterable) to cross as a stream; generators and async
    generators returned or passed need no mark. The receiver pulls up to ``batch`` items per round
    trip with at most ``window`` pulls in flight; items marked with ``transfer()`` are moved."""
    if not 1 <= batch <= _MAX_BATCH or not 1 <= window <= 64:
        raise ValueError(f"batch must be in 1..{_MAX_BATCH} and window in 1..64")
    return cast(AsyncIterator[T], _Marked(source, batch, window))


def _count(n: Any) -> int:
    if type(n) is float and n.is_integer():
        n = int(n)
    if type(n) is not int or not 1 <= n <= _MAX_BATCH:
        raise ValueError(f"pull(n) needs an integer n in 1..{_MAX_BATCH}")
    return n


class _Producer:
    """The pull object served for one stream. Its state is private, so the exposure policy lets a
    caller reach ``pull`` and ``close`` only, never the generator (strict mode, see ``_serve``)."""

    def __init__(self, source: Iterable[Any] | AsyncIterable[Any]) -> None:
        self._iter: Any = None
        self._aiter: Any = None
        if isinstance(source, AsyncIterable):
            self._aiter = aiter(source)
        else:
            self._iter = iter(source)
        self._waiters: deque[tuple[asyncio.Future[Any], int]] = deque()
        self._wanted = 0  # items the waiters asked for in all
        self._ready: deque[Any] = deque()
        self._pump: asyncio.Task[None] | None = None
        self._flushing = False
        self._finished = False
        self._error: BaseException | None = None
        self._closing: asyncio.Task[None] | None = None

    @exposed
    def pull(self, n: int) -> Any:
        """The next at most ``n`` items: ``{"items": [...], "done": bool}`` (a future for async sources)."""
        count = _count(n)
        if self._iter is not None:
            return self._pull_sync(count)
        return self._pull_async(count)

    def _pull_sync(self, count: int) -> Any:
        items: list[Any] = []
        error, self._error = self._error, None
        if error is not None:
            raise error
        if self._finished:
            return _batch(items, True)
        iterator = self._iter
        try:
            for _ in range(count):
                items.append(next(iterator))
        except StopIteration:
            self._finished = True
        except Exception as error:
            self._finished = True
            if not items:
                raise
            self._error = error  # the items before it go first; the next pull raises it
            return _batch(items, False)
        return _batch(items, self._finished)

    def _pull_async(self, count: int) -> asyncio.Future[Any]:
        waiter: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiters.append((waiter, count))
        self._wanted += count
        if self._pump is None and not self._finished:
            self._pump = asyncio.ensure_future(self._run())
        self._flush()
        return waiter

    async def _run(self) -> None:
        """Run the async source while the waiters want more than is ready, and no further."""
        loop = asyncio.get_running_loop()
        try:
            while self._wanted > len(self._ready):
                self._ready.append(await anext(self._aiter))
                if not self._flushing:
                    self._flushing = True
                    loop.call_soon(self._flush)
        except (StopAsyncIteration, asyncio.CancelledError):  # cancelled: only by close()
            self._finished = True
        except Exception as error:
            self._finished = True
            self._error = error
        finally:
            self._pump = None
            self._flush()

    def _flush(self) -> None:
        """Answer the waiters in order with what is ready (a batch holds what the source gave
        before it next waited, so a slow source is not held up to fill a batch)."""
        self._flushing = False
        ready, waiters = self._ready, self._waiters
        while waiters and (ready or self._finished):
            waiter, count = waiters.popleft()
            self._wanted -= count
            items = [ready.popleft() for _ in range(min(count, len(ready)))]
            if waiter.done():
                continue
            if not items and self._error is not None:
                error, self._error = self._error, None
                waiter.set_exception(error)
            else:
                waiter.set_result(_batch(items, self._finished and not ready and self._error is None))

    @exposed
    def close(self) -> Any:
        """Close the source (its ``finally`` runs); later pulls answer done."""
        if self._iter is not None:
            self._finished = True
            closer = getattr(self._iter, "close", None)
            if callable(closer):
                closer()
            return None
        if self._closing is None:
            self._closing = asyncio.ensure_future(self._close_async())
        return asyncio.shield(self._closing)

    async def _close_async(self) -> None:
        self._finished = True
        pump = self._pump
        if pump is not None:
            pump.cancel()
            with contextlib.suppress(BaseException):
                await pump
        self._error = None
        self._ready.clear()
        self._flush()
        closer = getattr(self._aiter, "aclose", None)
        if callable(closer):
            await closer()

    def __comlink_finalizer__(self) -> None:
        """The consumer released the stream or went away: close the source."""
        closing = self.close()
        if closing is not None:
            closing.add_done_callback(_log_failure)


def _log_failure(future: asyncio.Future[Any]) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("closing a stream's source failed", exc_info=future.exception())


def _batch(items: list[Any], done: bool) -> Any:
    """One pull's answer; items marked with ``transfer()`` travel unwrapped, their buffers moved."""
    moved: list[Any] = []
    for i, item in enumerate(items):
        if type(item) is Transferred:
            moved.extend(item.transferables)
            items[i] = item.obj
    answer = {"items": items, "done": done}
    return transfer(answer, moved) if moved else answer


class RemoteStream(AsyncIterator[T], Generic[T]):
    """A stream from the other side: ``async for item in stream``. Leaving the loop early and
    dropping the stream (or ``await stream.aclose()``, or ``async with stream``) closes the producer.

    ``batch`` and ``window`` (the producer's suggestion) may be changed before the first item."""

    def __init__(self, remote: Remote[Any], batch: int, window: int) -> None:
        self.batch = batch
        self.window = window
        self._remote: Remote[Any] | None = remote
        self._pulls: deque[asyncio.Future[Any]] = deque()
        self._buffer: deque[Any] = deque()
        self._done = False  # the producer said done: no more pulls

    def __aiter__(self) -> RemoteStream[T]:
        return self

    async def __anext__(self) -> T:
        buffer = self._buffer
        while not buffer:
            remote = self._remote
            if remote is None:
                raise StopAsyncIteration
            pulls = self._pulls
            while len(pulls) < self.window and not self._done:
                pulls.append(remote.pull(self.batch))
            try:
                answer = await pulls.popleft()
                items, done = answer["items"], answer["done"]
            except BaseException:
                self._finish()
                raise
            buffer.extend(items)
            if done:
                self._done = True
                self._finish()
        return cast(T, buffer.popleft())

    async def aclose(self) -> None:
        """Stop early: the producer is closed (its ``finally`` has run when this returns)."""
        remote = self._remote
        if remote is None:
            return
        self._buffer.clear()
        self._cancel_pulls()
        try:
            if not self._done:
                await remote.close()
        finally:
            self._finish()

    async def __aenter__(self) -> RemoteStream[T]:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def _cancel_pulls(self) -> None:
        while self._pulls:
            self._pulls.popleft().cancel()

    def _finish(self) -> None:
        """Release the producer's port (its finalizer closes a source not yet done)."""
        self._cancel_pulls()
        remote, self._remote = self._remote, None
        if remote is not None:
            with contextlib.suppress(Exception):
                release(remote).add_done_callback(_ignore)

    def __del__(self) -> None:
        # Pending pulls keep the port's link alive; cancelling them lets the release go out now.
        with contextlib.suppress(Exception):
            self._cancel_pulls()


def _ignore(future: asyncio.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _serve(source: Iterable[Any] | AsyncIterable[Any], endpoint: Endpoint) -> Endpoint:
    """Expose a producer for ``source`` on a new channel of ``endpoint``; returns the far port.
    Served in strict mode, with the allowed origins of the exposer whose answer holds the stream."""
    new_channel = getattr(endpoint, "new_channel", None)
    if new_channel is None:
        raise TypeError(f"{type(endpoint).__name__} cannot open channels, so a stream cannot cross it")
    near, far = new_channel()
    producer = _Producer(source)
    exposer = answering.get()
    expose(producer, near, ("*",) if exposer is None else exposer.allowed_origins, strict=True)
    add_close_listener = getattr(near, "add_close_listener", None)
    if add_close_listener is not None:
        add_close_listener(producer.__comlink_finalizer__)
    return cast("Endpoint", far)


class _StreamHandler:
    """``comlink_py.stream``: generators, async generators and ``stream()``-marked iterables."""

    def can_handle(self, value: Any) -> bool:
        return type(value) is _Marked or inspect.isgenerator(value) or inspect.isasyncgen(value)

    def serialize(self, value: Any, endpoint: Endpoint) -> tuple[Any, Sequence[Any]]:
        batch, window = DEFAULT_BATCH, DEFAULT_WINDOW
        if type(value) is _Marked:
            value, batch, window = value.source, value.batch, value.window
        port = _serve(value, endpoint)
        return {"port": port, "batch": batch, "window": window}, [port]

    def deserialize(self, value: Any, endpoint: Endpoint) -> RemoteStream[Any]:
        if not isinstance(value, dict) or value.get("port") is None:
            raise TypeError("a comlink_py.stream value needs a port")
        batch, window = value.get("batch", DEFAULT_BATCH), value.get("window", DEFAULT_WINDOW)
        try:
            batch, window = _count(batch), max(1, min(64, _count(window)))
        except ValueError:
            batch, window = DEFAULT_BATCH, DEFAULT_WINDOW
        return RemoteStream(wrap(value["port"]), batch, window)


_HANDLER: Final = _StreamHandler()
register_built_in(HANDLER_NAME, _HANDLER)  # like "proxy": it never takes an atom
