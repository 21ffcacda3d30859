"""Main module of the stream rows' Pyodide worker (started by ``node/streams.mjs`` with js_shim)."""

from __future__ import annotations

from stream_source import source

import comlink_py

comlink_py.expose(source)
