"""The wrapping side's core: requests out, responses matched back to the calls that made them.

It keeps the pending-call table (id -> the caller's token, e.g. a future) but never waits on
anything: the asyncio glue posts what ``request`` builds and settles tokens from ``receive``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from . import wire
from .codec import WIRE_ATOMS, from_wire, to_wire, to_wire_list
from .handlers import Kwargs, transfer_handlers

if TYPE_CHECKING:
    from .endpoint import Endpoint

__all__ = ["Caller", "Outcome"]

Token = TypeVar("Token")


class Outcome:
    """A settled call: ``error`` is set when the peer threw or the answer could not be decoded."""

    __slots__ = ("error", "value")

    def __init__(self, value: Any = None, error: BaseException | None = None) -> None:
        self.value = value
        self.error = error


# The requests request_atoms takes; GET's args are empty.
_ATOM_CALLS = frozenset({wire.GET, wire.APPLY, wire.CONSTRUCT})


class Caller(Generic[Token]):
    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.pending: dict[str, Token] = {}

    def request(
        self,
        token: Token,
        kind: wire.MessageType,
        path: Sequence[str] = (),
        *,
        value: Any = None,
        args: Sequence[Any] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> tuple[wire.Request, list[Any]]:
        """Build a request and remember ``token`` under its new id. Encoding errors raise here,
        before anything is pending."""
        transferables: list[Any] = []
        msg_id = wire.new_id()
        if kind == wire.SET:
            wire_value, transferables = to_wire(value, self.endpoint)
            msg = wire.request(msg_id, kind, list(path), value=wire_value)
        elif kind == wire.APPLY or kind == wire.CONSTRUCT:
            if kwargs:
                args = [*args, Kwargs(kwargs)]
            wire_args: list[wire.WireValue] = []
            if args:
                wire_args, transferables = to_wire_list(args, self.endpoint)
            msg = wire.request(msg_id, kind, list(path), argument_list=wire_args)
        elif kind == wire.GET:
            msg = wire.request(msg_id, kind, list(path))
        else:  # ENDPOINT and RELEASE carry no path, exactly as Comlink sends them
            msg = wire.request(msg_id, kind)
        self.pending[msg_id] = token
        return msg, transferables

    def request_atoms(
        self, token: Token, kind: wire.MessageType, path: Sequence[str], args: Sequence[Any]
    ) -> str | None:
        """For an endpoint that posts requests from their parts (``Endpoint``'s ``post_call``): the
        new id of a GET, APPLY or CONSTRUCT whose arguments are all atoms (None, bool, int, float,
        str), ``token`` then pending under it, to post as ``post_call(id, kind, path, args)``; None,
        with nothing pending, for any other request, which ``request`` builds."""
        if not self.atoms(kind, args):
            return None
        msg_id = wire.new_id()
        self.pending[msg_id] = token
        return msg_id

    @staticmethod
    def atoms(kind: wire.MessageType, args: Sequence[Any]) -> bool:
        """Whether a request is a GET, APPLY or CONSTRUCT whose arguments are all atoms, which the
        transfer handlers leave alone: what ``request_atoms`` takes, or an endpoint's ``call_atoms``."""
        if kind not in _ATOM_CALLS or not transfer_handlers.only_built_in:  # a handler may take atoms
            return False
        for arg in args:  # noqa: SIM110 (a generator costs more for the usual zero or one argument)
            if type(arg) not in WIRE_ATOMS:
                return False
        return True

    def expect(self, msg_id: str, token: Token) -> None:
        """Pend ``token`` under ``msg_id``, the id of a request the endpoint posted (``call_atoms``)."""
        self.pending[msg_id] = token

    def answer(self, msg_id: Any, value: Any) -> Token | None:
        """The call that a plain answer of an atom (``{"type": "RAW", "value": value, "id": msg_id}``)
        settles, no longer pending; None if ``msg_id`` is not one of ours (another caller's)."""
        return self.pending.pop(msg_id, None) if type(msg_id) is str else None

    def receive(self, data: Any, error: Exception | None = None) -> tuple[Token, Outcome] | None:
        """Match a response to its call; anything else (not ours, no id, not a mapping) is ``None``.
        ``error`` is the transport's, for a response it could not decode: the call fails with it."""
        if not isinstance(data, dict):
            return None
        msg_id = data.get("id")
        token = self.pending.pop(msg_id, None) if type(msg_id) is str else None
        if token is None:
            return None
        if error is not None:
            return token, Outcome(error=error)
        if data.get("type") == wire.RAW:  # most answers: read in place, no decoding to fail
            return token, Outcome(data.get("value"))
        try:
            return token, Outcome(from_wire(data, self.endpoint))  # type: ignore[arg-type]
        except Exception as error:
            return token, Outcome(error=error)

    def forget(self, msg_id: str) -> None:
        self.pending.pop(msg_id, None)

    def cancel(self, msg_id: str) -> dict[str, str] | None:
        """Forget a call the caller gave up on; the CANCEL message for the peer if it was pending
        (a late answer is then ignored, and the peer can stop the work)."""
        if self.pending.pop(msg_id, None) is None:
            return None
        return wire.cancel(msg_id)

    def drain(self) -> list[Token]:
        """Drop and return every pending token (the connection closed or was released)."""
        tokens = list(self.pending.values())
        self.pending.clear()
        return tokens
