// Row 3u, what users write without comlink_py: JS Comlink exposing, in a Pyodide worker, an object
// whose methods are Python functions (PyProxies), so that every call enters Python once from JS.
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { loadPyodideHere } from "../../js_shim/node_python.mjs";
import { pythonFunctionsTarget } from "./python_functions.mjs";

Comlink.expose(pythonFunctionsTarget(await loadPyodideHere()), nodeEndpoint(parentPort));
