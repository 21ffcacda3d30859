// Module-worker entry for Pyodide 314, which refuses classic workers. startPythonWorker (browser.mjs)
// starts it with `new Worker(url, { type: "module" })`.
import { COMLINK_MODULE, pyodideIndexURL } from "./browser_python.mjs";
import { serveWorker } from "./browser_worker.mjs";

serveWorker("314", async () => {
  const [Comlink, { loadPyodide }] = await Promise.all([
    import(COMLINK_MODULE),
    import(`${pyodideIndexURL("314")}pyodide.mjs`),
  ]);
  // As in the classic worker, JS Comlink is a global, so Python can reach it as `js.Comlink`.
  globalThis.Comlink = Comlink;
  return loadPyodide;
});
