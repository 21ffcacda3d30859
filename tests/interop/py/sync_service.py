"""The Python worker of tests/interop/js/sync.mjs: each method makes blocking calls to JS objects
exposed with the real Comlink.expose (the shim's host, or a channel the driver serves) and reports
what it saw, for tests/interop/test_sync.py to compare."""

from __future__ import annotations

import time
from typing import Any

import comlink_py
from comlink_py import blocking
from comlink_py.shared import host_sync, open_link

host = host_sync(timeout=60)


def _error(call: Any) -> list[Any]:
    started = time.perf_counter()
    try:
        call()
    except BaseException as error:  # the class is what is reported
        return [type(error).__name__, str(error), time.perf_counter() - started]
    return ["no error"]


def _interrupted(remote: Any, call: Any) -> list[Any]:
    import js  # type: ignore[import-not-found]

    try:
        call()
    except KeyboardInterrupt:
        seen = js.Date.now()
    else:
        return ["not interrupted"]
    pending = len(object.__getattribute__(remote, "_link").caller.pending)
    return [seen, pending, remote.add(2, 3)]


class Service:
    def values(self) -> dict[str, Any]:
        wide = host.echo({"list": [1, "two", None], "flag": True, "nested": {"x": 1.5}})
        return {
            "add": host.add(1, 2),
            "get": blocking.get(host.name),
            "get_deep": blocking.get(host.nested.deep.value),
            "echo": wide,
            "bytes": list(host.echo(bytearray(b"\x01\x02\x03"))),
            "awaited": host.later(21),
            "null": type(host.nothing()).__name__,
            "bigint": [type(big := host.huge()).__name__, str(big)],
        }

    def errors(self) -> dict[str, Any]:
        caught = _error(host.fail)
        return {"type_error": caught[:2], "missing": _error(host.no_such_method)[0]}

    def shortcut_taken(self) -> list[Any]:
        """Whether a call of atoms went through the endpoint's call_atoms, and its one JS call."""
        link = object.__getattribute__(host, "_link")
        through = link.call_atoms
        calls: list[str] = []

        def counted(*args: Any) -> Any:
            calls.append(args[0])
            return through(*args)

        link.call_atoms = counted
        try:
            answer = host.add(1, 2)
        finally:
            link.call_atoms = through
        return [answer, calls, link.endpoint._call is not None]

    def unshortcut(self) -> dict[str, Any]:
        """values, errors and callbacks again, with the Pyodide fast path's shortcuts switched off."""
        from comlink_py.pyodide import fastpath

        fastpath.ENABLED = False
        try:
            return {"values": self.values(), "errors": self.errors(), "callbacks": self.callbacks()}
        finally:
            fastpath.ENABLED = True

    def big(self, size: int) -> list[Any]:
        data = host.big(size)
        return [type(data).__name__, len(data), data[0], data[size // 2], data[size - 1]]

    def callbacks(self) -> dict[str, Any]:
        seen: list[int] = []

        def on_step(step: int) -> int:
            seen.append(step)
            return step * 10

        total = host.walk(3, comlink_py.proxy(on_step))
        host.keep(comlink_py.proxy(on_step))
        kept_total = host.walkKept(2)  # atoms only: the call's answer is not the first to arrive
        return {"total": total, "kept_total": kept_total, "seen": seen}

    def proxies(self) -> dict[str, Any]:
        counter = host.makeCounter()
        made = blocking.construct(host.Counter, 5)
        blocking.assign(host.name, "changed")
        out = {
            "returned": [type(counter).__name__, counter.inc(), counter.inc()],
            "constructed": [made.inc(), made.inc()],
            "assigned": blocking.get(host.name),
        }
        blocking.release(made)
        out["released"] = _error(lambda: made.inc())[0]
        return out

    def endpoints(self) -> list[Any]:
        """create_endpoint: a second channel to the host's object, served by JS Comlink.expose."""
        endpoint = blocking.create_endpoint(host)
        second = blocking.wrap_sync(endpoint, timeout=60)
        out = [type(endpoint).__name__, second.add(2, 3), blocking.get(second.nested.deep.value)]
        blocking.release(second)
        return [*out, _error(lambda: second.add(1, 1))[0], host.add(1, 1)]

    def interruptible(self) -> list[Any]:
        """Blocked on the host until the shim's interrupt(): when Python saw it (Date.now()), what
        stayed pending, and the next call."""
        return _interrupted(host, host.never)

    def peer_interruptible(self) -> list[Any]:
        """The same on a channel the host only relays (its interrupt() cannot wake it)."""
        peer = blocking.wrap_sync(open_link(*self._channel), timeout=30)
        return _interrupted(peer, peer.never)

    def timeout(self) -> list[Any]:
        quick = blocking.wrap_sync(open_link(*self._channel), timeout=0.5)
        caught = _error(quick.never)
        return [*caught[:2], caught[2] < 2.0, quick.add(1, 1)]

    def keep_channel(self, port: Any, buffer: Any) -> str:
        self._channel = (port, buffer)
        return type(buffer).__name__

    def dead_peer(self) -> list[Any]:
        remote = blocking.wrap_sync(open_link(*self._channel))
        caught = _error(remote.never)
        return [caught[0], caught[2] < 1.0, _error(remote.add)[0]]

    def peer_calls(self) -> list[Any]:
        peer = blocking.wrap_sync(open_link(*self._channel), timeout=30)
        return [peer.add(2, 3), peer.greet("A")]

    def peer_endpoint(self) -> list[Any]:
        peer = blocking.wrap_sync(open_link(*self._channel), timeout=30)
        second = blocking.wrap_sync(blocking.create_endpoint(peer), timeout=30)
        return [second.greet("B"), peer.add(1, 1)]

    def peer_dies(self) -> list[Any]:
        peer = blocking.wrap_sync(open_link(*self._channel))
        caught = _error(peer.never)
        return [caught[0], caught[2] < 1.0]

    def garbage(self) -> list[Any]:
        """Malformed messages on the host's channel, by the MessagePort and through memory: the
        host drops them (its process goes on) and the next call is answered."""
        import js  # type: ignore[import-not-found]

        from comlink_py import shared

        link = shared._host_link
        link.port.postMessage("not an envelope")
        link.port.postMessage(js.Array.new())
        link.writer.send(js.Uint8Array.new([99, 1, 2]))
        return [host.add(1, 1), host.add(2, 2)]

    def no_buffer(self) -> list[Any]:
        remote = blocking.wrap_sync(open_link(None, "no SharedArrayBuffer: set Cross-Origin-Opener-Policy"))
        return _error(lambda: remote.add(1, 2))[:2]

    def stdin(self) -> list[Any]:
        import sys

        first = input("name? ")
        second = sys.stdin.readline()
        return [first, second, _error(input)[0]]


comlink_py.expose(Service())
