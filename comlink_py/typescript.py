"""TypeScript declarations from a Python class's type hints, so a TypeScript caller is type-checked.

``python -m comlink_py.typescript pkg.module:Api > api.d.ts`` writes ``export interface Api``: the
object as JS Comlink sees it *before* ``Comlink.Remote`` maps it. So ``Comlink.wrap<Api>(port)``
(or ``startPythonWorker<Api>``) gives a ``Remote<Api>`` on which every method returns a Promise of
its result, every attribute read is a Promise, and a nested class is a remote constructor.

Types describe what crosses the boundary (docs/values.md), not the Python objects: ``None`` arrives
in JS as ``undefined``, bytes as a ``Uint8Array``, and a ``TypedDict`` or dataclass as a plain
object. Direction matters where the two differ: in arguments bytes may be any ``ArrayBuffer`` or
view, and ``Any`` is ``any``; in results ``Any`` is ``unknown``. JS passes arguments by position
only, so keyword-only parameters are left out and named in a comment.
"""

from __future__ import annotations

import collections.abc as abc
import dataclasses
import datetime
import inspect
import json
import sys
import types
import typing
from collections.abc import Callable, Iterator
from typing import Any, Final, Literal

from .process import load_target

__all__ = ["declarations", "main"]

Direction = Literal["in", "out"]

_PRIMITIVES: Final[dict[Any, str]] = {
    bool: "boolean",
    int: "number",
    float: "number",
    str: "string",
    type(None): "undefined",
    datetime.datetime: "Date",
}
_BYTES: Final = (bytes, bytearray, memoryview)
_SEQUENCES: Final = (list, abc.Sequence, abc.MutableSequence, abc.Iterable, abc.Collection)
_SETS: Final = (set, frozenset, abc.Set, abc.MutableSet)
_MAPPINGS: Final = (dict, abc.Mapping, abc.MutableMapping)
_AWAITABLES: Final = (abc.Awaitable, abc.Coroutine)
_WRAPPERS: Final = {"Required", "NotRequired", "ReadOnly", "Final", "ClassVar"}
_RESERVED: Final = frozenset({"constructor", "then"})  # a Remote's own members; "then" breaks await


def _wrapper_name(hint: Any) -> str | None:
    """The name of a typing qualifier (``NotRequired[...]``...) that only wraps a type."""
    origin = typing.get_origin(hint)
    name = getattr(origin, "_name", None)
    return name if name in _WRAPPERS else None


def _unwrap(hint: Any) -> Any:
    while (typing.get_origin(hint) is typing.Annotated) or _wrapper_name(hint):
        hint = typing.get_args(hint)[0]
    while isinstance(hint, typing.NewType):
        hint = hint.__supertype__
    return hint


def _is_data(cls: Any) -> bool:
    """A class that travels as a plain object: a TypedDict or a dataclass."""
    return isinstance(cls, type) and (typing.is_typeddict(cls) or dataclasses.is_dataclass(cls))


def _hints(obj: Any, owner: type | None = None) -> dict[str, Any]:
    """Type hints with names of the owner's namespace (nested classes) resolvable too."""
    local = dict(vars(owner)) if owner is not None else None
    if isinstance(obj, type):
        local = {**vars(obj), **(local or {})}
    return typing.get_type_hints(obj, localns=local, include_extras=True)


def _key(name: str) -> str:
    return name if name.isidentifier() else json.dumps(name)


class _Writer:
    """Turns hints into TypeScript and collects the named interfaces they refer to."""

    def __init__(self) -> None:
        self.bodies: dict[tuple[str, ...], list[str]] = {}  # qualified name -> member lines
        self._classes: dict[tuple[str, ...], type] = {}

    def name_of(self, cls: type) -> tuple[str, ...]:
        path = tuple(cls.__qualname__.rpartition("<locals>.")[2].split("."))
        known = self._classes.get(path)
        if known is not None and known is not cls:
            raise ValueError(f"two classes are both named {'.'.join(path)}: rename one")
        return path

    def reference(self, cls: type, build: Callable[[type], list[str]]) -> str:
        path = self.name_of(cls)
        if path not in self._classes:
            self._classes[path] = cls
            self.bodies[path] = []  # reserved first: a class may refer to itself
            self.bodies[path] = build(cls)
        return ".".join(path)

    # -- types ---------------------------------------------------------------------------------------

    def ts(self, hint: Any, direction: Direction) -> str:
        hint = _unwrap(hint)
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if hint is Any or hint is object:
            return "any" if direction == "in" else "unknown"
        if hint in _PRIMITIVES:
            return _PRIMITIVES[hint]
        if hint in _BYTES:
            return "ArrayBuffer | ArrayBufferView" if direction == "in" else "Uint8Array"
        if origin is typing.Union or origin is types.UnionType:
            return self._union([self.ts(arg, direction) for arg in args])
        if origin is Literal:
            return self._union(["undefined" if v is None else json.dumps(v) for v in args])
        if origin in _AWAITABLES:
            return self.ts(args[-1], direction)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return f"{self._element(args[0], direction)}[]"
            return "[" + ", ".join(self.ts(arg, direction) for arg in args) + "]"
        if hint in _SEQUENCES or origin in _SEQUENCES or hint is tuple:
            return f"{self._element(args[0] if args else Any, direction)}[]"
        if hint in _SETS or origin in _SETS:
            return f"Set<{self.ts(args[0] if args else Any, direction)}>"
        if hint in _MAPPINGS or origin in _MAPPINGS:
            key, value = args if args else (str, Any)
            return f"Record<{self._record_key(key)}, {self.ts(value, direction)}>"
        if _is_data(hint):
            return self.reference(hint, self._data_members)
        # Instances (enum members too) do not clone; callables and type variables say nothing.
        return f"unknown /* {getattr(hint, '__qualname__', hint)} has no JS form */"

    def _element(self, hint: Any, direction: Direction) -> str:
        text = self.ts(hint, direction)
        return f"({text})" if " " in text and not text.startswith("Record<") else text

    def _record_key(self, key: Any) -> str:
        key = _unwrap(key)
        if key is int or key is float:
            return "number"
        if typing.get_origin(key) is Literal:
            return self.ts(key, "out")
        return "string"  # a dict's keys become strings in JS

    @staticmethod
    def _union(parts: list[str]) -> str:
        unique = list(dict.fromkeys(part for text in parts for part in text.split(" | ")))
        return " | ".join(unique)

    # -- members -------------------------------------------------------------------------------------

    def _data_members(self, cls: type) -> list[str]:
        """The fields of a TypedDict (optional where not required) or a dataclass (optional where
        it has a default), as data: bytes are ``Uint8Array``, which both directions accept."""
        hints = _hints(cls)
        optional: set[str] = set()
        if typing.is_typeddict(cls):
            # Stringified hints (PEP 563) hide NotRequired from __optional_keys__ before 3.12.
            optional = set(getattr(cls, "__optional_keys__", ())) | {
                name for name, hint in hints.items() if _wrapper_name(hint) == "NotRequired"
            }
            optional -= {name for name, hint in hints.items() if _wrapper_name(hint) == "Required"}
        else:
            fields = dataclasses.fields(cls)
            hints = {f.name: hints[f.name] for f in fields}
            optional = {
                f.name
                for f in fields
                if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
            }
        return [
            f"{_key(name)}{'?' if name in optional else ''}: {self.ts(hint, 'out')};"
            for name, hint in hints.items()
        ]

    def api_members(self, cls: type) -> list[str]:
        """Public methods, attributes and nested classes of an exposed class, as Comlink reaches them."""
        lines: list[str] = []
        hints = _hints(cls)
        for name, member in _public(cls):
            raw = inspect.getattr_static(cls, name)
            if isinstance(raw, property):
                result = _hints(raw.fget, cls).get("return", Any) if raw.fget else Any
                readonly = "readonly " if raw.fset is None else ""
                lines.append(f"{readonly}{_key(name)}: {self.ts(result, 'out')};")
            elif isinstance(member, type) and not _is_data(member):
                lines.append(f"readonly {_key(name)}: {self._constructor(member)};")
            elif isinstance(member, type):
                continue  # a TypedDict or dataclass is a type to use, named when used
            elif callable(member):
                lines.extend(self._method(name, member, cls))
            else:
                hint = hints.get(name, type(member))
                readonly = "readonly " if _wrapper_name(hint) == "Final" else ""
                lines.append(f"{readonly}{_key(name)}: {self.ts(hint, 'out')};")
        for name, hint in hints.items():  # annotated without a value: an instance attribute
            if not name.startswith("_") and not hasattr(cls, name) and name not in _RESERVED:
                lines.append(f"{_key(name)}: {self.ts(hint, 'out')};")
        return lines

    def _constructor(self, cls: type) -> str:
        path = self.reference(cls, self.api_members)
        init = cls.__init__  # type: ignore[misc]
        params, notes = ("", "") if init is object.__init__ else self._parameters(init, cls, skip_first=True)
        note = f" /* {notes} */" if notes else ""
        return f"{{ new ({params}): {path} }}{note}"

    def _method(self, name: str, function: Any, owner: type) -> list[str]:
        """A method as the class holds it; Comlink's Remote calls it and gives a Promise of the
        result. ``async def f() -> R`` and ``def f() -> Awaitable[R]`` both give ``Promise<R>``."""
        bound = not isinstance(inspect.getattr_static(owner, name), staticmethod | classmethod)
        params, notes = self._parameters(function, owner, skip_first=bound)
        returned = self.ts(_hints(function, owner).get("return", Any), "out")
        returned = "void" if returned == "undefined" else returned
        lines = [f"/** {notes} */"] if notes else []
        lines.append(f"{_key(name)}({params}): Promise<{returned}>;")
        return lines

    def _parameters(self, function: Any, owner: type, *, skip_first: bool) -> tuple[str, str]:
        """TypeScript parameters of a call from JS, and a note on the keyword-only ones it cannot pass."""
        try:
            signature = inspect.signature(function)
        except (TypeError, ValueError):
            return "...args: any[]", ""
        hints = _hints(function, owner)
        parameters = list(signature.parameters.values())
        if skip_first and parameters:
            parameters = parameters[1:]
        out: list[str] = []
        keyword_only: list[str] = []
        required_keyword = False
        for p in parameters:
            hint = hints.get(p.name, Any)
            if p.kind is p.VAR_POSITIONAL:
                out.append(f"...{p.name}: {self._element(hint, 'in')}[]")
            elif p.kind is p.KEYWORD_ONLY:
                keyword_only.append(p.name)
                required_keyword = required_keyword or p.default is p.empty
            elif p.kind is not p.VAR_KEYWORD:
                optional = "?" if p.default is not p.empty else ""
                out.append(f"{p.name}{optional}: {self.ts(hint, 'in')}")
        note = ""
        if keyword_only:
            note = f"keyword-only in Python, so JS cannot pass them: {', '.join(keyword_only)}"
            if required_keyword:
                note += " (one is required: a call from JS fails)"
        return ", ".join(out), note


def _public(cls: type) -> Iterator[tuple[str, Any]]:
    """Public names of the class and its bases (not ``object``'s), in definition order."""
    seen: set[str] = set()
    for base in cls.__mro__:
        if base is object:
            continue
        for name in vars(base):
            if name in seen or name.startswith("_") or name in _RESERVED:
                continue
            seen.add(name)
            yield name, getattr(cls, name)


def _emit(bodies: dict[tuple[str, ...], list[str]], prefix: tuple[str, ...], depth: int) -> list[str]:
    """Interfaces as nested namespaces, so ``Api.Inner`` in Python is ``Api.Inner`` in TypeScript."""
    indent = "  " * depth
    inside = [path for path in bodies if len(path) > len(prefix) and path[: len(prefix)] == prefix]
    names = list(dict.fromkeys(path[len(prefix)] for path in inside))
    out: list[str] = []
    for name in names:
        path = (*prefix, name)
        if path in bodies:
            members = bodies[path]
            out.append(f"{indent}export interface {name} {{")
            out.extend(f"{indent}  {line}" for line in members)
            out.append(f"{indent}}}")
        if any(len(other) > len(path) and other[: len(path)] == path for other in bodies):
            declare = "declare " if depth == 0 else ""
            out.append(f"{indent}export {declare}namespace {name} {{")
            out.extend(_emit(bodies, path, depth + 1))
            out.append(f"{indent}}}")
    return out


def declarations(cls: type) -> str:
    """A ``.d.ts`` module declaring ``cls`` as JS Comlink reaches an exposed instance of it, with
    the TypedDicts, dataclasses and nested classes it refers to."""
    if not isinstance(cls, type):
        raise TypeError(f"declarations() takes a class, not {type(cls).__name__}")
    writer = _Writer()
    writer.reference(cls, writer.api_members)
    header = [
        f"// Generated by `python -m comlink_py.typescript {cls.__module__}:{cls.__qualname__}`.",
        f"// Use as Comlink.wrap<{cls.__qualname__}>(endpoint): methods and attribute reads give Promises.",
        "",
    ]
    return "\n".join([*header, *_emit(writer.bodies, (), 0), ""])


def _load(spec: str) -> type:
    try:
        target = load_target(spec)
    except ValueError:
        raise SystemExit(f"expected module:Class (e.g. pkg.api:Api), got {spec!r}") from None
    if not isinstance(target, type):
        raise SystemExit(f"{spec} is not a class")
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m comlink_py.typescript module:Class``: print the declarations."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m comlink_py.typescript module:Class > api.d.ts", file=sys.stderr)
        return 2
    sys.path.insert(0, "")  # as `python -m` does: the current folder's modules are importable
    sys.stdout.write(declarations(_load(args[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
