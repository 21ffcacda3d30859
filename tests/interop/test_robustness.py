"""Across the JS/Python boundary, bad input gets clear answers and dead peers fail calls fast."""

from __future__ import annotations

from tests.interop.conftest import NodeRun

EXPECTED_ERRORS = {
    "no-type": ("ProtocolError", "unknown message type None"),
    "frob": ("ProtocolError", "unknown message type 'FROB'"),
    "path-string": ("ProtocolError", "'path' must be a list of strings"),
    "path-object": ("ProtocolError", "'path' must be a list of strings"),
    "path-missing": ("AttributeError", "'Api' object has no attribute 'nope'"),
    "args-not-wire": ("ProtocolError", "argumentList[0] must be a wire value object, got int"),
    "args-not-list": ("ProtocolError", "'argumentList' must be a list of wire values"),
    "unknown-handler": ("ProtocolError", "no transfer handler registered under 'nope'"),
    "set-no-path": ("ProtocolError", "SET needs a non-empty 'path'"),
    "dunder": ("PermissionError", "access to private name '__class__' is refused"),
    "unclonable": ("TypeError", "Unserializable return value: method could not be cloned"),
    "cyclic": ("TypeError", "unsupported operand type(s) for +: 'dict' and 'int'"),
    "map-keys": ("TypeError", "unsupported operand type(s) for +: 'dict' and 'int'"),
    "42": ("AttributeError", "'Api' object has no attribute 'missing'"),
}


def test_garbage_from_js_gets_clear_errors_and_the_python_worker_lives(robustness: NodeRun) -> None:
    result = robustness["robustness.garbage"]
    summary = result["summary"]
    for message_id, (name, text) in EXPECTED_ERRORS.items():
        kind, got_name, got_message = summary[message_id]
        assert (kind, got_name) == ("throw", name), message_id
        assert got_message.startswith(text), (message_id, got_message)
    # Values that are odd but valid are simply served; responses and data-less messages get nothing.
    assert summary["deep"] == ["RAW"] and summary["huge"] == ["RAW"]
    assert set(summary) == {*EXPECTED_ERRORS, "deep", "huge"}
    assert result["alive"] == [5, 9]


def test_a_worker_that_dies_fails_pending_and_later_calls_within_a_second(robustness: NodeRun) -> None:
    result = robustness["robustness.worker_dies"]
    for state, error in (result["outcome"], result["later"]):
        assert state == "rejected"
        assert error["message"] == "the Python worker exited (code 3)"
    assert result["elapsed"] < 1000


def test_python_calls_fail_when_the_peer_port_closes(robustness: NodeRun) -> None:
    name, message, seconds = robustness["robustness.peer_port_closes"]
    assert name == "ConnectionClosedError"
    assert message == "the endpoint closed while the call was pending"
    assert seconds < 1
