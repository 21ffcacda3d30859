"""Comlink 4.4.2's wire protocol in pure Python: expose and wrap objects across workers."""

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
from .channel import MessageChannel, MessagePort
from .clone import DataCloneError, structured_clone
from .endpoint import Endpoint, MessageEvent
from .handlers import (
    RemoteError,
    ThrownValue,
    TransferHandler,
    finalizer,
    proxy,
    transfer,
    transfer_handlers,
)
from .wire import ProtocolError

__all__ = [
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
