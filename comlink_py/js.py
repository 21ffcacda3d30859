"""Pyodide: JS endpoints as ``Endpoint`` objects, and the worker's start-up API (the public names)."""

from __future__ import annotations

from .pyodide.endpoint import (
    JsArrayBuffer,
    JsEndpoint,
    default_endpoint,
    host,
    run_main,
    set_default_endpoint,
    set_host_endpoint,
    window_endpoint,
)

__all__ = [
    "JsArrayBuffer",
    "JsEndpoint",
    "default_endpoint",
    "host",
    "run_main",
    "set_default_endpoint",
    "set_host_endpoint",
    "window_endpoint",
]
