// Classic-worker entry for Pyodide 0.28 (the importScripts pattern). startPythonWorker (browser.mjs)
// starts it with `new Worker(url)`. importScripts makes `Comlink` and `loadPyodide` globals.

// A worker drops messages that arrive while nobody listens: keep them until the shared code loads.
const early = [];
const keep = (event) => early.push(event);
self.addEventListener("message", keep);
Promise.all([import("./browser_worker.mjs"), import("./browser_python.mjs")]).then(
  ([{ serveWorker }, { COMLINK_SCRIPT, pyodideIndexURL }]) => {
    self.removeEventListener("message", keep);
    return serveWorker(
      "0.28",
      () => {
        importScripts(COMLINK_SCRIPT, `${pyodideIndexURL("0.28")}pyodide.js`);
        return self.loadPyodide;
      },
      early,
    );
  },
  (error) => {
    // The status message of boot.mjs (STATUS), which could not be imported either.
    const info = { name: "ImportError", message: `could not load the shim's worker modules: ${error}` };
    self.postMessage({ "comlink_py:status": "error", error: info });
  },
);
