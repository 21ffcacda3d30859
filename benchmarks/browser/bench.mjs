// The browser rows of `python -m benchmarks` (benchmarks/browser.py opens this page in headless
// Chromium): the page calls Web Workers with JS Comlink, measured exactly as node/bench.mjs
// measures its rows (node/measure.mjs), and leaves the figures in window.benchResult.
//
//   bench.html?calls=10000&rows=b2,b3[&part=all|round-trips|rest][&smoke]
//
// Rows: b2 JS Comlink -> JS Comlink in a worker, b2p the same with a worker that has loaded Pyodide
// (the control of b3), b3 JS Comlink -> comlink_py in a Pyodide worker, b3u JS Comlink exposing
// Python functions in a Pyodide worker (what users write without comlink_py).
import { Comlink, startPythonWorker } from "../../js_shim/browser.mjs";
import { jsDriver, measureRows } from "../node/measure.mjs";

const params = new URLSearchParams(globalThis.location.search);
const calls = Number(params.get("calls"));
const names = (params.get("rows") ?? "").split(",");
const part = params.get("part") ?? "all";
const smoke = params.has("smoke");

const stops = [];
// The no-op round trips are timed in blocks of this many calls (see roundTrips in measure.mjs).
const BLOCK = 100;

function jsWorker(file) {
  const worker = new Worker(new URL(file, import.meta.url), { type: "module" });
  stops.push(() => worker.terminate());
  return worker;
}

/** A worker that loads Pyodide first: it says "ready" once it serves; one that fails to load or
 *  throws first fails the run, instead of leaving it waiting. */
async function readyWorker(file) {
  const worker = jsWorker(file);
  await new Promise((resolve, reject) => {
    worker.addEventListener("message", resolve, { once: true });
    worker.addEventListener("error", (event) => reject(new Error(`${file}: ${event.message || "could not load"}`)));
  });
  return worker;
}

const rows = {
  async b2() {
    return jsDriver(Comlink.wrap(jsWorker("./comlink_worker.mjs")), Comlink.transfer, BLOCK);
  },
  async b2p() {
    return jsDriver(Comlink.wrap(await readyWorker("./comlink_pyodide_worker.mjs")), Comlink.transfer, BLOCK);
  },
  async b3() {
    // measure.py's Target, the object every Python-exposing row serves, run as the worker's main.
    const measure = await fetch(new URL("../measure.py", import.meta.url));
    const code = `${await measure.text()}\nimport comlink_py\ncomlink_py.expose(Target())\n`;
    const python = startPythonWorker({ code });
    stops.push(() => python.terminate());
    await python.ready;
    return jsDriver(python.remote, Comlink.transfer, BLOCK);
  },
  async b3u() {
    return jsDriver(Comlink.wrap(await readyWorker("./comlink_python_functions_worker.mjs")), Comlink.transfer, BLOCK);
  },
};

async function run() {
  if (!(calls > 0) || !["all", "round-trips", "rest"].includes(part)) {
    throw new Error(`bad query: ${globalThis.location.search}`);
  }
  if (!globalThis.crossOriginIsolated) throw new Error("not cross-origin isolated: performance.now() reads to 100 µs");
  return { rows: await measureRows(rows, names, calls, smoke, part), meta: { browser: navigator.userAgent } };
}

try {
  globalThis.benchResult = await run();
} catch (error) {
  globalThis.benchResult = { error: String(error?.stack ?? error) };
} finally {
  for (const stop of stops) await stop();
}
