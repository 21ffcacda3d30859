// Row 3u, what users write without comlink_py: JS Comlink exposing, in a Pyodide worker, an object
// whose methods are Python functions (PyProxies), so that every call enters Python once from JS.
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { loadPyodideHere } from "../../js_shim/node_python.mjs";
import { target } from "./target.mjs";

const pyodide = await loadPyodideHere();
const python = pyodide.runPython(`
def noop():
    pass

def size(buffer):
    return buffer.byteLength

noop, size
`);
const [noop, size] = python.toJs();
Comlink.expose({ ...target, noop, size }, nodeEndpoint(parentPort));
