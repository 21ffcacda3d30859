// A Python worker's life (issue 15): restart() after a crash, after terminate(), while calls wait and
// while calls queue; autoRestart; pools of workers for stateless calls. The script ends without
// process.exit: that Node exits shows terminate() left nothing running.
import { fileURLToPath } from "node:url";
import { startPythonPool, startPythonWorker } from "../../../js_shim/node.mjs";
import { check, eventually, settled, sleep } from "./harness.mjs";

const LIFECYCLE = fileURLToPath(new URL("../py/lifecycle.py", import.meta.url));

const outcome = async (promise) => {
  const [state, value] = await settled(promise);
  return state === "resolved" ? [state, value] : [state, value.name, value.message];
};

const progress = [];
const py = startPythonWorker({ file: LIFECYCLE, files: LIFECYCLE, onProgress: (event) => progress.push(event.kind) });

await check("lifecycle.restart_after_crash", async () => {
  await py.ready;
  const { remote, worker } = py;
  const first = await py.remote.who();
  const died = await outcome(py.remote.die());
  const later = await outcome(py.remote.who());
  const restarting = py.restart();
  const queued = py.remote.who(); // made before the new worker serves: it waits, as at start-up
  await restarting;
  const second = await queued;
  return {
    died,
    later,
    fresh: second !== first && typeof second === "string",
    sameRemote: py.remote === remote,
    newWorker: py.worker !== worker,
    progress,
  };
});

await check("lifecycle.restart_while_calls_wait", async () => {
  const before = await py.remote.who();
  const waiting = [outcome(py.remote.wait()), outcome(py.remote.work(60_000))];
  await sleep(300);
  const restarting = py.restart();
  const interruptWhileStarting = py.interrupt();
  const queued = [py.remote.who(), py.remote.nested.add(2, 3), py.remote.version];
  const readyIsNew = py.ready === restarting;
  await restarting;
  const [who, ...answers] = await Promise.all(queued);
  return { waited: await Promise.all(waiting), interruptWhileStarting, readyIsNew, fresh: who !== before, answers };
});

await check("lifecycle.interrupt_after_restart", async () => {
  const call = outcome(py.remote.spin());
  await sleep(300);
  const signalled = py.interrupt();
  return { signalled, spun: (await call).slice(0, 2), next: await py.remote.nested.add(1, 1) };
});

await check("lifecycle.restart_after_terminate", async () => {
  const before = await py.remote.who();
  await py.terminate();
  const terminated = await outcome(py.remote.who());
  await py.restart();
  const after = await py.remote.who();
  await py.terminate();
  return { terminated, fresh: after !== before && typeof after === "string" };
});

// A main code that fails to start is not started again and again by autoRestart (the pool below
// shows a worker that crashed after serving replaced).
await check("lifecycle.auto_restart_failed_start", async () => {
  const broken = startPythonWorker({ code: "raise ValueError('no start')", autoRestart: true });
  const { worker } = broken;
  const failed = await outcome(broken.ready);
  await sleep(500);
  const sameWorker = broken.worker === worker;
  await broken.terminate();
  return { failed, sameWorker };
});

const pool = startPythonPool({ size: 2, file: LIFECYCLE });

await check("lifecycle.pool_parallel", async () => {
  await pool.ready;
  const calls = await Promise.all([0, 1, 2, 3].map(() => pool.remote.work(400)));
  const nested = await pool.remote.nested.add(20, 22);
  const version = await pool.remote.version;
  const tokens = calls.map(([token]) => token);
  const spans = calls.map(([, begun, ended]) => [begun, ended]);
  return { tokens, spans, nested, version, size: pool.size, workers: pool.workers.length };
});

await check("lifecycle.pool_crash", async () => {
  const before = await Promise.all([pool.remote.work(200), pool.remote.work(200)]);
  const [died, worked] = await Promise.all([outcome(pool.remote.die()), outcome(pool.remote.work(300))]);
  const after = await Promise.all([0, 1, 2, 3].map(() => pool.remote.who()));
  const old = new Set(before.map(([token]) => token));
  return { died, worked: worked[0], distinctBefore: old.size, after: after.map((token) => old.has(token)) };
});

await check("lifecycle.pool_misuse", async () => {
  const refused = [];
  for (const size of [0, 1.5, "2", undefined]) {
    try {
      startPythonPool({ size, code: "" });
    } catch (error) {
      refused.push(`${error.name}: ${error.message}`);
    }
  }
  const misuse = [];
  for (const attempt of [() => (pool.remote.version = 2), () => new pool.remote.Nested()]) {
    try {
      attempt();
    } catch (error) {
      misuse.push(`${error.name}: ${error.message}`);
    }
  }
  const itself = typeof (await pool.remote); // the pool's remote is not a promise
  const running = [outcome(pool.remote.work(60_000)), outcome(pool.remote.wait())];
  const waiting = outcome(pool.remote.who()); // both workers are busy: this waits in the pool
  await sleep(300);
  await pool.terminate();
  const later = await outcome(pool.remote.who());
  return { refused, misuse, itself, running: await Promise.all(running), waiting: await waiting, later };
});

await check("lifecycle.done", () => "ended");
