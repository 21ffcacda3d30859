// The control of rows 3 and 5: JS Comlink exposing the benchmark target in a worker that has loaded
// Pyodide but never runs Python. What this row pays beyond row 2 comes with holding Pyodide (its
// large JS heap), not with running Python or comlink_py.
import { parentPort } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { loadPyodideHere } from "../../js_shim/node_python.mjs";
import { target } from "./target.mjs";

globalThis.pyodide = await loadPyodideHere(); // kept alive, as a Python worker keeps it
Comlink.expose(target, nodeEndpoint(parentPort));
