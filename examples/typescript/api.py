"""The Python side of the TypeScript example (docs/typescript.md): an API whose type hints become
TypeScript declarations with `python -m comlink_py.typescript api:Api > api.d.ts`, run as a
worker's main file by the shim (`startPythonWorker<Api>({ file: "api.py" })`)."""

from __future__ import annotations

import asyncio
from typing import Any, Final, Literal, NotRequired, TypedDict

import comlink_py


class Point(TypedDict):
    x: float
    y: float
    label: NotRequired[str]


class Stats(TypedDict):
    count: int
    mean: float | None


class Api:
    version = "1.0"
    limit: Final[int] = 3
    mode: Literal["fast", "safe"] = "fast"

    class Journal:
        def __init__(self, title: str = "notes") -> None:
            self.lines = [title]

        def write(self, line: str, *more: str) -> int:
            self.lines += [line, *more]
            return len(self.lines)

    def add(self, a: int, b: int) -> int:
        return a + b

    async def greet(self, name: str, punctuation: str | None = None) -> str:
        await asyncio.sleep(0)
        return f"hello {name}{punctuation or ''}"

    def move(self, point: Point, dx: float) -> Point:
        return {**point, "x": point["x"] + dx}

    def stats(self, values: list[float], *, rounded: bool = False) -> Stats:
        mean = sum(values) / len(values) if values else None
        return {"count": len(values), "mean": round(mean) if rounded and mean is not None else mean}

    def tally(self, words: list[str]) -> dict[str, int]:
        return {word: words.count(word) for word in words}

    def echo(self, value: Any) -> Any:
        return value

    def checksum(self, data: bytes) -> bytes:
        return bytes([sum(bytes(data)) % 256])

    def split(self, pair: tuple[str, int]) -> list[str]:
        return [pair[0]] * pair[1]

    def nothing(self) -> None:
        return None

    @property
    def size(self) -> int:
        return 3


if __name__ == "__main__":
    comlink_py.expose(Api())
