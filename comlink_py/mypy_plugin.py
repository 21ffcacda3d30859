"""A mypy plugin that gives ``Remote[T]`` the shape of ``T`` with every call made asynchronous.

Python's type system cannot say "the methods of T, returning futures", so this plugin does it. Enable
it with ``plugins = ["comlink_py.mypy_plugin"]`` in the mypy configuration. Then, for ``remote:
Remote[T]``:

* ``remote.method`` where ``T.method`` is ``(args) -> R`` is ``(args) -> asyncio.Future[R]`` (a
  coroutine or other awaitable ``R`` is unwrapped first: the peer awaits it);
* ``remote.attribute`` where ``T.attribute`` is a ``V`` is a ``Remote[V]``, which awaits to ``V``,
  and a ``Remote`` of a callable can be called the same way;
* ``construct(remote.Class, args)`` checks the constructor's arguments and is a
  ``Future[Remote[Class]]``;
* a name ``T`` does not have is an error.

``SyncRemote[T]`` (``comlink_py.blocking``) is checked the same way with calls that return their
values: ``remote.method`` is ``(args) -> R``, and ``blocking.construct(remote.Class, args)`` is a
``SyncRemote[Class]``.
"""

from __future__ import annotations

from collections.abc import Callable

from mypy.errorcodes import ATTR_DEFINED
from mypy.maptype import map_instance_to_supertype
from mypy.messages import format_type
from mypy.nodes import ARG_POS
from mypy.plugin import (
    AttributeContext,
    CheckerPluginInterface,
    FunctionSigContext,
    MethodSigContext,
    Plugin,
)
from mypy.subtypes import find_member
from mypy.typeops import type_object_type
from mypy.types import (
    AnyType,
    CallableType,
    FunctionLike,
    Instance,
    Overloaded,
    ProperType,
    Type,
    TypedDictType,
    TypeOfAny,
    TypeType,
    get_proper_type,
)

__all__ = ["ComlinkPlugin", "plugin"]

REMOTE = "comlink_py.aio.Remote"
SYNC_REMOTE = "comlink_py.blocking.SyncRemote"
REMOTES = frozenset({REMOTE, SYNC_REMOTE})
CONSTRUCTS = frozenset({"comlink_py.aio.construct", "comlink_py.blocking.construct"})
FUTURE = "asyncio.Future"
AWAITABLE = "typing.Awaitable"
MAPPING = "typing.Mapping"
FUNCTION = "builtins.function"


class ComlinkPlugin(Plugin):
    def get_attribute_hook(self, fullname: str) -> Callable[[AttributeContext], Type] | None:
        owner, _, name = fullname.rpartition(".")
        if owner in REMOTES and not name.startswith("_"):
            return lambda ctx: _remote_attribute(ctx, name)
        return None

    def get_method_signature_hook(self, fullname: str) -> Callable[[MethodSigContext], FunctionLike] | None:
        owner, _, name = fullname.rpartition(".")
        return _remote_call if owner in REMOTES and name == "__call__" else None

    def get_function_signature_hook(
        self, fullname: str
    ) -> Callable[[FunctionSigContext], FunctionLike] | None:
        return _construct if fullname in CONSTRUCTS else None


def _target(remote: ProperType) -> ProperType | None:
    """``T`` of a ``Remote[T]`` or ``SyncRemote[T]``, or ``None`` when it is unknown (``Any``) or
    not a Remote."""
    if not isinstance(remote, Instance) or remote.type.fullname not in REMOTES or not remote.args:
        return None
    target = get_proper_type(remote.args[0])
    return None if isinstance(target, AnyType) else target


def _awaited(api: CheckerPluginInterface, result: Type) -> Type:
    """What the peer sends back for a call returning ``result``: awaitables are awaited there."""
    proper = get_proper_type(result)
    if isinstance(proper, Instance):
        awaitable = api.named_generic_type(AWAITABLE, [AnyType(TypeOfAny.special_form)]).type
        if proper.type.has_base(awaitable.fullname):
            return map_instance_to_supertype(proper, awaitable).args[0]
    return result


def _delivered(api: CheckerPluginInterface, remote: Instance, result: Type) -> Type:
    """How a call through ``remote`` delivers ``result``: a future, or the value itself when the
    call blocks (a ``SyncRemote``)."""
    if remote.type.fullname == SYNC_REMOTE:
        return result
    return api.named_generic_type(FUTURE, [result])


def _remotely(api: CheckerPluginInterface, remote: Instance, signature: FunctionLike) -> FunctionLike:
    """``signature`` with its result delivered as a call through ``remote`` delivers it. A class
    called remotely returns its instance by value, so a type object becomes a plain function."""

    def item(callable_: CallableType) -> CallableType:
        return callable_.copy_modified(
            ret_type=_delivered(api, remote, _awaited(api, callable_.ret_type)),
            fallback=api.named_generic_type(FUNCTION, []),
        )

    return _map_items(signature, item)


def _map_items(signature: FunctionLike, item: Callable[[CallableType], CallableType]) -> FunctionLike:
    if isinstance(signature, Overloaded):
        return Overloaded([item(i) for i in signature.items])
    assert isinstance(signature, CallableType)
    return item(signature)


def _remote_attribute(ctx: AttributeContext, name: str) -> Type:
    remote, target = ctx.type, _target(ctx.type)
    if isinstance(target, FunctionLike) and target.is_type_obj():
        target = TypeType.make_normalized(target.items[0].ret_type)
    if isinstance(target, TypedDictType):
        member = target.items.get(name)
    elif isinstance(target, TypeType) and isinstance(target.item, Instance):
        member = find_member(name, target.item, target, class_obj=True)
    elif isinstance(target, Instance):
        member = find_member(name, target, target)
        if member is None:
            member = _mapping_value(ctx.api, target)
    else:  # unknown, a union, a plain function...: stay permissive
        return ctx.default_attr_type
    if member is None:
        shown = format_type(target, ctx.api.options)
        ctx.api.fail(f'Remote object {shown} has no attribute "{name}"', ctx.context, code=ATTR_DEFINED)
        return AnyType(TypeOfAny.from_error)
    assert isinstance(remote, Instance)  # _target found a T, so this is a Remote[T]
    proper = get_proper_type(member)
    if isinstance(proper, FunctionLike) and not proper.is_type_obj():
        return _remotely(ctx.api, remote, proper)
    return remote.copy_modified(args=[member])


def _mapping_value(api: CheckerPluginInterface, target: Instance) -> Type | None:
    """Paths go through mapping keys too: any name of a ``Mapping[str, V]`` is a ``V``."""
    mapping = api.named_generic_type(MAPPING, [AnyType(TypeOfAny.special_form)] * 2).type
    if not target.type.has_base(mapping.fullname):
        return None
    return map_instance_to_supertype(target, mapping).args[1]


def _constructor(api: CheckerPluginInterface, target: Type | None) -> FunctionLike | None:
    """The signature of calling the class ``target`` names (a type object or a ``type[C]``)."""
    if isinstance(target, FunctionLike) and target.is_type_obj():
        return target
    if isinstance(target, TypeType) and isinstance(target.item, Instance):
        signature = get_proper_type(
            type_object_type(target.item.type, lambda n: api.named_generic_type(n, []))
        )
        return signature if isinstance(signature, FunctionLike) else None
    return None


def _remote_call(ctx: MethodSigContext) -> FunctionLike:
    """Calling a ``Remote`` of a callable takes that callable's arguments (APPLY)."""
    remote, target = get_proper_type(ctx.type), _target(ctx.type)
    signature = _constructor(ctx.api, target) or (target if isinstance(target, FunctionLike) else None)
    if signature is None or not isinstance(remote, Instance):
        return ctx.default_signature
    return _remotely(ctx.api, remote, signature)


def _construct(ctx: FunctionSigContext) -> FunctionLike:
    """``construct(remote.Class, *args)``: the constructor's arguments, a ``Remote`` of the instance
    (as a future, or at once for a ``SyncRemote``)."""
    if not ctx.args or not ctx.args[0]:
        return ctx.default_signature
    remote = get_proper_type(ctx.api.get_expression_type(ctx.args[0][0]))
    target = _target(remote)
    signature = _constructor(ctx.api, target)
    if signature is None or not isinstance(remote, Instance):
        return ctx.default_signature
    first = ctx.default_signature

    def item(callable_: CallableType) -> CallableType:
        return callable_.copy_modified(
            arg_types=[first.arg_types[0], *callable_.arg_types],
            arg_kinds=[ARG_POS, *callable_.arg_kinds],
            arg_names=[first.arg_names[0], *callable_.arg_names],
            ret_type=_delivered(ctx.api, remote, remote.copy_modified(args=[callable_.ret_type])),
            fallback=ctx.api.named_generic_type(FUNCTION, []),
        )

    return _map_items(signature, item)


def plugin(version: str) -> type[Plugin]:
    """mypy's entry point."""
    return ComlinkPlugin
