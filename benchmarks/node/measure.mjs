// The measurement loop every JS-driven benchmark row shares, so rows differ only in their transport:
// in Node (bench.mjs) and in a browser page (../browser/bench.mjs). It mirrors benchmarks/measure.py
// (the Python-driven rows' loop) step for step.
// `remote` has noop(), size(buffer) -> byteLength and collect() (garbage collection on its side).

export const SIZES = { "1 KiB": 1024, "1 MiB": 1 << 20, "64 MiB": 64 << 20 };
export const IN_FLIGHT = [1, 10, 100, 1000];
export const WARM_UP = 500;

/** Samples per payload size: fewer for big ones, whose median is stable sooner. */
export const payloadReps = (size, smoke) => (smoke ? 1 : size >= 64 << 20 ? 9 : size >= 1 << 20 ? 30 : 200);

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/**
 * Collect garbage on this thread (needs node --expose-gc). Each payload sample does so on both
 * sides between making its buffer and timing the call: a buffer of an earlier sample left for the
 * collector, or the collection that allocating 64 MiB starts, would be timed as the call's cost.
 */
export const collectGarbage = () => globalThis.gc?.();

/**
 * Sequential no-op calls: each one's round trip in microseconds, or with `block` > 1 the mean of
 * each block of that many calls, for clocks too coarse to time one call (a browser's
 * performance.now() reads to 5 µs at best).
 */
export async function roundTrips(remote, calls, block = 1) {
  const times = [];
  for (let i = 0; i < calls; i += block) {
    const start = performance.now();
    for (let j = 0; j < block; j++) await remote.noop();
    times.push(((performance.now() - start) * 1000) / block);
  }
  return times;
}

/** Microseconds per no-op call with n calls in flight: batches of n issued at once, then awaited. */
export async function inFlight(remote, calls) {
  const result = {};
  for (const n of IN_FLIGHT) {
    const batches = Math.max(1, Math.floor(calls / n));
    const start = performance.now();
    for (let b = 0; b < batches; b++) {
      await Promise.all(Array.from({ length: n }, () => remote.noop()));
    }
    result[n] = ((performance.now() - start) * 1000) / (batches * n);
  }
  return result;
}

/** Median microseconds of size(buffer), copied and transferred (`transfer(value, list)` marks one). */
export async function payloads(remote, { transfer, smoke }) {
  const result = {};
  for (const [label, bytes] of Object.entries(SIZES)) {
    for (const mode of ["copy", "transfer"]) {
      const samples = [];
      for (let i = 0; i < payloadReps(bytes, smoke); i++) {
        const buffer = new ArrayBuffer(bytes);
        collectGarbage();
        await remote.collect();
        const start = performance.now();
        const got = await (mode === "transfer" ? remote.size(transfer(buffer, [buffer])) : remote.size(buffer));
        samples.push((performance.now() - start) * 1000);
        if (got !== bytes) throw new Error(`size() answered ${got} for ${bytes} bytes`);
        if ((buffer.byteLength === 0) !== (mode === "transfer")) {
          throw new Error(`${mode}: the buffer ${mode === "transfer" ? "stayed" : "left"}`);
        }
      }
      result[`${label} ${mode}`] = median(samples);
    }
  }
  return result;
}

/** A row driven from this thread, for bench.mjs: see pythonDriver there for the other kind.
 *  `block`: see roundTrips. */
export function jsDriver(remote, transfer, block = 1) {
  return {
    async warmUp(calls) {
      for (let i = 0; i < Math.min(calls, WARM_UP); i++) await remote.noop();
    },
    roundTrips: (calls) => roundTrips(remote, calls, block),
    async rest(calls, smoke) {
      return { in_flight_us: await inFlight(remote, calls), payload_us: await payloads(remote, { transfer, smoke }) };
    },
  };
}

/** Rounds of the interleaved no-op round trips: load that comes and goes weighs on all rows alike. */
export const ROUNDS = 10;

/**
 * Measure the rows `names` in the same way for every runner: set each up (`rows`: name -> async
 * function making its driver), warm each up, then the no-op round trips in interleaved rounds,
 * then calls in flight and payloads row by row. `part`: "round-trips", "rest" or "all". Returns
 * name -> figures.
 */
export async function measureRows(rows, names, calls, smoke, part) {
  const drivers = {};
  for (const name of names) {
    if (!(name in rows)) throw new Error(`unknown row ${name}; rows: ${Object.keys(rows).join(", ")}`);
    drivers[name] = await rows[name]();
  }
  for (const name of names) await drivers[name].warmUp(calls);
  const out = Object.fromEntries(names.map((name) => [name, {}]));
  if (part !== "rest") {
    const rounds = smoke ? 1 : ROUNDS;
    const samples = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < rounds; round++) {
      for (const name of names) samples[name].push(...(await drivers[name].roundTrips(Math.ceil(calls / rounds))));
    }
    for (const name of names) out[name].round_trip_us = median(samples[name]);
  }
  if (part !== "round-trips") {
    for (const name of names) Object.assign(out[name], await drivers[name].rest(calls, smoke));
  }
  return out;
}
