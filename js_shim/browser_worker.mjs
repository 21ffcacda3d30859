// The worker half of startPythonWorker (browser.mjs): Python serves on the worker's own global scope,
// so the page can `Comlink.wrap(worker)`. The shared boot (boot.mjs) loads comlink_py, runs the main
// code and answers calls with the Python error if it fails.
import { STATUS, bootPython, errorInfo, loadExtras } from "./boot.mjs";
import { browserFiles, fetchComlinkPy, fetchText, pyodideIndexURL } from "./browser_python.mjs";

/** The one message the page sends before any Comlink call:
 *  { [BOOT_KEY]: { code | file, hostPort, sync, extras, debug, interruptBuffer } }, its URLs absolute.
 *  Comlink and comlink_py ignore it (it has no id). */
export const BOOT_KEY = "comlink_py:boot";

/**
 * The worker's scope as an endpoint that holds messages until start(), as a MessagePort does: the
 * page may call at once, seconds before Python listens, and a worker drops messages nobody hears.
 * The page's boot message is taken out first and resolves `boot`. `early` are events a classic
 * worker caught while this module loaded.
 */
function heldScope(early) {
  const held = [];
  const listeners = new Set();
  let started = false;
  let resolveBoot;
  const boot = new Promise((resolve) => {
    resolveBoot = resolve;
  });
  const hold = (event) => {
    if (resolveBoot !== null && event.data?.[BOOT_KEY] !== undefined) {
      resolveBoot(event.data[BOOT_KEY]);
      resolveBoot = null;
    } else {
      held.push(event);
    }
  };
  early.forEach(hold);
  self.addEventListener("message", hold);
  const call = (listener, event) =>
    typeof listener === "function" ? listener(event) : listener.handleEvent(event);
  // Held messages go out in a later task, in order, before any that arrive after it.
  const release = () => {
    self.removeEventListener("message", hold);
    for (const listener of listeners) self.addEventListener("message", listener);
    for (const event of held.splice(0)) for (const listener of listeners) call(listener, event);
  };
  const endpoint = {
    postMessage: (message, transfer) => self.postMessage(message, transfer),
    addEventListener(type, listener) {
      listeners.add(listener);
      if (started) self.addEventListener(type, listener);
    },
    removeEventListener(type, listener) {
      listeners.delete(listener);
      self.removeEventListener(type, listener);
    },
    start() {
      if (started) return;
      started = true;
      setTimeout(release, 0);
    },
  };
  return { boot, endpoint };
}

/** Serve Python on this worker with Pyodide `version`. `loadPeers()` makes JS Comlink a global of
 *  the worker and returns that Pyodide's loadPyodide; it runs during start-up, so its errors are
 *  start-up errors. Call serveWorker while the worker's script first runs (with what a classic
 *  worker caught meanwhile as `early`). */
export async function serveWorker(version, loadPeers, early = []) {
  // A fatal error of Pyodide (os._exit in Python, say) ends up uncaught; in Node it ends the worker
  // thread, here the worker would live on with a dead Python: tell the page, which terminates it.
  const crashed = (event, error) => {
    if (error?.pyodide_fatal_error !== true) return;
    event.preventDefault();
    self.postMessage({ [STATUS]: "crashed", error: errorInfo(error) });
  };
  self.addEventListener("error", (event) => crashed(event, event.error));
  self.addEventListener("unhandledrejection", (event) => crashed(event, event.reason));
  const scope = heldScope(early);
  const { code, file, hostPort, sync, extras, debug, interruptBuffer } = await scope.boot;
  // A main file goes into Pyodide's FS under its URL's path, so that tracebacks show its lines.
  const path = file == null ? null : `/home/pyodide${new URL(file).pathname}`;
  const indexURL = pyodideIndexURL(version);
  const report = (progress) => self.postMessage({ [STATUS]: "progress", progress });
  let source = code;
  const failure = await bootPython({
    loadPyodide: async () => (await loadPeers())({ indexURL, env: debug ? { COMLINK_PY_DEBUG: "1" } : {} }),
    files: fetchComlinkPy,
    async prepare(pyodide) {
      if (path != null) {
        source = await fetchText(file);
        pyodide.FS.mkdirTree(path.slice(0, path.lastIndexOf("/")));
        pyodide.FS.writeFile(path, source);
      }
      await loadExtras(pyodide, extras, browserFiles(indexURL), report);
    },
    port: scope.endpoint,
    hostPort,
    sync,
    interruptBuffer, // null on a page that is not cross-origin isolated
    readSource: () => source,
    filename: path ?? "<comlink_py main>",
  });
  self.postMessage(failure == null ? { [STATUS]: "ready" } : { [STATUS]: "error", error: failure.value.value });
}
