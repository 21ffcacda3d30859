"""Blocking calls from a Pyodide worker: ``host_sync()`` and ``input()`` reading from the host.

The shim hands this module the shared-memory links it made as it boots the worker
(``set_host_link``, ``set_stdin_link``); their endpoints are ``comlink_py.pyodide.shared``'s
``SharedEndpoint``s, which ``wrap_sync`` turns into ``SyncRemote``s.
"""

from __future__ import annotations

import builtins
import io
import sys
from typing import Any

from .blocking import SyncRemote, wrap_sync
from .pyodide.shared import SharedEndpoint, install, link_endpoint, open_link

__all__ = ["SharedEndpoint", "host_sync", "install", "open_link", "set_host_link", "set_stdin_link"]

_host_link: Any = None
_host_remotes: dict[float | None, SyncRemote[Any]] = {}
_stdin: SyncRemote[Any] | None = None


def set_host_link(link: Any) -> None:
    """Set the ``SharedLink`` to the host's object (the shim does), or the reason there is none."""
    global _host_link
    _host_link = link
    _host_remotes.clear()


def host_sync(*, timeout: float | None = None) -> SyncRemote[Any]:
    """A ``SyncRemote`` for the object the starting thread exposed (the shim's ``host`` option):
    ``comlink_py.js.host()``'s blocking twin. One per ``timeout``, made on first use, as each
    listens on the channel for as long as the worker lives."""
    if _host_link is None:
        raise RuntimeError("this worker was started without a host object (the shim's 'host' option)")
    remote = _host_remotes.get(timeout)
    if remote is None:
        remote = _host_remotes[timeout] = wrap_sync(link_endpoint(_host_link), timeout=timeout)
    return remote


class _HostStdin(io.TextIOBase):
    """``sys.stdin`` reading lines from the host's ``stdin(prompt)`` function."""

    def readable(self) -> bool:
        return True

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        return _read_line("")

    def read(self, size: int | None = -1) -> str:
        return _read_line("")


def _read_line(prompt: str) -> str:
    """One line from the host; an empty string is the end of input (the host gave no string)."""
    assert _stdin is not None
    line = _stdin.line(prompt)
    if not isinstance(line, str):  # null (jsnull) or undefined: the end of input
        return ""
    return line if line.endswith("\n") else f"{line}\n"


def _input(prompt: object = "") -> str:
    line = _read_line(str(prompt))
    if not line:
        raise EOFError("EOF when reading a line")
    return line.removesuffix("\n")


def set_stdin_link(link: Any) -> None:
    """Make ``input()`` and ``sys.stdin`` read from the host's ``stdin`` option through ``link``."""
    global _stdin
    _stdin = wrap_sync(link_endpoint(link))
    sys.stdin = _HostStdin()
    builtins.input = _input
