"""The Python side of streams.html: generators for a page in Chromium to read with for-await."""

import asyncio

import comlink_py
from comlink_py import transfer

log = []


class Api:
    def rows(self, n):
        try:
            for i in range(n):
                yield {"i": i, "v": "x"}
        finally:
            log.append("rows closed")

    async def ticks(self, n):
        for i in range(n):
            await asyncio.sleep(0)
            yield i

    def chunks(self, n, size):
        for i in range(n):
            chunk = bytearray([i]) * size
            yield transfer(chunk, [chunk])

    def boom(self):
        yield 1
        raise KeyError("no such row")

    async def collect(self, items):
        return [x async for x in items]

    def log(self):
        return log


comlink_py.expose(Api())
