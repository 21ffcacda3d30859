"""Streams between real Comlink in Node and comlink_py in a real Pyodide worker (js/streams.mjs)."""

from __future__ import annotations

from tests.interop.conftest import NodeRun


def test_a_python_generator_reaches_for_await_as_a_remote_stream(streams: NodeRun) -> None:
    result = streams["streams.generator_to_for_await"]
    assert result == {
        "isRemoteStream": True,
        "count": 1000,
        "first": {"i": 0, "v": "x"},
        "last": {"i": 999, "v": "x"},
    }
    assert streams["streams.async_generator"] is True


def test_break_in_js_closes_the_python_producer(streams: NodeRun) -> None:
    assert streams["streams.break_closes_producer"] == ["rows closed", "ticks closed"]


def test_a_stream_garbage_collected_in_js_closes_the_python_producer(streams: NodeRun) -> None:
    assert streams["streams.garbage_collected_consumer_closes_producer"] is True


def test_the_producer_runs_only_a_window_ahead(streams: NodeRun) -> None:
    # stream(..., batch=4, window=2): one item read, two pulls of 4 asked for, no more.
    result = streams["streams.back_pressure"]
    assert result["first"] == {"i": 0, "v": "x"}
    assert result["ahead"] == 8


def test_an_error_in_the_producer_reaches_js_after_the_items_before_it(streams: NodeRun) -> None:
    assert streams["streams.producer_error"] == {"got": [1], "name": "KeyError", "message": "'no such row'"}


def test_transferred_bytearrays_arrive_as_array_buffers(streams: NodeRun) -> None:
    result = streams["streams.transferred_chunks"]
    assert result["kind"] == "ArrayBuffer"
    assert result["sizes"] == [[65536, i, i] for i in range(4)]


def test_js_async_iterables_and_readable_streams_arrive_as_async_iterators(streams: NodeRun) -> None:
    assert streams["streams.js_async_generator_to_python"] == 5050
    assert streams["streams.readable_stream_to_python"] == ["RemoteStream", ["a", "b", "c"]]


def test_js_buffers_marked_for_transfer_are_moved_to_python(streams: NodeRun) -> None:
    result = streams["streams.js_buffers_moved_to_python"]
    assert result == {"sizes": [1024, 2048], "left": [0, 0], "copiedSizes": [16], "copiedLeft": 16}


def test_python_stopping_early_closes_the_js_generator(streams: NodeRun) -> None:
    result = streams["streams.python_stops_js_generator"]
    assert result["got"] == [0, 1, 2]
    assert result["closed"] is True
    assert result["made"] <= 8  # one pull of batch 8 in flight at most


def test_a_python_async_generator_passed_to_js_is_an_async_iterable(streams: NodeRun) -> None:
    assert streams["streams.python_async_generator_to_js"] == [True, sum(i * i for i in range(10))]


def test_streams_run_between_two_pyodide_workers(streams: NodeRun) -> None:
    # 3000 rows read whole, then an endless one left after three items: both generators closed.
    assert streams["streams.between_pyodide_workers"] == [3000, 2999, ["rows closed", "rows closed"]]


def test_no_tasks_are_left_in_the_worker(streams: NodeRun) -> None:
    assert streams["streams.nothing_left_behind"] == {"settled": True, "tasks": 0}
