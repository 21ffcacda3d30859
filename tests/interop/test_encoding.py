"""JsEndpoint converts most messages by shortcuts (one FFI call that builds the JS object, and
``to_py`` without a converter for plain data); these checks hold them to Pyodide's general
conversions, in real Pyodide, message by message (tests/interop/js/encoding.mjs)."""

from __future__ import annotations

from typing import Any

from .conftest import NodeRun

FLAT, CALL, GENERAL = "post_flat", "post_call", None
# The path each posted message takes: answers of atoms and requests of atoms use a shortcut;
# anything else (nested values, other key orders, handlers, SET, non-string ids or paths) does not,
# but a request of three atoms (a path of None) is a flat object.
SHORTCUTS = [FLAT, FLAT, FLAT, FLAT, CALL, CALL, CALL, CALL, CALL] + [GENERAL] * 7 + [FLAT]
# Then 300 requests on new routes: postCall numbers routes up to 256 (four known already), after
# which new routes go through to_js (comlink_py.pyodide.fastpath.ROUTES).
ROUTES = [CALL] * (256 - 4) + [GENERAL] * (300 - 256 + 4)
ORIGIN = "https://o.example"
ARGUMENTS = [["int", 1], ["JsNull", None], ["NoneType", None], ["JsBigInt", repr(2**64)]]


def test_every_posted_message_arrives_as_to_js_makes_it(encoding: NodeRun) -> None:
    posted = encoding["posted"]
    assert posted["shortcuts"] == SHORTCUTS + ROUTES
    assert len(posted["pairs"]) == len(SHORTCUTS + ROUTES)
    for index, (shortcut, general) in enumerate(posted["pairs"]):
        assert shortcut == general, index
    # Spot checks of what both paths gave: undefined stays undefined, big ints are BigInts.
    assert posted["pairs"][0][0] == [
        "Object",
        [["type", ["string", "RAW"]], ["value", "undefined"], ["id", ["string", "a-1"]]],
    ]
    assert posted["pairs"][1][0][1][1] == ["value", ["bigint", str(2**60)]]


ANSWER = "answer"
# Per request id: answers of atoms given with the endpoint's post_answer() use the id JS holds; one with
# an equal id that is another object, and messages posted with another key order, a handler or a
# nested value do not; a request delivered inside another's delivery is
# answered with its own id, then the outer one with its. Ids of JS Comlink's kind, with characters
# beyond Latin-1 and longer than the id buffer all take the same paths.
ANSWERED = [ANSWER] * 4 + [FLAT, FLAT, GENERAL, GENERAL] + [ANSWER, ANSWER]


def test_answers_during_delivery_use_the_id_held_in_js(encoding: NodeRun) -> None:
    answered = encoding["answered"]
    assert answered["paths"] == ANSWERED * 3 + [FLAT]  # the last answer came after delivery
    assert len(answered["pairs"]) == len(answered["paths"])
    for index, (shortcut, general) in enumerate(answered["pairs"]):
        assert shortcut == general, index
    first = "1a2b3c4d5e6f7-" * 3 + "1a2b3c4d5e6f7"
    assert answered["pairs"][3][0][1][2] == ["id", ["string", first]]
    assert [pair[0][1][2] for pair in answered["pairs"][8:10]] == [
        ["id", ["string", first + "-inner"]],
        ["id", ["string", first]],
    ]
    assert answered["pairs"][len(ANSWERED) + 1][0][1][2] == ["id", ["string", "é-🙂-id"]]


def test_ids_arrive_whole_after_the_memory_grew(encoding: NodeRun) -> None:
    grown = encoding["grown"]
    assert grown["grew"]  # else this test would not test anything
    assert grown["ids"] == ["before-growing-0123456789abcdef", "after-growing-0123456789abcdef"]


def kind(name: str, value: Any = None) -> list[Any]:
    return [name, value]


def test_every_received_message_decodes_as_before(encoding: NodeRun) -> None:
    received = encoding["received"]
    seen = received["seen"]
    assert [origin for _, origin in seen] == [ORIGIN] * (27 + 306) + [None]  # "" is no origin
    data = [value for value, _ in seen][:-1]
    flats, data = data[27:], data[:27]
    assert flats[0] == [
        "dict",
        [["type", kind("str", "RAW")], ["value", kind("int", 2)], ["id", kind("str", "f-2")]],
    ]
    assert flats[1:301] == [["dict", [[f"k{i}", kind("int", i)]]] for i in range(300)]
    assert flats[301:] == [
        ["dict", [["type", kind("str", "RAW")], ["value", kind("int", 3)], ["id", kind("str", "f-3")]]],
        ["dict", [["k299", kind("str", "again")]]],
        ["dict", [["fresh", kind("bool", True)]]],
        [
            "dict",
            [
                ["id", kind("str", "r-1")],
                ["type", kind("str", "GET")],
                ["path", ["list", [kind("str", "a")]]],
            ],
        ],
        [
            "dict",
            [
                ["id", kind("str", "r-2")],
                ["type", kind("str", "APPLY")],
                ["path", ["list", [kind("str", "new"), kind("str", "route")]]],
                ["argumentList", ["list", []]],
            ],
        ],
    ]
    assert data[0] == kind("int", 5)
    assert data[1] == kind("str", "text")
    assert data[3][0] == "dict" and [key for key, _ in data[3][1]] == ["a", "b", "e"]
    assert data[5] == [
        "dict",
        [["buf", kind("JsArrayBuffer", [1, 2, 3])], ["list", ["list", [kind("JsArrayBuffer", [1, 2, 3])]]]],
    ]
    assert data[6] == ["dict", [["when", kind("datetime", "1970-01-01T00:00:00+00:00")]]]
    assert data[7] == ["dict", [["map", ["dict", [["k", kind("int", 1)]]]]]]
    assert data[8] == [
        "dict",
        [["type", kind("str", "RAW")], ["value", kind("NoneType")], ["id", kind("str", "f-1")]],
    ]
    assert data[12][1][3] == [
        "argumentList",
        ["list", [["dict", [["type", kind("str", "RAW")], ["value", value]]] for value in ARGUMENTS]],
    ]
    ids = ("i" * 16, "0123456789abcdef0", "x" * 47 + "é🙂", "y" * 300, "x" * 15 + "🙂z")
    assert [dict(data[i][1])["id"] for i in range(21, 26)] == [kind("str", text) for text in ids]
    assert received["idLengths"][10:15] == [len(text) for text in ids]  # no surrogate pair was cut
    assert data[26][1][3] == [
        "argumentList",
        [
            "list",
            [
                ["dict", [["type", kind("str", "RAW")], ["value", kind("int", 3)]]],
                ["dict", [["type", kind("str", "RAW")], ["value", kind("JsArrayBuffer", [1, 2, 3])]]],
            ],
        ],
    ]
    # Flat objects and requests (shortcuts) decode exactly as the general conversion does.
    assert [data[i] for i in (3, 4, *range(6, 26))] == received["expected"]
    # The buffers were swapped for markers only while Python converted: JS has them back.
    assert received["buffers"] == [3, [1, 2, 3]]
