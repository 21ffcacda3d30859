// The blocking-call rows in Node (benchmarks/sync_rows.py runs this): Python in a Pyodide worker
// calls a main-thread JS function blocking, with comlink_py (shared memory, answered by the real
// Comlink.expose) and with synclink's syncify, and asynchronously with comlink_py. coincident
// cannot run here (its main module extends the global Worker, which Node does not have, and it
// needs Promise.withResolvers, which Node 20 lacks): the attempt is reported as the row's error.
// Prints `BENCH {...}`.
//
//   node benchmarks/node/sync_bench.mjs <calls>
import { MessageChannel, Worker } from "node:worker_threads";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import * as Synclink from "synclink";
import { syncChannels } from "../../js_shim/sync_host.mjs";

const calls = Number(process.argv[2] ?? 2000);
const host = {
  noop() {},
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  cpuNow() {
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  },
};

async function coincidentAttempt() {
  try {
    const { default: coincident } = await import("coincident/main");
    coincident();
    return null;
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
}

const synchronous = syncChannels(Comlink, { host });
const asyncChannel = new MessageChannel();
Comlink.expose(host, nodeEndpoint(asyncChannel.port1));
const synclinkChannel = new MessageChannel();
Synclink.expose(host, synclinkChannel.port1);
synclinkChannel.port1.start();

const worker = new Worker(new URL("./sync_worker.mjs", import.meta.url), {
  workerData: { calls, sync: synchronous.sync, asyncPort: asyncChannel.port2, synclinkPort: synclinkChannel.port2 },
  transferList: [...synchronous.transfer, asyncChannel.port2, synclinkChannel.port2],
});
const result = await new Promise((resolve, reject) => {
  worker.on("message", resolve);
  worker.on("error", reject);
});
result.rows.coincident = { error: await coincidentAttempt() };
console.log(`BENCH ${JSON.stringify(result)}`);
await worker.terminate();
synchronous.close();
process.exit(0);
