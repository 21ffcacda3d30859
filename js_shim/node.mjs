// Start a Python worker in Node (worker_threads + Pyodide from node_modules) and talk to it with
// Comlink. The worker gets a dedicated call port: calls made before Python is ready wait in that
// port's queue, and a start-up failure answers them with the Python error.
import { MessageChannel, Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { STATUS, callingGate, errorInfo, toError } from "./boot.mjs";
import { syncChannels } from "./sync_host.mjs";

export { loadPython } from "./node_python.mjs";

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
 *   packageDir optional folder of comlink_py's sources (default: this repository's comlink_py/).
 *
 * Returns { remote, ready, worker, terminate }: `remote` is `Comlink.wrap` of the exposed object and
 * usable at once; `ready` resolves when Python serves, or rejects with the start-up error (which
 * the calls receive too); `terminate()` stops the worker and frees the ports (needed for Node to
 * exit, as live ports keep it running).
 */
export function startPythonWorker(options = {}) {
  const { code, file, host, stdin, indexURL, packageDir } = options;
  if ((code == null) === (file == null)) {
    throw new TypeError("startPythonWorker needs exactly one of 'code' or 'file'");
  }
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
    },
    transferList,
  });
  const gate = callingGate(nodeEndpoint(calls.port1));
  const remote = Comlink.wrap(gate.endpoint);
  const closePorts = () => {
    calls.port1.close();
    hostChannel?.port1.close();
    synchronous.close();
  };

  const ready = new Promise((resolve, reject) => {
    worker.on("message", (message) => {
      if (message?.[STATUS] === "ready") resolve();
      else if (message?.[STATUS] === "error") {
        gate.fail(message.error); // later calls get this first error even if the worker dies
        reject(toError(message.error));
      }
    });
    worker.on("error", (error) => {
      gate.fail(errorInfo(error));
      reject(error);
    });
    worker.on("exit", (exitCode) => {
      const info = { name: "Error", message: `the Python worker exited (code ${exitCode})` };
      gate.fail(info);
      closePorts();
      reject(toError(info));
    });
  });
  ready.catch(() => {}); // awaiting it is optional; the calls carry the same error

  return {
    remote,
    ready,
    worker,
    async terminate() {
      gate.fail({ name: "Error", message: "the Python worker was terminated" });
      await worker.terminate();
      closePorts();
    },
  };
}
