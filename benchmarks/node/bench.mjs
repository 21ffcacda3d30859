// Runs the benchmark rows that live on Node worker_threads and prints them as one JSON line,
// `BENCH {meta, rows: {row: figures}}` (Pyodide may print to stdout too). `python -m benchmarks`
// runs it; alone:
//
//   node --expose-gc benchmarks/node/bench.mjs [--smoke] [--part all|round-trips|rest] <calls> <row> [<row> ...]
//
// Rows: 1 raw postMessage, 2 JS Comlink -> JS Comlink, 3 JS Comlink -> comlink_py (Pyodide),
// 4 comlink_py (Pyodide) -> JS Comlink, 5 comlink_py <-> comlink_py (two Pyodide workers), and the
// floors of 3 and 4 (3f, 4f: a bare Python peer in Pyodide, see ../floor.py), 2p, the control
// of 3: row 2 with a worker that has loaded Pyodide (comlink_pyodide_worker.mjs), and 3u, the
// users' way without comlink_py: JS Comlink exposing Python functions (comlink_python_functions_worker.mjs).
// Every row crosses the same transport: MessagePorts between worker threads of one process. The
// no-op round trips of all rows are measured in interleaved rounds, so that load from elsewhere on
// the machine, which comes and goes, weighs on every row alike.
import { MessageChannel, Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { startPythonWorker } from "../../js_shim/node.mjs";
import { jsDriver, measureRows } from "./measure.mjs";
import { target } from "./target.mjs";

const PY_WORKER = new URL("../py_worker.py", import.meta.url).pathname;

/** A bare postMessage client with an id map: what people write before they find Comlink. */
function rawClient(worker) {
  const pending = new Map();
  let next = 0;
  worker.on("message", ({ id, value }) => {
    pending.get(id)(value);
    pending.delete(id);
  });
  const send = (message, transfer) =>
    new Promise((resolve) => {
      const id = ++next;
      pending.set(id, resolve);
      worker.postMessage({ id, ...message }, transfer);
    });
  return {
    noop: () => send({}),
    collect: () => send({ collect: true }),
    size: (arg) => (arg.transferables ? send({ buffer: arg.buffer }, arg.transferables) : send({ buffer: arg })),
  };
}

/** A row driven from a Python worker (measure.py's Driver there), in the shape of jsDriver. */
function pythonDriver(worker, row) {
  return {
    warmUp: (calls) => worker.remote.warm_up(row, calls),
    roundTrips: (calls) => worker.remote.round_trips(row, calls),
    rest: (calls, smoke) => worker.remote.rest(row, calls, smoke),
  };
}

const cleanups = [];

function jsWorker(file) {
  const worker = new Worker(new URL(file, import.meta.url));
  cleanups.push(() => worker.terminate());
  return worker;
}

function channel() {
  const { port1, port2 } = new MessageChannel();
  cleanups.push(() => {
    port1.close();
    port2.close();
  });
  return [port1, port2];
}

/** The Pyodide workers, started once (in parallel) for all the rows that need them. */
let pythons = null;
function pythonWorkers() {
  pythons ??= (async () => {
    // `first` serves row 3, drives rows 4 and 4f, and serves row 5; `second` drives row 5 and
    // serves row 3f.
    const first = startPythonWorker({ file: PY_WORKER, host: target });
    const second = startPythonWorker({ file: PY_WORKER });
    cleanups.push(() => Promise.all([first.terminate(), second.terminate()]));
    await Promise.all([first.ready, second.ready]);
    return { first, second };
  })();
  return pythons;
}

/** A Pyodide worker like `first` with the fast path's shortcuts off (rows 3s and 4s): it copies
 *  this process's environment, with COMLINK_PY_FASTPATH=0, when it starts. */
let unshortcut = null;
function unshortcutWorker() {
  unshortcut ??= (async () => {
    process.env.COMLINK_PY_FASTPATH = "0";
    let worker;
    try {
      worker = startPythonWorker({ file: PY_WORKER, host: target });
    } finally {
      delete process.env.COMLINK_PY_FASTPATH;
    }
    cleanups.push(() => worker.terminate());
    await worker.ready;
    return worker;
  })();
  return unshortcut;
}

/** How each row is set up: its driver. */
const rows = {
  async 1() {
    return jsDriver(rawClient(jsWorker("raw_worker.mjs")), (buffer, transferables) => ({ buffer, transferables }));
  },
  async 2() {
    return jsDriver(Comlink.wrap(nodeEndpoint(jsWorker("comlink_worker.mjs"))), Comlink.transfer);
  },
  async "3u"() {
    return jsDriver(Comlink.wrap(nodeEndpoint(jsWorker("comlink_python_functions_worker.mjs"))), Comlink.transfer);
  },
  async "2p"() {
    return jsDriver(Comlink.wrap(nodeEndpoint(jsWorker("comlink_pyodide_worker.mjs"))), Comlink.transfer);
  },
  async 3() {
    const { first } = await pythonWorkers();
    return jsDriver(first.remote, Comlink.transfer);
  },
  async "3s"() {
    return jsDriver((await unshortcutWorker()).remote, Comlink.transfer);
  },
  async "3f"() {
    const { second } = await pythonWorkers();
    const [near, far] = channel();
    await second.remote.serve_floor(Comlink.transfer(far, [far]));
    return jsDriver(Comlink.wrap(nodeEndpoint(near)), Comlink.transfer);
  },
  async 4() {
    const { first } = await pythonWorkers();
    await first.remote.drive("4");
    return pythonDriver(first, "4");
  },
  async "4s"() {
    const worker = await unshortcutWorker();
    await worker.remote.drive("4");
    return pythonDriver(worker, "4");
  },
  async "4f"() {
    const { first } = await pythonWorkers();
    const [near, far] = channel();
    Comlink.expose(target, nodeEndpoint(near));
    await first.remote.drive("4f", Comlink.transfer(far, [far]));
    return pythonDriver(first, "4f");
  },
  async 5() {
    const { first, second } = await pythonWorkers();
    const [near, far] = channel();
    await first.remote.serve_peer(Comlink.transfer(near, [near]));
    await second.remote.drive("5", Comlink.transfer(far, [far]));
    return pythonDriver(second, "5");
  },
};

const USAGE = "usage: node --expose-gc bench.mjs [--smoke] [--part all|round-trips|rest] <calls> <row> [<row> ...]";
const args = process.argv.slice(2);
const smoke = args[0] === "--smoke";
if (smoke) args.shift();
let part = "all";
if (args[0] === "--part") {
  part = args[1];
  args.splice(0, 2);
}
const [calls, ...names] = args;
if (!(Number(calls) > 0) || names.length === 0 || !["all", "round-trips", "rest"].includes(part)) {
  throw new Error(USAGE);
}
const out = { meta: { node: process.version }, rows: {} };
try {
  out.rows = await measureRows(rows, names, Number(calls), smoke, part);
  const workers = await pythons;
  if (workers) Object.assign(out.meta, await workers.first.remote.versions());
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup();
}
console.log(`BENCH ${JSON.stringify(out)}`);
