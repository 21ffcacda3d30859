"""TypeScript declarations generated from Python type hints (comlink_py.typescript), checked by the
real TypeScript compiler from npm: a correct client compiles, and a client that misuses the API
gets exactly the errors its lines are marked with."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import re
import subprocess
import sys
from collections.abc import Awaitable, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, NewType, Optional, TypedDict, Union

import pytest

from comlink_py.typescript import declarations

ROOT = Path(__file__).resolve().parent.parent
TSC = ROOT / "node_modules" / ".bin" / "tsc"
CLIENTS = ROOT / "tests" / "typescript"
EXAMPLE = ROOT / "examples" / "typescript"
TSC_FLAGS = ["--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext"]
# Pyodide's own declarations need the types of Node and Emscripten and esnext's Symbol.dispose.
TSC_FLAGS += ["--target", "es2022", "--lib", "esnext,dom", "--types", "node,emscripten"]
ERROR = re.compile(r"^(?P<file>[^(\s]+)\((?P<line>\d+),\d+\): error (?P<code>TS\d+): ", re.MULTILINE)
MARK = re.compile(r"// (TS\d+) ")


def tsc(folder: Path, *files: str, out: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real compiler on files of `folder`, which sees this repository's node_modules (the shim
    is installed there under its npm name, from js_shim/): a check, or a build into `out`."""
    link = folder / "node_modules"
    if not link.exists():
        link.symlink_to(ROOT / "node_modules", target_is_directory=True)
    flags = TSC_FLAGS if out is None else [*(f for f in TSC_FLAGS if f != "--noEmit"), "--outDir", out]
    return subprocess.run([str(TSC), *flags, *files], cwd=folder, capture_output=True, text=True, timeout=120)


def errors(result: subprocess.CompletedProcess[str]) -> set[tuple[str, int, str]]:
    return {(m["file"], int(m["line"]), m["code"]) for m in ERROR.finditer(result.stdout)}


@pytest.fixture(scope="module")
def checked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with api.d.ts written by the command line from examples/typescript/api.py, and the
    clients of tests/typescript/."""
    folder = tmp_path_factory.mktemp("ts")
    generated = subprocess.run(
        [sys.executable, "-m", "comlink_py.typescript", "api:Api"],
        cwd=EXAMPLE,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert generated.returncode == 0, generated.stderr
    (folder / "api.d.ts").write_text(generated.stdout)
    for client in CLIENTS.glob("*.ts"):
        (folder / client.name).write_text(client.read_text())
    return folder


def marked(name: str) -> set[tuple[str, int, str]]:
    """The errors the lines of tests/typescript/`name` say they must get: `// TS1234 why`."""
    lines = (CLIENTS / name).read_text().splitlines()
    return {(name, n, code) for n, line in enumerate(lines, 1) for code in MARK.findall(line)}


@pytest.fixture(scope="module")
def reported(checked: Path) -> tuple[set[tuple[str, int, str]], str]:
    """One run of tsc on every client of tests/typescript/ (it takes seconds), and its output."""
    result = tsc(checked, *sorted(p.name for p in CLIENTS.glob("*.ts")))
    return errors(result), result.stdout + result.stderr


@pytest.mark.parametrize(
    "client",
    [
        "wrap_client.ts",  # correct uses of every kind of member: no error
        "misuse.ts",
        # js_shim's declarations, found through the package's exports ("types" conditions) under
        # its npm name; correct uses on the unmarked lines
        "browser_client.ts",
        "node_misuse.ts",
    ],
)
def test_each_client_gets_exactly_its_marked_errors(
    reported: tuple[set[tuple[str, int, str]], str], client: str
) -> None:
    found, output = reported
    assert {e for e in found if e[0] == client} == marked(client), output
    assert {e[0] for e in found} <= {"misuse.ts", "browser_client.ts", "node_misuse.ts"}, output
    assert client == "wrap_client.ts" or len(marked(client)) >= 5


@pytest.mark.timeout(180)
def test_the_example_client_compiles_and_runs_against_python(checked: Path) -> None:
    """examples/typescript/client.ts, type-checked against api.d.ts and compiled by tsc, runs in
    Node and calls api.py in a real Pyodide worker through the shim: the types tell the truth."""
    for name in ("client.ts", "api.py"):
        (checked / name).write_text((EXAMPLE / name).read_text())
    (checked / "package.json").write_text('{"type": "module", "private": true}')
    compiled = tsc(checked, "client.ts", out="out")
    assert compiled.returncode == 0, compiled.stdout
    (checked / "out" / "api.py").write_text((EXAMPLE / "api.py").read_text())
    ran = subprocess.run(["node", "out/client.js"], cwd=checked, capture_output=True, text=True, timeout=150)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert ran.stdout.strip() == "client.ts: every call type-checked and answered"


# -- the mapping, type by type ---------------------------------------------------------------------

Meters = NewType("Meters", float)


class Color(enum.Enum):  # members do not clone
    RED = "red"
    BLUE = "blue"


Options = TypedDict("Options", {"depth": int, "quoted key": str}, total=False)


@dataclasses.dataclass
class Row:
    id: int
    tags: list[str] = dataclasses.field(default_factory=list)
    parent: Row | None = None


class Base:
    def inherited(self) -> str:
        return ""


class Everything(Base):
    registry: ClassVar[dict[int, str]] = {}
    count: int  # annotated only: an instance attribute
    ratio = 0.5

    class Inner:
        class Deeper:
            def ping(self) -> Literal[1]:
                return 1

        def __init__(self, name: str, *, secret: str) -> None:
            self.name = name

        def deeper(self) -> Everything.Inner.Deeper:
            """An instance is not data: it cannot be cloned (send it with proxy())."""
            return Everything.Inner.Deeper()

    def scalars(self, a: bool, b: int, c: float, d: str, e: None) -> Optional[Union[int, str]]:  # noqa: UP007, UP045 (the old spellings map too)
        return None

    def containers(
        self, a: Sequence[int], b: tuple[int, ...], c: set[str], d: dict[int, list[str]], e: frozenset[int]
    ) -> tuple[()]:
        return ()

    def data(self, row: Row, options: Options, color: Color, length: Meters) -> list[Row]:
        return []

    def raw(self, data: bytearray, view: memoryview) -> tuple[bytes, memoryview]:
        return b"", view

    def untyped(self, a, b=1):  # type: ignore[no-untyped-def]
        return a

    def varargs(self, *values: int | str, **named: int) -> Awaitable[int]:
        return asyncio.sleep(0, 1)

    def needs_keyword(self, *, key: str) -> complex:
        return 1j

    async def coroutine(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def static(x: int) -> int:
        return x

    @classmethod
    def made(cls, x: int) -> int:
        return x

    @property
    def settable(self) -> Literal["red", "blue"]:
        return "red"

    @settable.setter
    def settable(self, value: Literal["red", "blue"]) -> None:
        pass

    def then(self) -> None:
        """A member named `then` would make every Remote a thenable: left out."""

    def _private(self) -> None:
        pass


KEYWORD_NOTE = "keyword-only in Python, so JS cannot pass them"


def test_every_kind_of_hint_maps_to_the_type_js_sees() -> None:
    text = declarations(Everything)
    for line in [
        "export interface Everything {",
        "  registry: Record<number, string>;",
        "  ratio: number;",
        "  readonly Inner: { new (name: string): Everything.Inner } "
        f"/* {KEYWORD_NOTE}: secret (one is required: a call from JS fails) */;",
        "  scalars(a: boolean, b: number, c: number, d: string, e: undefined): "
        "Promise<number | string | undefined>;",
        "  containers(a: number[], b: number[], c: Set<string>, d: Record<number, string[]>, "
        "e: Set<number>): Promise<[]>;",
        "  data(row: Row, options: Options, color: unknown /* Color has no JS form */, length: number): "
        "Promise<Row[]>;",
        "  raw(data: ArrayBuffer | ArrayBufferView, view: ArrayBuffer | ArrayBufferView): "
        "Promise<[Uint8Array, Uint8Array]>;",
        "  untyped(a: any, b?: any): Promise<unknown>;",
        f"  /** {KEYWORD_NOTE}: key (one is required: a call from JS fails) */",
        "  needs_keyword(): Promise<unknown /* complex has no JS form */>;",
        "  varargs(...values: (number | string)[]): Promise<number>;",
        "  coroutine(): Promise<Record<string, unknown>>;",
        "  static(x: number): Promise<number>;",
        "  made(x: number): Promise<number>;",
        '  settable: "red" | "blue";',
        "  inherited(): Promise<string>;",
        "  count: number;",
        "export declare namespace Everything {",
        "  export interface Inner {",
        "    readonly Deeper: { new (): Everything.Inner.Deeper };",
        "    deeper(): Promise<unknown /* Everything.Inner.Deeper has no JS form */>;",
        "  export namespace Inner {",
        "    export interface Deeper {",
        "      ping(): Promise<1>;",
        "export interface Row {",
        "  tags?: string[];",
        "  parent?: Row | undefined;",
        "export interface Options {",
        "  depth?: number;",
        '  "quoted key"?: string;',
    ]:
        assert f"\n{line}\n" in text or f"\n{line}" in text, f"missing {line!r} in:\n{text}"
    assert "then" not in text and "_private" not in text


def test_generated_declarations_compile(tmp_path: Path) -> None:
    (tmp_path / "everything.d.ts").write_text(declarations(Everything))
    result = tsc(tmp_path, "everything.d.ts")
    assert result.returncode == 0, result.stdout


class Opaque:
    pass


def test_a_type_without_a_js_form_is_unknown_and_says_so() -> None:
    class Api:
        def take(self, value: Opaque) -> Opaque:
            return value

    unknown = "unknown /* Opaque has no JS form */"
    assert f"take(value: {unknown}): Promise<{unknown}>;" in declarations(Api)


def test_two_classes_with_one_name_are_refused() -> None:
    def make() -> type:
        class Point(TypedDict):
            x: int

        return Point

    first, second = make(), make()

    class Api:
        def a(self, p: Any) -> Any:
            return p

    Api.a.__annotations__ = {"p": first, "return": second}

    with pytest.raises(ValueError, match="two classes are both named Point"):
        declarations(Api)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["comlink_py.typescript"], "expected module:Class"),
        (["comlink_py.typescript:declarations"], "is not a class"),
        ([], "usage: python -m comlink_py.typescript module:Class"),
    ],
)
def test_the_command_line_says_what_it_needs(args: list[str], message: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "comlink_py.typescript", *args], capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and message in result.stderr and not result.stdout
