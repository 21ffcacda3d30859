// Row b3u, the browser twin of node/comlink_python_functions_worker.mjs (row 3u): JS Comlink
// exposing, in a module Web Worker that has loaded Pyodide, an object whose methods are Python
// functions (PyProxies), so that every call enters Python once from JS: what users write without
// comlink_py. It says "ready" once it serves (see comlink_pyodide_worker.mjs).
import * as Comlink from "../../node_modules/comlink/dist/esm/comlink.mjs";
import { loadPython } from "../../js_shim/browser_python.mjs";
import { pythonFunctionsTarget } from "../node/python_functions.mjs";

Comlink.expose(pythonFunctionsTarget(await loadPython()));
globalThis.postMessage("ready");
