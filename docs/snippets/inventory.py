"""An object for a worker process to serve (docs/processes.md spawns it)."""

import asyncio
import os

from comlink_py.process import serve


class Inventory:
    def __init__(self):
        self.items = {"apple": 3}

    def add(self, name, count=1):
        self.items[name] = self.items.get(name, 0) + count
        return self.items[name]

    def pid(self):
        return os.getpid()

    def take(self, name):
        if name not in self.items:
            raise KeyError(name)
        return self.items.pop(name)

    async def restock(self, supplier):
        # supplier is a proxy() from the parent: each call runs in the parent process
        for name in self.items:
            self.items[name] += await supplier(name)
        return self.items

    async def audit(self, seconds):
        await asyncio.sleep(seconds)
        return sum(self.items.values())


inventory = Inventory()


def serve_forever(sock):
    """A multiprocessing target: serve the inventory on an inherited socket."""
    asyncio.run(serve(inventory, sock))
