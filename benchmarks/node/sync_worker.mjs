// The worker of sync_bench.mjs: Pyodide with comlink_py, the three channels to the main thread,
// and benchmarks/sync_measure.py run on them. synclink's calls are made through a JS helper: a
// task that reaches Python is already a PyodideFuture (it is a thenable), which has no syncify.
import { readFileSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import * as Synclink from "synclink";
import { loadPython } from "../../js_shim/node_python.mjs";
import { installSync } from "../../js_shim/sync_worker.mjs";

const { calls, sync, asyncPort, synclinkPort } = workerData;
const pyodide = await loadPython();
installSync(pyodide, sync);
pyodide.FS.writeFile("/home/pyodide/sync_measure.py", readFileSync(new URL("../sync_measure.py", import.meta.url)));
const synclink = Synclink.wrap(synclinkPort);
const peers = {
  synclink: { noop: () => synclink.noop().syncify(), sleep: (ms) => synclink.sleep(ms).syncify() },
};
pyodide.globals.set("peers", pyodide.toPy(peers, { depth: 1 }));
pyodide.globals.set("async_port", asyncPort);
pyodide.globals.set("synclink_remote", synclink);
pyodide.globals.set("calls", calls);
const result = await pyodide.runPythonAsync(`
import sys, json
sys.path.insert(0, "/home/pyodide")
import comlink_py, sync_measure
from comlink_py.js import JsEndpoint
from comlink_py.shared import host_sync

host = host_sync()
rows = {
    "comlink_py": {"noop": host.noop, "sleep": host.sleep},
    "synclink": {"noop": peers["synclink"].noop, "sleep": peers["synclink"].sleep},
}
out = await sync_measure.run(rows, comlink_py.wrap(JsEndpoint(async_port)), host.cpuNow, calls)
direct = type(synclink_remote.noop()).__name__
json.dumps({"rows": out, "synclink_from_python": direct, "python": sys.version.split()[0]})
`);
parentPort.postMessage(JSON.parse(result));
