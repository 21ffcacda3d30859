"""Comlink 4.4.2's message shapes (its protocol.d.ts) as a JSON Schema, for validating what we emit."""

from __future__ import annotations

from typing import Any

import jsonschema

_ID = {"type": "string", "minLength": 1}
_PATH = {"type": "array", "items": {"type": "string"}}
_WIRE_VALUE = {
    "oneOf": [
        {
            "type": "object",
            "properties": {"id": _ID, "type": {"const": "RAW"}, "value": {}},
            "required": ["type"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {
                "id": _ID,
                "type": {"const": "HANDLER"},
                "name": {"type": "string"},
                "value": {},
            },
            "required": ["type", "name"],
            "additionalProperties": False,
        },
    ]
}


def _message(kind: str, **fields: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {"id": _ID, "type": {"const": kind}, **fields},
        "required": ["id", "type", *fields],
        "additionalProperties": False,
    }


MESSAGE = {
    "oneOf": [
        _message("GET", path=_PATH),
        _message("SET", path=_PATH, value=_WIRE_VALUE),
        _message("APPLY", path=_PATH, argumentList={"type": "array", "items": _WIRE_VALUE}),
        _message("CONSTRUCT", path=_PATH, argumentList={"type": "array", "items": _WIRE_VALUE}),
        _message("ENDPOINT"),
        _message("RELEASE"),
    ]
}
RESPONSE = {"allOf": [_WIRE_VALUE, {"required": ["id"]}]}

# Values are Python objects, not JSON: only the envelope is checked, so let any leaf through.
_CHECKER = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine(
    "object", lambda _checker, value: isinstance(value, dict)
)
_Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_CHECKER)
message_validator = _Validator(MESSAGE)
response_validator = _Validator(RESPONSE)


def validate_emitted(message: Any) -> None:
    """Every message comlink_py posts is either a request or a response."""
    if message.get("type") in ("RAW", "HANDLER"):
        response_validator.validate(message)
    else:
        message_validator.validate(message)
