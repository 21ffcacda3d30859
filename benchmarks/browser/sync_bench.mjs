// The blocking-call rows in Chromium (benchmarks/sync_rows.py drives this page, served cross-origin
// isolated): Python in a Pyodide worker calls this page's noop() blocking, with comlink_py (the
// shim's host_sync()), with synclink's syncify (through a JS helper: a synclink task that reaches
// Python is a PyodideFuture, which has no syncify) and asynchronously with comlink_py; and, in a
// worker that coincident's Worker starts, with coincident's proxy. window.syncBench has
// measure(calls) and long(row), a blocked call of one second (the driver reads the CPU time).
import * as Synclink from "/node_modules/synclink/dist/esm/synclink.mjs";
import coincident from "/node_modules/coincident/dist/main.js";
import { Comlink, startPythonWorker } from "../../js_shim/browser.mjs";

const host = {
  noop() {},
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  synclinkPort() {
    const { port1, port2 } = new MessageChannel();
    Synclink.expose(host, port1);
    return Comlink.transfer(port2, [port2]);
  },
};

const measure = await (await fetch("../sync_measure.py")).text();

const CODE = `
import sys, json
from pyodide.code import run_js
import comlink_py
from comlink_py.js import host
from comlink_py.shared import host_sync

sys.modules["sync_measure"] = type(sys)("sync_measure")
exec(${JSON.stringify(measure)}, sys.modules["sync_measure"].__dict__)
import sync_measure

synclink = await run_js("import('/node_modules/synclink/dist/esm/synclink.mjs')")
remote = synclink.wrap((await host().synclinkPort()).port)
helper = run_js("(remote) => ({ noop: () => remote.noop().syncify(), sleep: (ms) => remote.sleep(ms).syncify() })")(remote)
blocking = host_sync()
ROWS = {
    "comlink_py": {"noop": blocking.noop, "sleep": blocking.sleep},
    "synclink": {"noop": helper.noop, "sleep": helper.sleep},
}


class Bench:
    async def round(self, calls):
        return json.dumps(await sync_measure.one_round(ROWS, host(), calls))

    def rounds(self):
        return json.dumps({"warm": sync_measure.WARM_ROUNDS, "rounds": sync_measure.ROUNDS})

    def long(self, row):
        ROWS[row]["sleep"](1000)


comlink_py.expose(Bench())
`;

const python = startPythonWorker({ host, code: CODE });

// coincident: its own Worker class sets up the channel; the worker's Python calls proxy.noop().
const { Worker: CoincidentWorker } = coincident();
const peer = new CoincidentWorker(new URL("./coincident_worker.mjs", import.meta.url), { type: "module" });
peer.proxy.noop = () => {};
peer.proxy.sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
peer.proxy.measureCode = () => measure;
const coincidentReady = new Promise((resolve, reject) => {
  peer.proxy.ready = resolve;
  peer.addEventListener("error", (event) => reject(new Error(event.message)));
});
const coincidentCalls = new Map();
let nextCall = 0;
peer.proxy.answer = (id, value) => coincidentCalls.get(id)(value);
const askCoincident = (method, arg) =>
  new Promise((resolve) => {
    const id = nextCall++;
    coincidentCalls.set(id, resolve);
    peer.postMessage({ method, arg, id });
  });

try {
  await Promise.all([python.ready, coincidentReady]);
  const { warm, rounds } = JSON.parse(await python.remote.rounds());
  window.syncBench = {
    // Rounds of every row, coincident's among them, so that its worker has run as long as the
    // others' when it is measured (Pyodide's optimised code comes seconds after the start); the
    // first rounds are discarded, then the median of each row's.
    async measure(calls) {
      const seen = {};
      for (let round = 0; round < warm + rounds; round++) {
        const times = JSON.parse(await python.remote.round(calls));
        times.coincident = JSON.parse(await askCoincident("round", calls));
        if (round < warm) continue;
        for (const [row, us] of Object.entries(times)) (seen[row] ??= []).push(us);
      }
      const median = (values) => values.sort((a, b) => a - b)[values.length >> 1];
      return Object.fromEntries(Object.entries(seen).map(([row, values]) => [row, { round_trip_us: median(values) }]));
    },
    long: (row) => (row === "coincident" ? askCoincident("long", null) : python.remote.long(row)),
  };
} catch (error) {
  window.syncBench = { error: `${error.name}: ${error.message}` };
}
