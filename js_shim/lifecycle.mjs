// The life of a Python worker that Node and browsers share: one `remote` for the caller's whole
// time, whichever worker serves it, so that a crashed, terminated or running worker can be replaced
// in place by a fresh one (restart) while the caller keeps the objects it holds. How to start one
// worker is the environment's (node.mjs, browser.mjs); this module never touches a Worker itself.
import { callingGate } from "./boot.mjs";

/** What a call still waiting on a worker that restart() replaced rejects with: never retried, as
 *  it may have run in part. */
export const RESTARTED = {
  name: "WorkerRestarted",
  message: "the Python worker was restarted while this call waited for its answer",
};

/** What calls get once terminate() has stopped the worker (until a restart). */
export const TERMINATED = { name: "Error", message: "the Python worker was terminated" };

/**
 * A restartable Python worker. `launch(down)` starts one worker and returns { endpoint, worker,
 * ready, busy(on), interrupt(), stop() }: the endpoint Comlink calls go through, the Worker,
 * the promise of its start-up, what hears whether a call waits, its interrupt() and what
 * terminates it and frees its ports. The worker calls `down(info)` when it fails to start, dies
 * or is stopped; every call then rejects with `info`. With `autoRestart`, a worker that had served
 * and then died is restarted at once (one that fails to start is not, so that a broken main code
 * does not start forever).
 *
 * Returns what startPythonWorker returns: `ready` and `worker` are the current worker's.
 */
export function restartable(Comlink, launch, autoRestart = false) {
  let current = null;
  let terminated = false;

  const start = () => {
    let served = false;
    const own = launch((info) => {
      if (own !== current) return; // an old worker that restart() replaced
      gate.fail(info);
      if (autoRestart && served && !terminated) restart();
    });
    own.ready.then(
      () => {
        served = true;
      },
      () => {}, // awaiting `ready` is optional: the calls carry the same error
    );
    return own;
  };
  const restart = () => {
    const old = current;
    terminated = false;
    const next = start();
    gate.switchTo(next.endpoint, RESTARTED); // the old worker's waiting calls hear it first
    current = next;
    old.stop();
    return next.ready;
  };
  const terminate = async () => {
    terminated = true;
    gate.fail(TERMINATED);
    await current.stop();
  };

  current = start();
  const gate = callingGate(current.endpoint, (busy) => current.busy(busy));
  const disposal = Symbol.asyncDispose ? { [Symbol.asyncDispose]: terminate } : {};
  return {
    get ready() {
      return current.ready;
    },
    get worker() {
      return current.worker;
    },
    restart,
    terminate,
    remote: Comlink.wrap(gate.endpoint),
    interrupt: () => current.interrupt(),
    ...disposal,
  };
}
