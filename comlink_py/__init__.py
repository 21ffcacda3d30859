"""Comlink 4.4.2's wire protocol in pure Python: expose and wrap objects across workers."""

from . import js  # noqa: F401  # gives expose() its default endpoint in Pyodide workers
from .abort import AbortError, Cancellation
from .aio import (
    ConnectionClosedError,
    Exposed,
    ReleasedProxyError,
    Remote,
    assign,
    construct,
    create_endpoint,
    expose,
    release,
    wrap,
)
from .blocking import SyncRemote, wrap_sync
from .protocol.endpoint import Endpoint, MessageEvent
from .protocol.handlers import (
    RemoteError,
    ThrownValue,
    TransferHandler,
    finalizer,
    proxy,
    transfer,
    transfer_handlers,
)
from .protocol.policy import exposed
from .protocol.wire import ProtocolError
from .transport.channel import MessageChannel, MessagePort
from .transport.clone import DataCloneError, structured_clone

__all__ = [
    "AbortError",
    "Cancellation",
    "ConnectionClosedError",
    "DataCloneError",
    "Endpoint",
    "Exposed",
    "MessageChannel",
    "MessageEvent",
    "MessagePort",
    "ProtocolError",
    "ReleasedProxyError",
    "Remote",
    "RemoteError",
    "SyncRemote",
    "ThrownValue",
    "TransferHandler",
    "assign",
    "construct",
    "create_endpoint",
    "expose",
    "exposed",
    "finalizer",
    "proxy",
    "release",
    "structured_clone",
    "transfer",
    "transfer_handlers",
    "wrap",
    "wrap_sync",
]
__version__ = "0.1.0"
