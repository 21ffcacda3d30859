"""Blocking calls from Python in a Pyodide worker (``comlink_py.shared``) to JS objects exposed with
the real ``Comlink.expose``: the shim's host and a channel served with ``serveSync`` (js/sync.mjs)."""

from __future__ import annotations

from tests.interop.conftest import NodeRun

# The bound for an interrupt to reach a blocked call, with a margin for a machine whose two cores are
# shared: on the host's own channels the interrupt wakes the call, elsewhere it is seen between
# slices of 25 ms.
INTERRUPT_MS = 100 * 2


def test_values_cross_as_in_the_async_path(sync: NodeRun) -> None:
    assert sync["sync.values"] == {
        "add": 3,
        "get": "host",
        "get_deep": 42,
        "echo": {"list": [1, "two", None], "flag": True, "nested": {"x": 1.5}},
        "bytes": [1, 2, 3],
        "awaited": 42,
        "null": "JsNull",  # as the async path gives them (tests/interop/expected.py)
        "bigint": ["JsBigInt", str(10**20)],
    }


def test_js_errors_raise_remote_errors(sync: NodeRun) -> None:
    assert sync["sync.errors"] == {
        "type_error": ["RemoteTypeError", "TypeError: bad input"],
        "missing": "RemoteTypeError",
    }


def test_an_answer_of_64_mib_arrives_in_pieces(sync: NodeRun) -> None:
    size = 64 << 20
    assert sync["sync.big"] == ["JsArrayBuffer", size, 0, (size // 2) % 251, (size - 1) % 251]


def test_callbacks_are_served_while_the_call_blocks(sync: NodeRun) -> None:
    assert sync["sync.callbacks"] == {"total": 30, "kept_total": 10, "seen": [0, 1, 2, 0, 1]}


def test_a_call_of_atoms_posts_and_waits_in_one_call_into_js(sync: NodeRun) -> None:
    assert sync["sync.shortcut_taken"] == [3, ["APPLY"], True]


def test_the_same_with_the_shortcuts_off(sync: NodeRun) -> None:
    shortcut = {key: sync[f"sync.{key}"] for key in ("values", "errors", "callbacks")}
    assert sync["sync.unshortcut"] == shortcut


def test_returned_proxies_construct_assign_and_release(sync: NodeRun) -> None:
    assert sync["sync.proxies"] == {
        "returned": ["SyncRemote", 1, 2],
        "constructed": [6, 7],
        "assigned": "changed",
        "released": "ReleasedProxyError",
    }


def test_input_and_stdin_read_from_the_host(sync: NodeRun) -> None:
    assert sync["sync.stdin"] == ["Ada (name? )", "Lovelace ()\n", "EOFError"]


def test_without_a_shared_buffer_the_first_call_says_why(sync: NodeRun) -> None:
    assert sync["sync.no_buffer"] == ["RuntimeError", "no SharedArrayBuffer: set Cross-Origin-Opener-Policy"]


def test_a_shared_buffer_sent_in_a_message_stays_shared(sync: NodeRun) -> None:
    assert sync["sync.buffer_type"] == "JsProxy"


def test_the_wrap_timeout_applies_and_the_channel_goes_on(sync: NodeRun) -> None:
    assert sync["sync.timeout"] == ["TimeoutError", "no answer within 0.5 s", True, 2]


def test_a_closed_host_fails_a_blocked_call_within_a_second(sync: NodeRun) -> None:
    assert sync["sync.dead_peer"] == ["ConnectionClosedError", True, "ConnectionClosedError"]


def test_python_calls_python_in_another_worker_blocking(sync: NodeRun) -> None:
    assert sync["sync.python_to_python"] == [5, "hello A from the other worker"]


def test_a_peer_worker_that_dies_fails_the_blocked_call_within_a_second(sync: NodeRun) -> None:
    assert sync["sync.peer_dies"] == ["ConnectionClosedError", True]


def test_malformed_messages_on_the_channel_are_dropped_and_calls_go_on(sync: NodeRun) -> None:
    assert sync["sync.garbage"] == [2, 4]


def test_create_endpoint_opens_a_second_channel_to_the_host_object(sync: NodeRun) -> None:
    assert sync["sync.endpoints"] == ["SharedEndpoint", 5, 42, "ReleasedProxyError", 2]


def test_create_endpoint_between_python_workers(sync: NodeRun) -> None:
    assert sync["sync.peer_endpoint"] == ["hello B from the other worker", 2]


def test_interrupt_raises_keyboard_interrupt_in_a_blocked_call(sync: NodeRun) -> None:
    for check in ("sync.interrupt", "sync.peer_interrupt"):
        result = sync[check]
        assert result["signalled"] is True, check
        assert 0 <= result["stoppedMs"] < INTERRUPT_MS, (check, result)
        assert result["rest"] == [0, 5], check  # nothing stayed pending, the next call is answered
