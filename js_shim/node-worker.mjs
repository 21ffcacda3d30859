// Entry point of a Python worker thread started by node.mjs: Node file access around the shared
// boot (boot.mjs), then a status message to the starter.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { STATUS, bootPython, loadExtras } from "./boot.mjs";
import { comlinkPyFiles, loadPyodideHere, mountFolder, nodeFiles } from "./node_python.mjs";

const { port, hostPort, sync, code, file, indexURL, packageDir, extras, debug, interruptBuffer } = workerData;
const path = file == null ? null : resolve(file);
const report = (progress) => parentPort.postMessage({ [STATUS]: "progress", progress });

const failure = await bootPython({
  loadPyodide: () => loadPyodideHere(indexURL, debug),
  files: () => comlinkPyFiles(packageDir),
  async prepare(pyodide) {
    if (path != null) mountFolder(pyodide, dirname(path), path);
    await loadExtras(pyodide, extras, nodeFiles(indexURL), report);
  },
  port,
  hostPort,
  sync,
  interruptBuffer, // the starter's interrupt() and aborted AbortSignals write into it
  readSource: () => (path == null ? code : readFileSync(path, "utf8")),
  filename: path ?? "<comlink_py main>",
});
parentPort.postMessage(failure == null ? { [STATUS]: "ready" } : { [STATUS]: "error", error: failure.value.value });
