// The browser half of "start a Python worker" (node.mjs is the Node half, with the same options):
// a Pyodide Web Worker runs your Python, which calls comlink_py.expose(obj) on the worker itself,
// and this page talks to it with JS Comlink. Everything loads from this origin, never a CDN.
//
//   const { remote, ready } = startPythonWorker({ pyodide: "314", file: "./api.py" });
//   await remote.method(1, 2);
import { registerAbortSignal } from "./abort.mjs";
import { STATUS, extrasOf, interrupter, isWheel, toError } from "./boot.mjs";
import { COMLINK_MODULE, loadPython, pyodideIndexURL } from "./browser_python.mjs";
import { BOOT_KEY } from "./browser_worker.mjs";
import { restartable } from "./lifecycle.mjs";
import { pythonPool } from "./pool.mjs";
import { registerStreams } from "./streams.mjs";
import { syncChannels } from "./sync_host.mjs";

// Where Comlink is depends on where this file is served from (boot.mjs), so no static import.
const Comlink = await import(COMLINK_MODULE);
registerAbortSignal(Comlink); // an AbortSignal argument reaches Python as a Cancellation

export { Comlink, loadPython };
export { RemoteStream, registerStreams, stream } from "./streams.mjs";

// Generators, async iterables and ReadableStreams cross to and from Python as streams.
registerStreams(Comlink);

// Pyodide 314 refuses classic workers; 0.28 runs in the classic importScripts pattern.
const ENTRIES = {
  "314": { url: new URL("./worker_module.mjs", import.meta.url), type: "module" },
  "0.28": { url: new URL("./worker_classic.js", import.meta.url), type: "classic" },
};

/** What input() reads in a worker by default: the page's prompt dialog (null when cancelled). */
const defaultStdin = typeof globalThis.prompt === "function" ? (text) => globalThis.prompt(text) : null;

/**
 * Start Python in a Web Worker.
 *
 * options:
 *   pyodide  "314" (Python 3.14, module worker; the default) or "0.28" (Python 3.13, classic worker).
 *   code     Python source to run as __main__, or
 *   file     the URL (relative to the page) of a Python file to run as __main__;
 *            either must call comlink_py.expose(obj) before it finishes (top-level await is fine).
 *   host     optional object exposed to Python, which reaches it as comlink_py.js.host(), and
 *            with blocking calls as comlink_py.shared.host_sync().
 *   stdin    (prompt) => string | null, what input() and sys.stdin read (default: window.prompt,
 *            where there is one). Blocking calls need a cross-origin isolated page (COOP/COEP).
 *   files    optional URL, or list of URLs, of Python files, zips, or folders (ending in "/", with
 *            a files.json listing their files): made importable before the main code runs.
 *   packages optional wheel URL (.whl), or name of a package of the Pyodide distribution (its file
 *            must be served beside Pyodide), or a list of them, installed before the main code.
 *   onProgress optional callback, called with { kind: "files" | "packages", name, done, total } as
 *            each of those has loaded.
 *   debug    true: trace the worker's comlink_py traffic (COMLINK_PY_DEBUG=1) to its console.
 *   autoRestart true: a worker whose Pyodide fails fatally after it has served is restarted at once.
 *
 * Returns { remote, ready, worker, terminate, interrupt, restart }: `remote` is `Comlink.wrap` of the exposed object and
 * usable at once (calls wait until Python serves); `ready` resolves when Python serves, or rejects
 * with the start-up error (name: the Python class name), which the calls receive too. `worker` is
 * the Worker itself: anything else speaking Comlink's protocol can wrap it as well (comlink_py on
 * this thread does: `comlink_py.wrap(JsEndpoint(worker))`). `await using` terminates it too.
 * `interrupt()` raises KeyboardInterrupt in the Python code running now, as in Node; it needs a
 * cross-origin isolated page (SharedArrayBuffer) and throws, saying so, in any other. `restart()`
 * replaces the worker by a fresh one behind the same `remote`, as in Node.
 */
export function startPythonWorker(options = {}) {
  const { pyodide = "314", code, file, onProgress, autoRestart = false } = options;
  pyodideIndexURL(pyodide); // a clear error for an unknown version
  if ((code == null) === (file == null)) {
    throw new TypeError("startPythonWorker needs exactly one of 'code' or 'file'");
  }
  if (code != null && typeof code !== "string") throw new TypeError("'code' must be a string of Python source");
  if (onProgress != null && typeof onProgress !== "function") throw new TypeError("'onProgress' must be a function");
  // URLs are relative to the page; the worker gets them absolute.
  const absolute = (url) => new URL(url, globalThis.location.href).href;
  const { files, packages } = extrasOf(options);
  const extras = { files: files.map(absolute), packages: packages.map((p) => (isWheel(p) ? absolute(p) : p)) };
  const main = code != null ? { code } : { file: absolute(file) };
  return restartable(Comlink, (down) => launch(options, { extras, ...main }, down), autoRestart === true);
}

/**
 * Start a pool of `size` Python workers, each started as startPythonWorker starts one (with the
 * same options), for stateless calls: see pool.mjs.
 */
export const startPythonPool = (options = {}) => pythonPool(startPythonWorker, options);

/** One Web Worker of startPythonWorker, as lifecycle.mjs's restartable() takes it. */
function launch({ pyodide = "314", host, stdin = defaultStdin, onProgress, debug = false }, main, down) {
  const interrupts = interrupter(() => synchronous.wake());
  const boot = { ...main, debug: debug === true, interruptBuffer: interrupts.buffer };
  const transfer = [];
  let hostChannel = null;
  if (host != null) {
    hostChannel = new MessageChannel();
    Comlink.expose(host, hostChannel.port1);
    boot.hostPort = hostChannel.port2;
    transfer.push(hostChannel.port2);
  }
  const synchronous = syncChannels(Comlink, { host, stdin });
  boot.sync = synchronous.sync;
  transfer.push(...synchronous.transfer);
  const entry = ENTRIES[pyodide];
  const worker = new Worker(entry.url, { type: entry.type });
  worker.postMessage({ [BOOT_KEY]: boot }, transfer);
  const stop = () => {
    worker.terminate();
    hostChannel?.port1.close();
    synchronous.close();
  };

  const ready = new Promise((resolve, reject) => {
    let settled = false;
    const fail = (info) => {
      settled = true;
      down(info);
      reject(toError(info));
    };
    worker.addEventListener("message", ({ data }) => {
      if (data?.[STATUS] === "crashed") {
        // Pyodide failed fatally (os._exit, say): nothing can run there any more.
        fail(data.error);
        stop();
      } else if (settled) {
        return;
      } else if (data?.[STATUS] === "progress") {
        onProgress?.(data.progress);
      } else if (data?.[STATUS] === "ready") {
        settled = true;
        resolve();
      } else if (data?.[STATUS] === "error") {
        fail(data.error);
      }
    });
    // A worker script that cannot load, or that throws before Python serves, gives only an error
    // event. Later ones are not fatal: the worker goes on serving.
    worker.addEventListener("error", (event) => {
      if (settled) return;
      event.preventDefault();
      fail({ name: "Error", message: `the Python worker failed: ${event.message || `could not load ${entry.url}`}` });
    });
  });
  ready.then(interrupts.serving, () => {});
  return { endpoint: worker, worker, ready, busy: interrupts.busy, interrupt: interrupts.interrupt, stop };
}
