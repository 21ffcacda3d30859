// Module-worker entry for Pyodide 314, which refuses classic workers. startPythonWorker (browser.mjs)
// starts it with `new Worker(url, { type: "module" })`.
import * as Comlink from "../node_modules/comlink/dist/esm/comlink.mjs";
import { loadPyodide } from "../node_modules/pyodide/pyodide.mjs";
import { serveWorker } from "./browser_worker.mjs";

// As in the classic worker, JS Comlink is a global, so Python can reach it as `js.Comlink`.
globalThis.Comlink = Comlink;
serveWorker(loadPyodide, "314");
