"""The exposure policy: what a peer's path may reach from an exposed object, decided by what each
object *is*, not only by its name.

A name rule alone is no boundary in Python: public attributes lead from coroutines, generators and
tracebacks to frames, from modules to ``sys.modules``, and from JS objects to ``Function``. So every
object met on a path is sorted into a kind, once per type, and the kind decides what may happen:

- *data* (dicts, lists, tuples, strings, bytes): key and index steps, and public methods of the
  built-in type (``items.append``), except the formatting methods that walk their arguments;
- *user objects* (instances of classes not from the standard library): attribute steps;
- *user classes*: steps to attributes that a user class along the MRO defines itself, never the
  metaclass's; CONSTRUCT constructs classes only;
- *callables* (functions, methods): may be called, never stepped into;
- *opaque* (instances of standard-library classes, JS objects held by Python, and of a class that
  sets ``__comlink_opaque__ = True``, as ``JsEndpoint`` does): read as values, called if callable,
  never stepped into and never assigned to;
- *internal* (frames, code, tracebacks, coroutines, generators, cells, modules other than the root,
  module namespaces, descriptors, and the functions that run what the caller writes, such as
  ``eval``, ``os.system`` or ``pickle.loads``): never reached at all.

Refusals are ``PermissionError``\\ s that name the step and the rule. The module does no I/O, so
the exposing core and tests use it directly.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from typing import Any, Final, TypeVar

from .handlers import ProxyMarked

__all__ = ["Policy", "exposed"]

F = TypeVar("F")


_MARK: Final = "__comlink_exposed__"


def exposed(member: F) -> F:
    """Mark a method, property, class or function as reachable in strict mode.

    On a class, a tuple of names in ``__comlink_exposed__`` marks data attributes too::

        class Api:
            __comlink_exposed__ = ("version",)

            @exposed
            def ping(self): ...
    """
    target = member.fget if isinstance(member, property) else member
    setattr(target, _MARK, True)
    return member


# -- kinds --------------------------------------------------------------------------------------

# Kinds from DICT on are only where a type's objects start: ``kind_of`` decides per object.
DATA, USER, MARKED, OPAQUE, INTERNAL, MODULE, DICT, CALLABLE, CLASS = range(9)

# Types whose every instance is internal.
_INTERNAL_TYPES: Final = frozenset(
    {
        types.FrameType,
        types.CodeType,
        types.TracebackType,
        types.CoroutineType,
        types.GeneratorType,
        types.AsyncGeneratorType,
        types.CellType,
        types.MappingProxyType,
        types.GetSetDescriptorType,
        types.MemberDescriptorType,
        property,
        staticmethod,
        classmethod,
        super,
    }
)
_CALLABLE_TYPES: Final = (
    types.FunctionType,
    types.MethodType,
    types.BuiltinFunctionType,
    types.WrapperDescriptorType,
    types.MethodWrapperType,
    types.MethodDescriptorType,
    types.ClassMethodDescriptorType,
)
# Built-in data: stepped into by key and index, and through public methods of the type itself.
_DATA_TYPES: Final = frozenset(
    {type(None), bool, int, float, complex, str, bytes, bytearray, list, tuple, dict, set, frozenset}
)
# Data that is never internal (a dict may be a module's namespace).
_PLAIN: Final = _DATA_TYPES - {dict}
# Methods that read attributes of their arguments, by names the peer writes ("{0.__class__}").
_WALKING_METHODS: Final = frozenset({"format", "format_map"})
# Functions and classes that run code, commands or pickles, or walk names, that the caller writes:
# reaching one would skip every rule here. Refused wherever they are met, even where an author
# placed them in the exposed object. Named by module and qualified name, so that nothing needs
# importing to be recognised (``os.system`` says it is ``posix.system``).
_GATEWAYS: Final = {
    "builtins": {
        "eval", "exec", "compile", "__import__", "globals", "locals", "vars", "getattr", "setattr",
        "delattr", "breakpoint", "open", "input", "help",
    },
    "_io": {"open", "open_code", "FileIO"},
    "io": {"open", "open_code", "FileIO"},
    "importlib": {"import_module", "__import__", "reload"},
    "posix": {
        "system", "popen", "execv", "execve", "spawnv", "spawnve", "posix_spawn", "posix_spawnp",
        "fork", "forkpty", "kill", "open", "remove", "unlink", "rmdir", "rename", "replace", "chmod",
    },
    "nt": {"system", "execv", "execve", "spawnv", "spawnve", "startfile", "kill", "open", "remove"},
    "os": {"popen", "execl", "execle", "execlp", "execlpe", "execvp", "execvpe", "spawnl", "spawnlp"},
    "_pickle": {"load", "loads", "Unpickler"},
    "pickle": {"load", "loads", "Unpickler", "_load", "_loads"},
    "marshal": {"load", "loads"},
    "subprocess": {"run", "call", "check_call", "check_output", "Popen", "getoutput", "getstatusoutput"},
    "runpy": {"run_path", "run_module"},
    "code": {"interact", "InteractiveInterpreter", "InteractiveConsole"},
    "pty": {"spawn"},
    "shutil": {"rmtree"},
    "ctypes": {"CDLL", "PyDLL", "cdll", "pydll"},
    "pyodide.code": {"run_js", "eval_code", "eval_code_async"},
    "_pyodide._base": {"eval_code", "eval_code_async"},
}  # fmt: skip


def _is_gateway(value: Any) -> bool:
    names = _GATEWAYS.get(getattr(value, "__module__", None))  # type: ignore[arg-type]
    return names is not None and getattr(value, "__qualname__", None) in names


# Where the interpreter's own code lives: its classes and functions are machinery, not an API.
_SYSTEM_PACKAGES: Final = frozenset(
    {*sys.stdlib_module_names, "builtins", "pyodide", "_pyodide", "_pyodide_core", "js", "pyodide_js"}
)


def _is_system(module: object) -> bool:
    return not isinstance(module, str) or module.partition(".")[0] in _SYSTEM_PACKAGES


_HEAP_TYPE: Final = 1 << 9  # Py_TPFLAGS_HEAPTYPE: made by a class statement, not built into C


def _is_system_class(cls: type) -> bool:
    """Whether ``cls`` is the interpreter's. A class statement run in a namespace without
    ``__name__`` (``exec`` with a bare dict, Pyodide's ``runPython`` with its own globals) gets
    the module name ``builtins``: that one is the user's, told apart as a heap type."""
    module = getattr(cls, "__module__", None)
    if module == "builtins":
        return not cls.__flags__ & _HEAP_TYPE
    return _is_system(module)


def _kind_of_type(cls: type) -> int:
    if cls in _DATA_TYPES:
        return DICT if cls is dict else DATA
    if cls in _INTERNAL_TYPES:
        return INTERNAL
    if issubclass(cls, types.ModuleType):
        return MODULE
    if issubclass(cls, type):
        return CLASS
    if issubclass(cls, _CALLABLE_TYPES):
        return CALLABLE
    if _is_system_class(cls) or getattr(cls, "__comlink_opaque__", False) is True:
        return OPAQUE
    return MARKED if _uses_marks(cls) else USER


_kinds: dict[type, int] = {}


def kind_of(value: object) -> int:
    """The kind of ``value``: per type, remembered, except where the object itself decides."""
    cls = type(value)
    kind = _kinds.get(cls)
    if kind is None:
        kind = _kinds[cls] = _kind_of_type(cls)
    if kind is DICT:
        return INTERNAL if _is_namespace(value) else DATA  # type: ignore[arg-type]
    if kind is CALLABLE:
        return INTERNAL if _is_gateway(value) else CALLABLE
    if kind is CLASS:
        if issubclass(value, type) or value in _INTERNAL_TYPES or _is_gateway(value):  # type: ignore[arg-type]
            return INTERNAL  # a metaclass makes classes; descriptors and frames are machinery
        return OPAQUE if _is_system_class(value) else CLASS  # type: ignore[arg-type]
    return kind


def _is_namespace(value: dict[Any, Any]) -> bool:
    """A module's globals (or ``sys.modules``): every name of a module, builtins included."""
    return (
        "__builtins__" in value
        or ("__name__" in value and "__spec__" in value)  # an extension module's, say
        or value is sys.modules
    )


def _describe_kind(value: object) -> str:
    if isinstance(value, types.ModuleType):
        return f"module {value.__name__!r}"
    cls = type(value)
    return f"{cls.__module__}.{cls.__qualname__}" if cls.__module__ != "builtins" else cls.__qualname__


# -- the policy ---------------------------------------------------------------------------------


class Policy:
    """The rules for one exposed ``root``; ``Exposer`` asks it at every step. ``strict`` serves only
    the members the author marked with ``exposed``, for peers that are not trusted at all."""

    __slots__ = ("root", "strict")

    def __init__(self, root: Any, *, strict: bool = False) -> None:
        self.root = root
        self.strict = strict

    def step(self, parent: Any, name: str) -> Any:
        """``getattr(parent, name)`` for an attribute step, or the ``PermissionError`` refusing it."""
        if name[:1] == "_":
            raise _private(name)
        if type(parent) is ProxyMarked:  # a proxy() an author kept: its object decides
            parent = parent.obj
        kind = _kinds.get(type(parent), CLASS)  # CLASS: ask kind_of (it remembers the type's kind)
        if kind >= DICT:
            kind = kind_of(parent)
        if kind is USER or kind is MARKED:
            if kind is MARKED or self.strict:
                self._require_mark(parent, name)
            child = getattr(parent, name)
        elif kind is DATA:
            if self.strict or name in _WALKING_METHODS or not _is_type_method(type(parent), name):
                raise self._refuse(name, parent, "only the public methods of built-in data are reachable")
            child = getattr(parent, name)
        elif kind is CLASS:
            if not _defined_by_user(parent, name):
                raise self._refuse(name, parent, "a class offers only the attributes its own code defines")
            if self.strict or _uses_marks(parent):
                self._require_mark(parent, name)
            child = getattr(parent, name)
        elif kind is MODULE and parent is self.root:
            if self.strict:
                self._require_mark(parent, name)
            child = getattr(parent, name)
            if not _defined_in(child, parent):
                raise self._refuse(name, parent, "a module offers only what it defines, not what it imports")
        else:
            raise self._refuse(name, parent, _WHY_CLOSED.get(kind, "it is not data or a user object"))
        return self.check_reached(child, name)

    def check_reached(self, child: Any, name: str) -> Any:
        """``child`` if a step may yield it: never an internal object. (So a key or index step
        needs no check of its own: its parent is the root or was checked as a child.)"""
        if type(child) in _PLAIN:  # most values read by a path
            return child
        kind = kind_of(child)
        if kind is INTERNAL or kind is MODULE:
            raise PermissionError(
                f"step {name!r} is refused: it leads to {_describe_kind(child)}, which is interpreter "
                f"internals (frames, code, generators, modules and their namespaces are never served)"
            )
        return child

    def check_call(self, target: Any, construct: bool, reached: bool = False) -> None:
        """Whether ``target`` may be called (or constructed). ``reached``: a step yielded it, so
        ``check_reached`` has just made of it the very check a call needs (every step ends in it)."""
        if type(target) is ProxyMarked:
            target = target.obj
        elif reached and not construct:  # saves asking kind_of twice: 0.8 µs a call in Pyodide
            return
        if construct:
            if target is self.root and isinstance(target, type):
                return
            if not isinstance(target, type):
                raise TypeError(f"CONSTRUCT constructs classes only, and {_describe_kind(target)} is not one")
            if kind_of(target) is INTERNAL:
                raise PermissionError(f"constructing {target.__qualname__} is refused: it makes machinery")
            return
        if target is self.root:
            return  # what the author exposed (a proxy() callback, say) is what it offers
        kind = kind_of(target)
        if kind is INTERNAL or kind is MODULE:
            raise PermissionError(f"calling {_describe_kind(target)} is refused: {_WHY_CLOSED[INTERNAL]}")

    def check_assign(self, parent: Any, name: str) -> None:
        """Whether ``name`` may be set on ``parent`` (the exposing core unwraps a kept proxy())."""
        kind = kind_of(parent)
        if kind is DATA and isinstance(parent, (dict, list)):
            return
        if kind is USER or kind is MARKED:
            if name[:1] == "_":
                raise _private(name)
            if kind is MARKED or self.strict:
                self._require_mark(parent, name)
            return
        raise PermissionError(
            f"SET {name!r} on {_describe_kind(parent)} is refused: only user objects, dicts and lists "
            "are assigned to"
        )

    @staticmethod
    def _require_mark(owner: Any, name: str) -> None:
        if not _is_marked(owner, name):
            raise PermissionError(
                f"step {name!r} is refused: in strict mode (expose(..., strict=True), or a class that "
                "marks members) only members marked with comlink_py.exposed, or listed in "
                "__comlink_exposed__, are served"
            )

    @staticmethod
    def _refuse(name: str, parent: Any, why: str) -> PermissionError:
        return PermissionError(f"step {name!r} into {_describe_kind(parent)} is refused: {why}")


def _private(name: str) -> PermissionError:
    return PermissionError(
        f"access to private name {name!r} is refused (expose with allow_private=True to allow)"
    )


_WHY_CLOSED: Final = {
    INTERNAL: "interpreter internals are never served",
    MODULE: "modules other than the exposed one are never entered",
    CALLABLE: "functions and methods are called, not entered",
    OPAQUE: "objects of the standard library and JS objects are values, not APIs",
}


def _is_type_method(cls: type, name: str) -> bool:
    return callable(getattr(cls, name, None))


def _user_classes(cls: type) -> Iterable[type]:
    return (k for k in cls.__mro__ if not _is_system_class(k))


def _defined_by_user(cls: type, name: str) -> bool:
    return any(name in vars(k) for k in _user_classes(cls))


def _defined_in(value: Any, module: types.ModuleType) -> bool:
    """Data, or a function or class whose code is the module's own (not imported into it)."""
    if not callable(value) and not isinstance(value, types.ModuleType):
        return True
    if isinstance(value, types.BuiltinFunctionType):
        return getattr(value, "__self__", None) is module
    return getattr(value, "__module__", None) == module.__name__


_marking: dict[type, bool] = {}


def _uses_marks(cls: type) -> bool:
    """Whether ``cls`` marks members: then it is served strictly wherever it is exposed, a
    ``proxy()`` of it or of its instances included."""
    marks = _marking.get(cls)
    if marks is None:
        marks = _marking[cls] = any(
            _MARK in vars(k) or any(_has_mark(member) for member in vars(k).values())
            for k in _user_classes(cls)
        )
    return marks


def _has_mark(member: Any) -> bool:
    target = member.fget if isinstance(member, property) else getattr(member, "__func__", member)
    return getattr(target, _MARK, False) is True


def _is_marked(owner: Any, name: str) -> bool:
    if isinstance(owner, types.ModuleType):
        return _has_mark(vars(owner).get(name))
    cls = owner if isinstance(owner, type) else type(owner)
    for k in _user_classes(cls):
        listed = vars(k).get(_MARK)
        if isinstance(listed, tuple) and name in listed:
            return True
        member = vars(k).get(name)
        if member is not None:
            return _has_mark(member)
    return False
