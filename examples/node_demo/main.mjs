// The Node demo: JS calls Python running in a Pyodide worker thread through the real Comlink, and
// Python calls back into JS. Run it with `bash scripts/demo.sh` (or `node examples/node_demo/main.mjs`
// once scripts/setup.sh has run).
import { fileURLToPath } from "node:url";
import * as Comlink from "comlink";
import { startPythonWorker } from "../../js_shim/node.mjs";

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(2)} s`;

const host = {
  name: "Node main thread",
  shout: (text) => `${text.toUpperCase()}!`,
};
const py = startPythonWorker({ file: fileURLToPath(new URL("./analytics.py", import.meta.url)), host });
console.log("Started a worker thread that loads Pyodide and runs examples/node_demo/analytics.py.");

// Calls made right away wait for Python to be ready; none is lost.
const early = py.remote.summary([3, 1, 4, 1, 5, 9, 2, 6]);
console.log("Called summary() before Python was ready...");
const summary = await early;
console.log(`[${elapsed()}] summary ->`, summary);

const total = await py.remote.total(
  [[1, 2, 3], [4, 5], [6]],
  Comlink.proxy((done, of, runningTotal) => {
    console.log(`[${elapsed()}]   progress from Python: chunk ${done}/${of}, running total ${runningTotal}`);
  }),
);
console.log(`[${elapsed()}] total ->`, total);

const greeting = await py.remote.greet_host();
console.log(`[${elapsed()}] greet_host ->`, greeting);

try {
  await py.remote.fail();
} catch (error) {
  console.log(`[${elapsed()}] fail -> caught ${error.constructor.name} ${error.name}: ${error.message}`);
}

await py.terminate();
console.log(`[${elapsed()}] Done: worker terminated.`);
