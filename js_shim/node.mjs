// Start a Python worker in Node (worker_threads + Pyodide from node_modules) and talk to it with
// Comlink. The worker gets a dedicated call port: calls made before Python is ready wait in that
// port's queue, and a start-up failure answers them with the Python error.
import { MessageChannel, Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { registerAbortSignal } from "./abort.mjs";
import { STATUS, errorInfo, extrasOf, interrupter, toError } from "./boot.mjs";
import { restartable } from "./lifecycle.mjs";
import { pythonPool } from "./pool.mjs";
import { registerStreams } from "./streams.mjs";
import { syncChannels } from "./sync_host.mjs";

export { loadPython } from "./node_python.mjs";
export { RemoteStream, registerStreams, stream } from "./streams.mjs";

// Generators, async iterables and ReadableStreams cross to and from Python as streams.
registerStreams(Comlink);

registerAbortSignal(Comlink); // an AbortSignal argument reaches Python as a Cancellation

const WORKER_SCRIPT = new URL("./node-worker.mjs", import.meta.url);

/**
 * Start Python in a worker thread.
 *
 * options:
 *   code      Python source to run as __main__, or
 *   file      path of a Python file to run as __main__ (its folder is importable);
 *             either must call comlink_py.expose(obj) before it finishes (top-level await is fine).
 *   host      optional object exposed to Python, which reaches it as comlink_py.js.host(), and
 *             with blocking calls as comlink_py.shared.host_sync().
 *   stdin     optional (prompt) => string | null: what input() and sys.stdin read in Python.
 *   indexURL  optional Pyodide folder (default: the pyodide package in node_modules).
 *   packageDir optional folder of comlink_py's sources (default: the package's python/comlink_py/
 *             when installed, this repository's comlink_py/ otherwise).
 *   files     optional folder, Python file or zip (a path), or a list of them: folders are mounted
 *             and importable, files and the contents of zips go into one importable folder.
 *   packages  optional wheel path (.whl), or name of a package of the Pyodide distribution (its
 *             file must be in indexURL), or a list of them, installed before the main code runs.
 *   onProgress optional callback, called with { kind: "files" | "packages", name, done, total } as
 *             each of those has loaded.
 *   debug     true: trace the worker's comlink_py traffic (COMLINK_PY_DEBUG=1) to stderr; false:
 *             never; by default as this process's COMLINK_PY_DEBUG says (the environment is
 *             passed through to Python).
 *   unref     true: the worker keeps Node running only while it starts and while a call waits for
 *             its answer, so a script that forgets terminate() still ends.
 *   autoRestart true: a worker that dies after it has served is restarted at once (see restart).
 *
 * Returns { remote, ready, worker, terminate, interrupt, restart }: `remote` is `Comlink.wrap` of
 * the exposed object and usable at once; `ready` resolves when Python serves, or rejects with the
 * start-up error (which the calls receive too); `terminate()` stops the worker and frees the ports
 * (needed for Node to exit, as live ports keep it running, unless `unref`). `await using` calls
 * terminate too. `interrupt()` raises KeyboardInterrupt in the Python code running now (Pyodide's
 * interrupt buffer), so a runaway call rejects with an error named KeyboardInterrupt and the worker
 * serves on; it returns false, doing nothing, while Python starts or when no call waits for an
 * answer. `restart()` replaces the worker (crashed, terminated or not) by a fresh one with the same
 * options behind the same `remote`: waiting calls reject with WorkerRestarted, later ones wait for
 * the new worker; it returns the new `ready`, which `ready` and `worker` then are.
 */
export function startPythonWorker(options = {}) {
  const { code, file, onProgress, autoRestart = false } = options;
  if ((code == null) === (file == null)) {
    throw new TypeError("startPythonWorker needs exactly one of 'code' or 'file'");
  }
  if (onProgress != null && typeof onProgress !== "function") throw new TypeError("'onProgress' must be a function");
  const extras = extrasOf(options);
  return restartable(Comlink, (down) => launch(options, extras, down), autoRestart === true);
}

/**
 * Start a pool of `size` Python workers, each started as startPythonWorker starts one (with the
 * same options), for stateless calls: see pool.mjs.
 */
export const startPythonPool = (options = {}) => pythonPool(startPythonWorker, options);

/** One worker thread of startPythonWorker, as lifecycle.mjs's restartable() takes it. */
function launch(options, extras, down) {
  const { code, file, host, stdin, indexURL, packageDir, onProgress, debug, unref = false } = options;
  const interrupts = interrupter(() => synchronous.wake());
  const calls = new MessageChannel();
  const transferList = [calls.port2];
  const hostChannel = host == null ? null : new MessageChannel();
  if (hostChannel !== null) {
    Comlink.expose(host, nodeEndpoint(hostChannel.port1));
    transferList.push(hostChannel.port2);
  }
  const synchronous = syncChannels(Comlink, { host, stdin });
  transferList.push(...synchronous.transfer);
  const worker = new Worker(WORKER_SCRIPT, {
    workerData: {
      port: calls.port2,
      hostPort: hostChannel?.port2 ?? null,
      sync: synchronous.sync,
      code: code ?? null,
      file: file ?? null,
      indexURL: indexURL ?? null,
      packageDir: packageDir ?? null,
      extras,
      debug: debug ?? null,
      interruptBuffer: interrupts.buffer,
    },
    transferList,
  });
  // With `unref`, the worker and its ports hold Node only while it starts and while a call waits.
  let starting = true;
  let calling = false;
  const hold = () => {
    if (!unref) return;
    const on = starting || calling;
    for (const handle of [worker, calls.port1, hostChannel?.port1, ...synchronous.handles]) {
      on ? handle?.ref() : handle?.unref();
    }
  };
  const closePorts = () => {
    calls.port1.close();
    hostChannel?.port1.close();
    synchronous.close();
  };

  const ready = new Promise((resolve, reject) => {
    worker.on("message", (message) => {
      if (message?.[STATUS] === "progress") onProgress?.(message.progress);
      else if (message?.[STATUS] === "ready") resolve();
      else if (message?.[STATUS] === "error") {
        down(message.error); // later calls get this first error even if the worker dies
        reject(toError(message.error));
      }
    });
    worker.on("error", (error) => {
      down(errorInfo(error));
      reject(error);
    });
    worker.on("exit", (exitCode) => {
      const info = { name: "Error", message: `the Python worker exited (code ${exitCode})` };
      down(info);
      closePorts();
      reject(toError(info));
    });
  });
  const started = () => {
    starting = false;
    hold();
  };
  ready.then(started, started);
  ready.then(interrupts.serving, () => {});

  return {
    endpoint: nodeEndpoint(calls.port1),
    worker,
    ready,
    busy(on) {
      calling = on;
      interrupts.busy(on);
      hold();
    },
    interrupt: interrupts.interrupt,
    async stop() {
      await worker.terminate();
      closePorts();
    },
  };
}
