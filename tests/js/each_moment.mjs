// Stopping calls at every moment of their life, for the stopping tests in Node
// (tests/interop/js/stopping.mjs) and in Chromium (tests/patterns/workers/stopping.mjs): from the
// turn that made the call, before Python has it, to well into the call's own code. `py` is what
// startPythonWorker returned, serving tests/interop/py/stopping.py.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** After how many ms each call is stopped; -1: in the turn that made it. */
const MOMENTS = [-1, 0, 1, 2, 3, 5, 8, 13];

/** Make `rounds` calls for each moment, each stopped by `stop(made)` then; count how they settled (a
 *  value, an error's name, or "hung" after 5 s: then it stops there). A stop that comes after its
 *  call settled does nothing: interrupt() needs a call that waits. */
async function stoppedAtEachMoment(py, rounds, call, stop) {
  const counts = {};
  for (let round = 0; round < rounds; round++) {
    for (const ms of MOMENTS) {
      const made = call(round);
      const stopped = ms < 0 ? stop(made) : sleep(ms).then(() => stop(made));
      const outcome = await Promise.race([
        made.promise.then(
          (value) => JSON.stringify(value),
          (error) => String(error?.name),
        ),
        sleep(5000).then(() => "hung"),
      ]);
      await stopped; // so that it never reaches the next call
      counts[outcome] = (counts[outcome] ?? 0) + 1;
      if (outcome === "hung") return { counts, next: null };
    }
  }
  return { counts, next: await py.remote.add(1, 2) };
}

/** Runaway calls interrupted, quick calls (synchronous and async) interrupted, runaway calls
 *  aborted by their AbortSignal: what each settled as, and the answer of a call made after. */
export async function eachMoment(py) {
  const interrupt = () => py.interrupt();
  const spin = await stoppedAtEachMoment(py, 12, () => ({ promise: py.remote.spin() }), interrupt);
  const quick = await stoppedAtEachMoment(
    py,
    25,
    (round) => ({ promise: round % 2 ? py.remote.add(2, 3) : py.remote.echo_async(5) }),
    interrupt,
  );
  const abort = await stoppedAtEachMoment(
    py,
    12,
    () => {
      const controller = new AbortController();
      return { promise: py.remote.spin_signal(controller.signal), controller };
    },
    (made) => made.controller.abort(),
  );
  return { spin, quick, abort };
}
