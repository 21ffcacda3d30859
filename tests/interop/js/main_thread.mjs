// comlink_py over the other kinds of JS endpoint, with Pyodide on this (main) thread: a Node `Worker`
// object (EventEmitter style, with its 'exit' event), Comlink's own `nodeEndpoint(worker)` adapter
// (DOM style), and a JS worker calling Python through `nodeEndpoint(parentPort)`.
import { dirname } from "node:path";
import { Worker } from "node:worker_threads";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { loadPython } from "../../../js_shim/node.mjs";
import { mountFolder } from "../../../js_shim/node_python.mjs";
import { SERVICE, report } from "./harness.mjs";

const pyodide = await loadPython();
mountFolder(pyodide, dirname(SERVICE));
const peer = new URL("./worker_peer.mjs", import.meta.url);
globalThis.startPeer = (mode) => new Worker(peer, { workerData: { mode } });
globalThis.nodeEndpoint = nodeEndpoint;

const observed = await pyodide.runPythonAsync(`
import asyncio, json
import js
import comlink_py
from comlink_py.js import JsEndpoint
from service import Api, run_checks

results = {}

# A Worker object: Python listens with worker.on("message") and learns of its 'exit'. wrap takes
# the raw Worker (and adapts it as a JsEndpoint), as Comlink does.
worker = js.startPeer("expose")
results["worker"] = await run_checks(comlink_py.wrap(worker))
pending = comlink_py.wrap(JsEndpoint(worker)).never()
await worker.terminate()
try:
    results["worker_exit"] = ["answered", await asyncio.wait_for(pending, 5)]
except Exception as error:
    results["worker_exit"] = [type(error).__name__, str(error)]

# Comlink's nodeEndpoint(worker): a plain object with addEventListener.
worker = js.startPeer("expose")
remote = comlink_py.wrap(js.nodeEndpoint(worker))
results["node_endpoint"] = [await remote.add(20, 22), await remote.data.nested.list[1]]
await comlink_py.release(remote)
await worker.terminate()

# A JS worker wrapping Python through nodeEndpoint(parentPort).
worker = js.startPeer("wrap")
done = asyncio.get_running_loop().create_future()
endpoint = JsEndpoint(worker)
def on_message(event):
    if isinstance(event.data, dict) and "results" in event.data and not done.done():
        done.set_result(event.data["results"])
endpoint.add_listener(on_message)
exposed = comlink_py.expose(Api(), endpoint)
results["js_worker_calls_python"] = await asyncio.wait_for(done, 10)
endpoint.remove_listener(on_message)
exposed.close()
await worker.terminate()
results["live_after"] = await Api().live({"pyproxies": 3, "listening": 0})
json.dumps(results)
`);
for (const [name, value] of Object.entries(JSON.parse(observed))) {
  if (name === "worker") {
    for (const [check, outcome] of Object.entries(value)) report(`worker.${check}`, outcome);
  } else {
    report(name, value);
  }
}
