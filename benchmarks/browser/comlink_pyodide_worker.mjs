// Row b2p's exposing side, the control of b3: JS Comlink serving the benchmark target in a module
// Web Worker that has loaded Pyodide but never runs Python (the browser twin of
// node/comlink_pyodide_worker.mjs). It says "ready" once it serves: messages that arrive before a
// module worker's listener is added are lost.
import * as Comlink from "../../node_modules/comlink/dist/esm/comlink.mjs";
import { loadPython } from "../../js_shim/browser_python.mjs";
import { target } from "../node/target.mjs";

globalThis.pyodide = await loadPython(); // kept alive, as a Python worker keeps it
Comlink.expose(target);
globalThis.postMessage("ready");
