"""A complete script: expose an object and call it, in one process (docs/quickstart.md shows it).

Run it with a Python that has comlink_py (in a clone, the project's venv:
``.venv/bin/python docs/snippets/counter_script.py``); it prints ``3 [1, 2, 3]``.
"""

import asyncio

import comlink_py


class Counter:
    def __init__(self):
        self.value = 0

    def add(self, n=1):
        self.value += n
        return self.value


async def main():
    channel = comlink_py.MessageChannel()
    comlink_py.expose(Counter(), channel.port2)
    counter = comlink_py.wrap(channel.port1)
    steps = await asyncio.gather(*(counter.add() for _ in range(3)))  # three calls in flight
    print(await counter.value, steps)
    await comlink_py.release(counter)


asyncio.run(main())
