// The stream rows (issue 16) on Node worker_threads, printed as one JSON line `STREAMS {...}`.
// `python -m benchmarks` runs it; alone: node benchmarks/node/streams.mjs [--smoke]
//
//   s1   a Python generator in a Pyodide worker -> JS for-await, through the comlink_py.stream handler
//   s1f  the floor: the same generator's items posted one by one by a bare JS loop in the worker
//   s1c  the Comlink pattern: a proxy()'d iterator pulled with one next() call per item
//   s2   1 MiB buffers moved (transferred) from Python to JS, with the process's peak RSS
// s1, s1f and s1c run in interleaved rounds, so that load from elsewhere weighs on each alike.
import { Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import { startPythonWorker } from "../../js_shim/node.mjs";

const smoke = process.argv.includes("--smoke");
const ITEMS = smoke ? 2000 : 100_000;
// s1c takes about 100 µs per item, so it pulls a fifth of them: its rate per item is what compares.
const ITEM_BY_ITEM = ITEMS / 5;
const ROUNDS = smoke ? 1 : 3;
const CHUNK = 1 << 20;
const CHUNKS = smoke ? 16 : 1024;

const seconds = async (fn) => {
  const start = performance.now();
  await fn();
  return (performance.now() - start) / 1000;
};

function check(count, expected, row) {
  if (count !== expected) throw new Error(`row ${row} got ${count} items, not ${expected}`);
}

async function streamed(remote, n) {
  let count = 0;
  for await (const row of await remote.rows(n)) count += row.v === "x" ? 1 : 0;
  check(count, n, "s1");
}

async function itemByItem(remote, n) {
  const iterator = await remote.comlink_iterator(n);
  let count = 0;
  for (;;) {
    const step = await iterator.next();
    if (step.done) break;
    count += step.value.v === "x" ? 1 : 0;
  }
  iterator[Comlink.releaseProxy]();
  check(count, n, "s1c");
}

function floorRunner(worker) {
  return (n) =>
    new Promise((resolve, reject) => {
      let count = 0;
      const onMessage = (item) => {
        if (item === null) {
          worker.off("message", onMessage);
          if (count === n) resolve();
          else reject(new Error(`row s1f got ${count} items, not ${n}`));
        } else count += item.v === "x" ? 1 : 0;
      };
      worker.on("message", onMessage);
      worker.postMessage(n);
    });
}

async function startFloor() {
  const worker = new Worker(new URL("./stream_floor_worker.mjs", import.meta.url));
  await new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
  return worker;
}

async function chunks(remote) {
  const rssBefore = process.memoryUsage.rss();
  let peak = rssBefore;
  let bytes = 0;
  const took = await seconds(async () => {
    for await (const chunk of await remote.chunks(CHUNKS, CHUNK)) {
      bytes += chunk.byteLength;
      peak = Math.max(peak, process.memoryUsage.rss());
    }
  });
  if (bytes !== CHUNKS * CHUNK) throw new Error(`row s2 got ${bytes} bytes, not ${CHUNKS * CHUNK}`);
  const mib = 1 << 20;
  return { mib: bytes / mib, mib_per_s: bytes / mib / took, rss_before_mib: rssBefore / mib, rss_peak_mib: peak / mib };
}

const py = startPythonWorker({ file: new URL("../stream_worker.py", import.meta.url).pathname });
const floor = await startFloor();
try {
  await py.ready;
  const runs = { s1: (n) => streamed(py.remote, n), s1f: floorRunner(floor), s1c: (n) => itemByItem(py.remote, n) };
  const times = { s1: [], s1f: [], s1c: [] };
  const counts = { s1: ITEMS, s1f: ITEMS, s1c: ITEM_BY_ITEM };
  for (const run of Object.values(runs)) await run(Math.min(ITEMS, 2000)); // warm up
  for (let round = 0; round < ROUNDS; round++) {
    for (const [row, run] of Object.entries(runs)) times[row].push(await seconds(() => run(counts[row])));
  }
  const rows = {};
  for (const [row, list] of Object.entries(times)) {
    rows[row] = { items: counts[row], items_per_s: counts[row] / Math.min(...list), seconds: list };
  }
  rows.s2 = await chunks(py.remote);
  console.log(`STREAMS ${JSON.stringify({ node: process.version, rows })}`);
} finally {
  await py.terminate();
  await floor.terminate();
}
