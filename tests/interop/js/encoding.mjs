// JsEndpoint's shortcuts against Pyodide's general conversions, on Node's main thread: a message
// posted through postFlat, postCall or answer (the id held in JS) must reach JS exactly as to_js
// makes it (key order, undefined, BigInt and NaN included), and a message from JS must decode
// exactly as before whichever way (primitive, flat, request, plain to_py, to_py with the decoder)
// the listener picks.
import { loadPython } from "../../../js_shim/node.mjs";
import { check, describe } from "./harness.mjs";

const pyodide = await loadPython();
const posted = [];
let listener = null;
globalThis.capture = {
  postMessage: (message) => posted.push(message),
  addEventListener: (type, fn) => (listener = fn),
  removeEventListener: () => {},
};

/** describe(), with the keys of every plain object in their order. */
const shape = (value) =>
  value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype
    ? ["Object", Object.entries(value).map(([key, item]) => [key, shape(item)])]
    : Array.isArray(value)
      ? ["Array", value.map(shape)]
      : describe(value);

await check("posted", async () => {
  const shortcuts = pyodide.runPython(`
import json
import js
from comlink_py.js import JsEndpoint
from comlink_py.pyodide.endpoint import load_ffi

ffi = load_ffi()
used = []
endpoint = JsEndpoint(js.capture)
endpoint._bind()  # makes the functions patched here, as a first use would
for name, slot in (("post_flat", "_js_flat"), ("post_call", "_js_call"), ("answer", "_js_answer")):
    original = getattr(endpoint, slot)
    setattr(endpoint, slot, lambda *args, _original=original, _name=name: (used.append(_name), _original(*args)))
messages = [
    {"type": "RAW", "value": None, "id": "a-1"},
    {"type": "RAW", "value": 2**60, "id": "a-2"},
    {"type": "RAW", "value": float("nan"), "id": "a-3"},
    {"type": "RAW", "value": -0.0, "id": "a-4"},
    {"id": "b-1", "type": "APPLY", "path": ["f", "g"], "argumentList": [
        {"type": "RAW", "value": 1}, {"type": "RAW", "value": "x"}, {"type": "RAW", "value": None},
        {"type": "RAW", "value": True}, {"type": "RAW", "value": 2**70}]},
    {"id": "b-2", "type": "GET", "path": []},
    {"id": "b-3", "type": "RELEASE"},
    {"id": "b-4", "type": "APPLY", "path": ["f"], "argumentList": []},
    {"id": "b-5", "type": "APPLY", "path": ["f"], "argumentList": [{"type": "RAW", "value": "one"}]},
    {"id": "c-1", "type": "APPLY", "path": ["f"], "argumentList": [{"type": "RAW", "value": [1, 2]}]},
    {"id": "c-2", "type": "APPLY", "path": ["f"], "argumentList": [{"value": 1, "type": "RAW"}]},
    {"type": "APPLY", "id": "c-3", "path": ["f"]},
    {"id": "c-4", "type": "SET", "path": ["x"], "value": {"type": "RAW", "value": 1}},
    {"id": "c-5", "type": "APPLY", "path": ["f"], "argumentList": [{"type": "HANDLER", "name": "n", "value": 1}]},
    {"id": "c-6", "type": "APPLY", "path": [1], "argumentList": []},
    {"id": 7, "type": "GET", "path": ["f"]},
    {"id": "c-7", "type": "GET", "path": None},
]
# Routes (type and path) are numbered once in JS, up to a table's size; then requests go by to_js.
messages += [{"id": f"r-{i}", "type": "GET", "path": ["route", str(i)]} for i in range(300)]
shortcuts = []
for message in messages:
    used.clear()
    endpoint.post_message(message)
    shortcuts.append(used[0] if used else None)
    js.capture.postMessage(ffi.encode(message))  # the general conversion, to compare with
json.dumps(shortcuts)
`);
  const pairs = [];
  for (let i = 0; i < posted.length; i += 2) pairs.push([shape(posted[i]), shape(posted[i + 1])]);
  return { shortcuts: JSON.parse(shortcuts), pairs };
});

await check("answered", async () => {
  // A request answered through the endpoint's post_answer(id, value) while it is delivered: the answer
  // takes its id from JS, unless the id is not the very object delivered. Answers posted with
  // post_message (another key order, a handler, a nested value) take the ordinary paths. "reenter"
  // has another request delivered (and answered) inside its own delivery before it answers.
  posted.length = 0;
  globalThis.reenter = (id) => listener({ data: { id, type: "GET", path: ["none"] }, origin: "" });
  const results = pyodide.runPython(`
atoms = {"none": None, "big": 2**60, "nan": float("nan"), "text": "x" * 40}
messages = {
    "other order": lambda i: {"value": 1, "type": "RAW", "id": i},
    "handler": lambda i: {"type": "HANDLER", "name": "n", "value": 1, "id": i},
    "nested": lambda i: {"type": "RAW", "value": [1], "id": i},
}
answered = []
def answer(event):
    data = event.data
    name = data.get("path", [""])[0] if isinstance(data, dict) else None
    if name == "reenter":
        js.reenter(data["id"] + "-inner")
        name = "none"
    used.clear()
    if name in atoms:
        endpoint.post_answer(data["id"], atoms[name])
        message = {"type": "RAW", "value": atoms[name], "id": data["id"]}
    elif name == "equal id":
        message = {"type": "RAW", "value": 1, "id": "".join(list(data["id"]))}
        endpoint.post_answer(message["id"], 1)
    elif name in messages:
        message = messages[name](data["id"])
        endpoint.post_message(message)
    else:
        return
    answered.append(used[0] if used else None)
    js.capture.postMessage(ffi.encode(message))  # the general conversion, to compare with
endpoint.add_listener(answer)
answered
`);
  const names = ["none", "big", "nan", "text", "equal id", "other order", "handler", "nested", "reenter"];
  const ids = ["1a2b3c4d5e6f7-1a2b3c4d5e6f7-1a2b3c4d5e6f7-1a2b3c4d5e6f7", "é-🙂-id", "z".repeat(300)];
  for (const id of ids) {
    for (const name of names) listener({ data: { id, type: "GET", path: [name] }, origin: "" });
  }
  // An answer given after delivery has ended cannot use the held id.
  pyodide.runPython(`endpoint.remove_listener(answer)
used.clear()
endpoint.post_answer("late", 5)
answered.append(used[0] if used else None)
js.capture.postMessage(ffi.encode({"type": "RAW", "value": 5, "id": "late"}))`);
  const pairs = [];
  for (let i = 0; i < posted.length; i += 2) pairs.push([shape(posted[i]), shape(posted[i + 1])]);
  return { paths: results.toJs(), pairs };
});

await check("grown", async () => {
  // The id buffer is a view of WebAssembly memory, which growing detaches: ids still arrive whole.
  const ids = pyodide.runPython(`
ids = []
def keep_id(event):
    ids.append(event.data["id"])
endpoint.add_listener(keep_id)
ids
`);
  const memory = () => pyodide._module.HEAP8.buffer.byteLength;
  const before = memory();
  listener({ data: { id: "before-growing-0123456789abcdef", type: "GET", path: ["a"] }, origin: "" });
  pyodide.runPython("grown = bytearray(256 << 20)");
  const after = memory();
  listener({ data: { id: "after-growing-0123456789abcdef", type: "GET", path: ["a"] }, origin: "" });
  pyodide.runPython("del grown\nendpoint.remove_listener(keep_id)");
  return { grew: after > before, ids: ids.toJs() };
});

await check("received", async () => {
  const seen = pyodide.runPython(`
import datetime
from comlink_py.js import JsArrayBuffer

seen = []
def kind(value):
    if isinstance(value, dict):
        return ["dict", [[key, kind(item)] for key, item in value.items()]]
    if isinstance(value, list):
        return ["list", [kind(item) for item in value]]
    if isinstance(value, JsArrayBuffer):
        return ["JsArrayBuffer", list(bytes(value))]
    if isinstance(value, datetime.datetime):
        return ["datetime", value.isoformat()]
    if isinstance(value, float) or (isinstance(value, int) and abs(value) > 2**53):
        return [type(value).__name__, repr(value)]  # NaN, -0.0 and big ints survive JSON
    return [type(value).__name__, value]
id_lengths = []  # in Python's code points: a surrogate pair cut in two would count twice
def on_message(event):
    seen.append([kind(event.data), event.origin])
    if isinstance(event.data, dict) and isinstance(event.data.get("id"), str):
        id_lengths.append(len(event.data["id"]))
endpoint.add_listener(on_message)
seen
`);
  const buffer = new Uint8Array([1, 2, 3]).buffer;
  const messages = [
    5,
    "text",
    null,
    { a: 1, b: [1, { c: "x", d: null }], e: true },
    { id: "r", type: "APPLY", path: ["f"], argumentList: [{ type: "RAW", value: 2.5 }] },
    { buf: buffer, list: [buffer] },
    { when: new Date(0) },
    { map: new Map([["k", 1]]) },
    { type: "RAW", value: undefined, id: "f-1" },
    { a: null, b: 2n ** 70n, c: NaN, d: -0, e: "", f: false, g: 1.5 },
    Object.assign(Object.create(null), { k: 1 }),
    {},
    // Requests: the first three take the shortcut, the rest do not.
    { id: "q-1", type: "APPLY", path: ["a", "b"], argumentList: [{ type: "RAW", value: 1 }, { type: "RAW", value: null }, { type: "RAW", value: undefined }, { type: "RAW", value: 2n ** 64n }] },
    { id: "q-2", type: "GET", path: [] },
    { id: "q-3", type: "RELEASE", path: ["x"] },
    { type: "APPLY", id: "q-4", path: ["a"], argumentList: [] },
    { id: "q-5", type: "APPLY", path: ["a"], argumentList: [{ value: 1, type: "RAW" }] },
    { id: "q-6", type: "APPLY", path: ["a"], argumentList: [{ type: "RAW", value: [1] }] },
    { id: "q-7", type: "APPLY", path: [1], argumentList: [] },
    { id: 8, type: "GET", path: ["a"] },
    { id: "q-9", type: "APPLY", path: ["a"], argumentList: [{ type: "HANDLER", name: "proxy", value: 1 }] },
    // Ids of any length arrive whole (they cross in pieces of 16 characters).
    { id: "i".repeat(16), type: "GET", path: ["a"] },
    { id: "0123456789abcdef0", type: "GET", path: ["a"] },
    { id: "x".repeat(47) + "é🙂", type: "GET", path: ["a"] },
    { id: "y".repeat(300), type: "GET", path: ["a"] },
    { id: "x".repeat(15) + "🙂" + "z", type: "GET", path: ["a"] },
    // A request carrying ArrayBuffers takes the shortcut too: they arrive uncopied.
    { id: "q-10", type: "APPLY", path: ["size"], argumentList: [{ type: "RAW", value: 3 }, { type: "RAW", value: buffer }] },
  ];
  for (const data of messages) listener({ data, origin: "https://o.example" });
  // Key sets of flat objects cross as numbers after their first time, up to a table's size:
  // a known set again, then enough new ones to fill the table, then a known and a new one.
  const flats = [{ type: "RAW", value: 2, id: "f-2" }];
  for (let i = 0; i < 300; i++) flats.push({ ["k" + i]: i });
  flats.push({ type: "RAW", value: 3, id: "f-3" }, { k299: "again" }, { fresh: true });
  // Routes (type and path) of requests are numbered alike: a known one, and a new one once full.
  flats.push({ id: "r-1", type: "GET", path: ["a"] }, { id: "r-2", type: "APPLY", path: ["new", "route"], argumentList: [] });
  for (const data of flats) listener({ data, origin: "https://o.example" });
  listener({ data: { last: 1 }, origin: "" }); // what Node's ports and workers report: no origin
  // The general conversion of the messages without buffers, as every message was decoded before.
  const general = pyodide.runPython(`
from comlink_py.pyodide.endpoint import load_ffi
lambda data: kind(data.to_py(default_converter=load_ffi().decoder))`);
  const expected = [3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25].map((i) => general(messages[i]).toJs({ create_pyproxies: false }));
  const buffers = [buffer.byteLength, [...new Uint8Array(buffer)]]; // restored after delivery
  const idLengths = pyodide.globals.get("id_lengths").toJs();
  return { seen: seen.toJs({ create_pyproxies: false }), buffers, expected, idLengths };
});
