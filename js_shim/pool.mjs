// A pool of Python workers for stateless work, the same in Node and browsers: `start` is the
// environment's startPythonWorker. Each call goes to an idle worker, or waits for one; a worker
// that dies is restarted in place (its own startPythonWorker does that, with autoRestart), and
// the call it was running fails with the worker's error, never retried.

const NO_SET =
  "a pool's workers each have their own state: set attributes through one worker " +
  "(pool.workers[i].remote), not the pool";
const NO_CONSTRUCT =
  "a pool cannot construct objects: an instance lives in one worker, so construct it through " +
  "pool.workers[i].remote";

/** The attribute of a Comlink remote that `path` names. */
const walk = (remote, path) => path.reduce((object, key) => object[key], remote);

/**
 * A stand-in for a Comlink remote whose calls `dispatch(use)` sends to one worker: `use` gets that
 * worker's Comlink remote. Calls at any depth (`remote.a.b.f(x)`) and reads (`await remote.a.x`)
 * are supported; setting and `new` throw, saying why.
 */
function poolRemote(dispatch, path = []) {
  return new Proxy(function pooled() {}, {
    get(target, key) {
      if (typeof key === "symbol") return undefined;
      if (key === "then") {
        if (path.length === 0) return undefined; // the remote itself is not a promise
        return (resolve, reject) => dispatch((remote) => walk(remote, path)).then(resolve, reject);
      }
      return poolRemote(dispatch, [...path, key]);
    },
    set() {
      throw new TypeError(NO_SET);
    },
    apply(target, self, args) {
      return dispatch((remote) => walk(remote, path)(...args));
    },
    construct() {
      throw new TypeError(NO_CONSTRUCT);
    },
  });
}

/**
 * Start `size` workers with `start(options)` (autoRestart on) and return { remote, ready, size,
 * workers, terminate }: `remote` sends each call to a worker with no call running, in the order
 * the calls were made, and the call waits while every worker is busy; `ready` resolves when every
 * current worker serves; `terminate()` stops them all and rejects the calls still waiting.
 */
export function pythonPool(start, options) {
  const { size, ...rest } = options;
  if (!Number.isInteger(size) || size < 1) {
    throw new TypeError("startPythonPool needs 'size', a whole number of workers (at least 1)");
  }
  const workers = [];
  for (let i = 0; i < size; i++) workers.push(start({ ...rest, autoRestart: true }));
  const running = workers.map(() => 0);
  const waiting = []; // { resolve, reject } of the calls waiting for an idle worker, oldest first
  let closed = null;

  const take = () =>
    new Promise((resolve, reject) => {
      const idle = running.indexOf(0);
      if (closed !== null) reject(closed);
      else if (idle >= 0) {
        running[idle] += 1;
        resolve(idle);
      } else waiting.push({ resolve, reject });
    });
  const release = (index) => {
    running[index] -= 1;
    const next = waiting.shift();
    if (next) {
      running[index] += 1;
      next.resolve(index);
    }
  };
  const dispatch = async (use) => {
    const index = await take();
    try {
      return await use(workers[index].remote);
    } finally {
      release(index);
    }
  };
  const terminate = async () => {
    closed ??= new Error("the Python pool was terminated");
    for (const call of waiting.splice(0)) call.reject(closed);
    await Promise.all(workers.map((worker) => worker.terminate()));
  };
  const disposal = Symbol.asyncDispose ? { [Symbol.asyncDispose]: terminate } : {};
  return {
    remote: poolRemote(dispatch),
    get ready() {
      const all = Promise.all(workers.map((worker) => worker.ready)).then(() => {});
      all.catch(() => {}); // as a worker's own `ready`: awaiting it is optional
      return all;
    },
    size,
    workers,
    terminate,
    ...disposal,
  };
}
