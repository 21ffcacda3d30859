// Bad input and dead peers across the JS/Python boundary: garbage posted straight at a Python
// worker, a worker that dies with calls pending, and a Python caller whose peer port closes.
import * as Comlink from "comlink";
import { startPythonWorker } from "../../../js_shim/node.mjs";
import { check, settled, sleep } from "./harness.mjs";

const CODE = `
import asyncio, time
import js
import comlink_py
from comlink_py.js import JsEndpoint

class Api:
    def add(self, a, b):
        return a + b

    async def forever(self):
        await asyncio.Event().wait()

    def crash(self):
        js.setTimeout(js.Function.new("process.exit(3)"), 20)

    async def peer_closes(self):
        """Python wraps Python over a JS MessageChannel; the serving side closes its port."""
        near, far = _channel()
        comlink_py.expose({"wait": lambda: asyncio.Event().wait()}, near)
        remote = comlink_py.wrap(far)
        pending = remote.wait()
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        near.close()
        try:
            await asyncio.wait_for(pending, 5)
        except Exception as error:
            return [type(error).__name__, str(error), time.perf_counter() - started]
        return ["resolved"]

def _channel():
    channel = js.MessageChannel.new()
    return JsEndpoint(channel.port1), JsEndpoint(channel.port2)

comlink_py.expose(Api())
`;

const deep = (depth) => {
  let value = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};
const cyclic = { name: "loop" };
cyclic.self = cyclic;

const GARBAGE = [
  null,
  undefined,
  0,
  "text",
  [1, 2],
  { id: "no-type" },
  { id: "frob", type: "FROB" },
  { id: "path-string", type: "GET", path: "add" },
  { id: "path-object", type: "GET", path: [{}] },
  { id: "path-missing", type: "GET", path: ["nope", "deeper"] },
  { id: "args-not-wire", type: "APPLY", path: ["add"], argumentList: [5, 6] },
  { id: "args-not-list", type: "APPLY", path: ["add"], argumentList: { 0: 1 } },
  { id: "unknown-handler", type: "APPLY", path: ["add"], argumentList: [{ type: "HANDLER", name: "nope", value: 1 }] },
  { id: "set-no-path", type: "SET", path: [], value: { type: "RAW", value: 1 } },
  { id: "dunder", type: "GET", path: ["__class__", "__init__", "__globals__"] },
  { id: "unclonable", type: "GET", path: ["add"] },
  { id: "deep", type: "APPLY", path: ["add"], argumentList: [{ type: "RAW", value: deep(1000) }, { type: "RAW", value: [] }] },
  { id: "cyclic", type: "APPLY", path: ["add"], argumentList: [{ type: "RAW", value: cyclic }, { type: "RAW", value: 1 }] },
  { id: "huge", type: "APPLY", path: ["add"], argumentList: [{ type: "RAW", value: "x".repeat(1 << 24) }, { type: "RAW", value: "!" }] },
  { id: "map-keys", type: "APPLY", path: ["add"], argumentList: [{ type: "RAW", value: new Map([[1, 2]]) }, { type: "RAW", value: 1 }] },
  { id: 42, type: "GET", path: ["missing"] },
  { type: "RAW", value: "a response, never answered", id: "response" },
];

await check("robustness.garbage", async () => {
  const py = startPythonWorker({ code: CODE });
  await py.ready;
  const port = await py.remote[Comlink.createEndpoint]();
  const answers = new Map();
  port.on("message", (data) => answers.set(data.id, data));
  for (const message of GARBAGE) port.postMessage(message);
  // Every request with an id gets an answer: wait for all of them (the 16 MB one takes a while on
  // a loaded machine), then a little longer for any answer that should not come.
  const answerable = GARBAGE.filter((m) => m?.id != null && m.id !== "response").map((m) => m.id);
  const deadline = Date.now() + 30_000;
  while (!answerable.every((id) => answers.has(id)) && Date.now() < deadline) await sleep(20);
  await sleep(300);
  const summary = {};
  for (const [id, data] of answers) {
    summary[id] = data.type === "HANDLER" ? [data.name, data.value?.value?.name, data.value?.value?.message] : [data.type];
  }
  const alive = [await py.remote.add(2, 3), await Comlink.wrap(port).add(4, 5)];
  port.close();
  await py.terminate();
  return { summary, alive };
});

await check("robustness.worker_dies", async () => {
  const py = startPythonWorker({ code: CODE });
  await py.ready;
  const pending = settled(py.remote.forever());
  await py.remote.crash();
  const started = performance.now();
  const outcome = await pending;
  const elapsed = performance.now() - started;
  const later = await settled(py.remote.add(1, 1));
  await py.terminate();
  return { outcome, elapsed, later };
});

await check("robustness.peer_port_closes", async () => {
  const py = startPythonWorker({ code: CODE });
  const result = await py.remote.peer_closes();
  await py.terminate();
  return result;
});
