"""A localhost static server for the browser examples: the repo root plus a file list of comlink_py.

Browsers cannot list a directory, so the worker bootstraps in ``js_shim/`` fetch
``/comlink_py/files.json`` (made here from the package folder on each request, so it is never stale)
and then each listed file. Everything else is plain static files, ``node_modules/`` included: no CDN.
An installed ``comlink-py-shim`` needs none of this: its tarball carries its own files.json.

Run ``python examples/workers/serve.py`` and open the printed URL.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
from collections.abc import Callable
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from os import PathLike
from pathlib import Path
from typing import Any

__all__ = ["MANIFEST_PATH", "ROOT", "StaticServer", "package_files"]

ROOT = Path(__file__).resolve().parents[2]
MANIFEST_PATH = "/comlink_py/files.json"

# Module scripts and WebAssembly streaming compile need exact MIME types; the system table may lack them.
_TYPES = {
    ".mjs": "text/javascript",
    ".js": "text/javascript",
    ".wasm": "application/wasm",
    ".py": "text/plain",
}


def package_files(package: Path) -> list[str]:
    """The package's files that Python needs, as paths relative to the package folder."""
    return sorted(
        p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file()
        and (p.suffix in (".py", ".mjs") or p.name == "py.typed")
        and "__pycache__" not in p.parts
    )


class _Handler(SimpleHTTPRequestHandler):
    def __init__(
        self, *args: Any, on_error: Callable[[str, int], None], isolated: bool, **kwargs: Any
    ) -> None:
        self._on_error = on_error
        self._isolated = isolated
        super().__init__(*args, **kwargs)  # this handles the request, so it comes last

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path == MANIFEST_PATH:
            self._send_json(package_files(Path(self.directory) / "comlink_py"))
        elif path == "/favicon.ico":
            self.send_response(HTTPStatus.NO_CONTENT)
            self.end_headers()
        else:
            super().do_GET()

    def guess_type(self, path: str | PathLike[str]) -> str:
        return _TYPES.get(Path(path).suffix) or super().guess_type(path)

    def _send_json(self, value: Any) -> None:
        body = json.dumps(value).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # edits show up on reload
        if self._isolated:
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def send_response(self, code: int, message: str | None = None) -> None:
        if code >= 400:
            self._on_error(self.path, code)
        super().send_response(code, message)

    def log_message(self, format: str, *args: Any) -> None:
        pass


class StaticServer:
    """Serves ``root`` on ``host``:``port`` (0 picks a free port) from a daemon thread.

    ``errors`` lists every request answered with a 4xx/5xx status as ``(path, status)``, so a test
    can fail on a missing file that the page itself would only notice as a hang. ``isolated``
    serves every file with the headers that make its pages cross-origin isolated, where
    ``performance.now()`` reads to 5 µs instead of 100 µs (the benchmarks need that).
    """

    def __init__(
        self, root: Path = ROOT, host: str = "127.0.0.1", port: int = 0, *, isolated: bool = False
    ) -> None:
        self.errors: list[tuple[str, int]] = []
        self._host = host
        handler = partial(_Handler, directory=str(root), on_error=self._record, isolated=isolated)
        self._httpd = ThreadingHTTPServer((host, port), handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="static-server", daemon=True)

    def _record(self, path: str, status: int) -> None:
        self.errors.append((path, status))

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._httpd.server_port}"

    def __enter__(self) -> StaticServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description="Serve the repository for the browser examples.")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args()
    with StaticServer(port=args.port, isolated=True) as server:  # blocking calls need isolation
        print(f"serving {ROOT} at {server.url}/examples/workers/comlink_rpc.html (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
