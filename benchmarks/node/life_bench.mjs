// The lifecycle rows (benchmarks/life_rows.py runs this): CPU-bound calls through a pool of two
// Pyodide workers against the same calls through one worker, and the restart of a crashed worker
// (Python called os._exit) against a fresh start. Prints `BENCH {...}`.
//
//   node benchmarks/node/life_bench.mjs <calls> <ms per call> <rounds>
import { startPythonPool, startPythonWorker } from "../../js_shim/node.mjs";

const [calls, ms, rounds] = process.argv.slice(2, 5).map(Number);
const code = `
import os, time
import comlink_py

def spin(n):
    total = 0
    for i in range(n):
        total += i * i
    return total

def calibrate(ms):
    """Iterations of spin() that take about ms here, alone."""
    n = 100_000
    while True:
        begun = time.perf_counter()
        spin(n)
        took = (time.perf_counter() - begun) * 1000
        if took > 50:
            return int(n * ms / took)
        n *= 2

comlink_py.expose({"spin": spin, "calibrate": calibrate, "die": lambda: os._exit(3), "noop": lambda: None})
`;

const since = (begun) => performance.now() - begun;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** Milliseconds for `calls` spin(n) calls made at once through `remote`, and the CPU time this
 *  process spent meanwhile (two busy workers spend about twice the wall-clock time). */
async function burst(remote, n) {
  const cpu = process.cpuUsage();
  const begun = performance.now();
  await Promise.all(Array.from({ length: calls }, () => remote.spin(n)));
  const { user, system } = process.cpuUsage(cpu);
  return [since(begun), (user + system) / 1000];
}

const one = startPythonWorker({ code });
const pool = startPythonPool({ size: 2, code });
await Promise.all([one.ready, pool.ready]);
const n = await one.remote.calibrate(ms);
await Promise.all([one.remote.spin(n), pool.remote.spin(n), pool.remote.spin(n)]); // warm
const single = [];
const pooled = [];
for (let i = 0; i < rounds; i++) {
  // Alternating, so that both see the same machine.
  single.push(await burst(one.remote, n));
  pooled.push(await burst(pool.remote, n));
}
const bySpeed = (runs) => [...runs].sort(([a], [b]) => a - b)[Math.floor(runs.length / 2)];
await pool.terminate();

const fresh = [];
const restart = [];
for (let i = 0; i < rounds; i++) {
  const begun = performance.now();
  const worker = startPythonWorker({ code });
  await worker.remote.noop();
  fresh.push(since(begun));
  await worker.remote.die().catch(() => {});
  const again = performance.now();
  await worker.restart();
  await worker.remote.noop();
  restart.push(since(again));
  await worker.terminate();
}
await one.terminate();

const result = {
  calls,
  ms_per_call: ms,
  iterations: n,
  pool: {
    one_worker_ms: bySpeed(single)[0],
    pool_of_2_ms: bySpeed(pooled)[0],
    one_worker_cpu_ms: bySpeed(single)[1],
    pool_of_2_cpu_ms: bySpeed(pooled)[1],
  },
  start: { fresh_ms: median(fresh), restart_after_crash_ms: median(restart) },
};
console.log(`BENCH ${JSON.stringify(result)}`);
