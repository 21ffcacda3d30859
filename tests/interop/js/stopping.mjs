// Stopping work (issue 15): interrupt() of a runaway call, CANCEL between two Pyodide workers, and
// real Comlink receiving CANCEL (from Python, and posted by hand), which it must ignore.
import { fileURLToPath } from "node:url";
import * as Comlink from "comlink";
import nodeEndpoint from "comlink/dist/esm/node-adapter.mjs";
import { startPythonWorker } from "../../../js_shim/node.mjs";
import { eachMoment } from "../../js/each_moment.mjs";
import { check, settled, sleep } from "./harness.mjs";

const STOPPING = fileURLToPath(new URL("../py/stopping.py", import.meta.url));
const host = { slow: () => new Promise((resolve) => setTimeout(() => resolve("late"), 5000)), add: (a, b) => a + b };
const py = startPythonWorker({ file: STOPPING, host });
// A call waits while Python starts, but start-up (the boot's own code) is never interrupted.
await check("stopping.interrupt_starting", async () => {
  const early = py.remote.add(1, 1);
  await sleep(100);
  return [py.interrupt(), await early];
});
await py.ready;

/** Start a call, interrupt it once it runs, and say how it settled, how soon Python stopped (by the
 *  wall clock both sides share) and the answer came, and what comes next. */
async function interrupted(method) {
  const call = settled(py.remote[method]());
  await sleep(300);
  const begun = Date.now();
  const signalled = py.interrupt();
  const outcome = await call;
  const answeredMs = Date.now() - begun;
  const stoppedMs = (await py.remote.interrupted_at()) - begun;
  const next = await py.remote.add(1, 2);
  return { signalled, outcome: [outcome[0], outcome[1]?.name], stoppedMs, answeredMs, next };
}

await check("stopping.interrupt_idle", () => py.interrupt());
await check("stopping.interrupt_sync", () => interrupted("spin"));
await check("stopping.interrupt_async", () => interrupted("spin_async"));
await check("stopping.idle_after_interrupts", async () => [py.interrupt(), await py.remote.add(2, 2)]);
/** Abort a call once it runs; say how it settled, how soon its finally ran (by the wall clock both
 *  sides share) and it rejected, what the signal looked like there, and what comes next. */
async function aborted(method) {
  const controller = new AbortController();
  const call = settled(py.remote[method](controller.signal));
  await sleep(300);
  const begun = Date.now();
  controller.abort();
  const outcome = await call;
  const answeredMs = Date.now() - begun;
  const seen = await py.remote.signal_seen();
  const outcomeOf = [outcome[0], outcome[1]?.name, outcome[1]?.message];
  return { outcome: outcomeOf, stoppedMs: seen.stopped * 1000 - begun, answeredMs, state: seen.state, next: await py.remote.add(1, 1) };
}

await check("stopping.abort_signal", () => aborted("until_aborted"));
await check("stopping.abort_signal_spin", () => aborted("spin_signal"));
await check("stopping.abort_signal_spin_async", () => aborted("spin_signal_async"));
await check("stopping.abort_signal_other_call", async () => {
  // A's signal aborts while B spins: B runs on; A fails once B is over; then B's own abort stops B.
  const a = new AbortController();
  const b = new AbortController();
  const waiting = settled(py.remote.wait_signal(a.signal));
  await sleep(100);
  const spinning = settled(py.remote.spin_signal(b.signal));
  await sleep(200);
  a.abort();
  await sleep(300);
  const runsOn = await Promise.race([spinning.then(() => "settled"), sleep(0).then(() => "running")]);
  b.abort();
  const [spun, waited] = await Promise.all([spinning, waiting]);
  return { runsOn, spun: [spun[0], spun[1]?.name], waited: [waited[0], waited[1]?.name], next: await py.remote.add(2, 2) };
});
await check("stopping.abort_signal_await", async () => {
  const controller = new AbortController();
  const call = py.remote.awaits_signal(controller.signal);
  await sleep(100);
  controller.abort("enough");
  const outcome = await settled(call);
  return [outcome[0], outcome[1]?.name, outcome[1]?.message];
});
await check("stopping.abort_signal_already", async () => {
  const outcome = await settled(py.remote.until_aborted(AbortSignal.abort()));
  return [outcome[0], outcome[1]?.name];
});
await check("stopping.abort_signal_sync", async () => {
  const controller = new AbortController();
  const first = await py.remote.takes_signal(controller.signal);
  controller.abort(); // after the call: nothing to abort, and nothing breaks
  const aborted = await settled(py.remote.takes_signal(AbortSignal.abort()));
  return [first, [aborted[0], aborted[1]?.name]];
});
await check("stopping.each_moment", () => eachMoment(py));
await check("stopping.cancel_host", () => py.remote.cancel_host());

await check("stopping.cancel_peer", async () => {
  const server = startPythonWorker({ file: STOPPING });
  const { port1, port2 } = new MessageChannel();
  await server.remote.serve_peer(Comlink.transfer(port1, [port1]));
  const result = await py.remote.cancel_peer(Comlink.transfer(port2, [port2]));
  await server.terminate();
  return result;
});

await check("stopping.comlink_ignores_cancel", async () => {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose({ add: (a, b) => a + b }, nodeEndpoint(port1));
  const seen = [];
  port2.on("message", (data) => seen.push(data));
  const errors = [];
  process.on("uncaughtException", (error) => errors.push(String(error)));
  port2.postMessage({ type: "CANCEL", id: "a-call-id" });
  await sleep(100);
  const answers = seen.length;
  port2.removeAllListeners("message");
  const next = await Comlink.wrap(nodeEndpoint(port2)).add(2, 3);
  port1.close();
  return { answers, errors, next };
});

await py.terminate();
