"""A typed client: ``wrap(port, Api)`` is a ``Remote[Api]`` that mypy checks like ``Api`` itself.

Run it with ``python examples/typed_client.py``; type-check it with ``mypy --strict`` and
``plugins = ["comlink_py.mypy_plugin"]`` (tests/test_typing.py does both).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Protocol

import comlink_py


class Counter:
    def __init__(self, start: int) -> None:
        self.value = start

    def increment(self, by: int = 1) -> int:
        self.value += by
        return self.value


@dataclass
class Settings:
    name: str = "demo"
    tags: list[str] = field(default_factory=lambda: ["a", "b"])


class Api:
    """What the serving side exposes. The client only needs it for typing."""

    version: str = "1.0"
    Counter = Counter

    def __init__(self) -> None:
        self.settings = Settings()

    def add(self, a: int, b: int) -> int:
        return a + b

    async def greet(self, name: str) -> str:
        await asyncio.sleep(0)
        return f"hello {name}"


class Greeter(Protocol):
    """A client may also describe just the part it uses, as a Protocol."""

    async def greet(self, name: str) -> str: ...


async def main() -> None:
    channel = comlink_py.MessageChannel()
    comlink_py.expose(Api(), channel.port2)

    api = comlink_py.wrap(channel.port1, Api)
    total: int = await api.add(1, 2)  # add(a: int, b: int) -> Future[int]
    greeting: str = await api.greet("typed")  # async methods are awaited once, not twice
    version: str = await api.version  # data attributes are Remote[str], awaitable to str
    name: str = await api.settings.name  # paths go as deep as the type goes
    counter = await comlink_py.construct(api.Counter, 10)  # Remote[Counter]
    after: int = await counter.increment(by=5)
    print(total, greeting, version, name, after)
    await comlink_py.release(counter)

    greeter = comlink_py.wrap(await comlink_py.create_endpoint(api), Greeter)
    print(await greeter.greet("protocol"))
    await comlink_py.release(greeter)
    await comlink_py.release(api)


if __name__ == "__main__":
    asyncio.run(main())
