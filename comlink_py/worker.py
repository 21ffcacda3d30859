"""``python -m comlink_py.worker module:object --fd N``: serve one object to the parent process.

``comlink_py.process.spawn`` starts this with one end of a socket pair as file descriptor ``N``.
The worker exits when the connection closes (the parent closed it, released the object, or died).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
from collections.abc import Sequence

from .process import serve_target


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m comlink_py.worker", description=__doc__)
    parser.add_argument("target", help="the object to expose, as 'package.module:name'")
    parser.add_argument("--fd", type=int, required=True, help="a connected stream socket's file descriptor")
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    try:
        asyncio.run(serve_target(args.target, sock))
    except Exception:
        return 1  # the parent was sent the traceback
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
