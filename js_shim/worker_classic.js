// Classic-worker entry for Pyodide 0.28 (the importScripts pattern). startPythonWorker (browser.mjs)
// starts it with `new Worker(url)`. importScripts makes `Comlink` and `loadPyodide` globals.
importScripts("../node_modules/comlink/dist/umd/comlink.js", "../node_modules/pyodide-0.28/pyodide.js");

// A worker drops messages that arrive while nobody listens: keep them until the shared code loads.
const early = [];
const keep = (event) => early.push(event);
self.addEventListener("message", keep);
import("./browser_worker.mjs").then(
  ({ serveWorker }) => {
    self.removeEventListener("message", keep);
    return serveWorker(self.loadPyodide, "0.28", early);
  },
  (error) => {
    // The status message of boot.mjs (STATUS), which could not be imported either.
    const info = { name: "ImportError", message: `could not load browser_worker.mjs: ${error}` };
    self.postMessage({ "comlink_py:status": "error", error: info });
  },
);
