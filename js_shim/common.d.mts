// Types that the Node (node.d.mts) and browser (browser.d.mts) entries of the shim share.
import type * as Comlink from "comlink";

/** The Python code a worker runs as __main__: exactly one of `code` or `file`. It must call
 *  comlink_py.expose(obj) before it finishes (top-level await is fine). */
export type MainCode =
  | { /** Python source. */ code: string; file?: undefined }
  | { /** A Python file: a path in Node, a URL relative to the page in a browser. */ file: string; code?: undefined };

/** One step of loading the `files` and `packages` options, reported as each has loaded. */
export interface Progress {
  kind: "files" | "packages";
  /** The entry as given (in a browser, its absolute URL). */
  name: string;
  /** How many of that kind have loaded, this one included, and how many there are. */
  done: number;
  total: number;
}

/** Options both entries take. */
export interface SharedOptions {
  /** An object exposed to Python, which reaches it as comlink_py.js.host(), and with blocking
   *  calls as comlink_py.shared.host_sync(). */
  host?: object;
  /** What input() and sys.stdin read in Python, a line per call; null is the end of input. In a
   *  browser the default is window.prompt, where there is one. Needs SharedArrayBuffer. */
  stdin?: (prompt: string) => string | null;
  /** Folders, Python files or zips made importable before the main code runs: paths in Node, URLs
   *  relative to the page in a browser (where a folder's URL ends in "/" and its files.json lists
   *  its files). Folders keep their layout; files and the contents of zips share one folder. */
  files?: string | readonly string[];
  /** Wheels (".whl" paths or URLs) or names of the Pyodide distribution's own packages (whose files
   *  must be in its folder: the npm pyodide package has none), installed before the main code. */
  packages?: string | readonly string[];
  /** Called as each of `files` and `packages` has loaded. */
  onProgress?: (progress: Progress) => void;
  /** Trace the worker's comlink_py traffic (COMLINK_PY_DEBUG=1) to its console. In Node, by
   *  default, as the environment (passed through to Python) says; false turns it off. */
  debug?: boolean;
  /** Restart the worker in place when it dies after it has served (Python called os._exit, say):
   *  the call it was running fails, later calls go to the new worker. A worker that fails to
   *  start is not restarted. Default false; pools always do. */
  autoRestart?: boolean;
}

/** What startPythonWorker returns, for the Python object of type `T` the worker exposes. */
export interface PythonWorkerBase<T> {
  /** Comlink.wrap of the exposed object, usable at once: calls wait until Python serves. */
  readonly remote: Comlink.Remote<T>;
  /** Resolves when Python serves; rejects with the start-up error, which the calls get too. After
   *  restart() it is the new worker's. */
  readonly ready: Promise<void>;
  /** Replace the worker (crashed, terminated, starting or serving) by a fresh one with the same
   *  options, in place: `remote` stays the same object. Calls waiting for the old worker reject
   *  with an error named WorkerRestarted (never retried); calls made meanwhile wait for the new
   *  one, as at start-up. Returns the new worker's `ready`. */
  restart(): Promise<void>;
  /** Raise KeyboardInterrupt in the Python code running now: the waiting call rejects with an
   *  error named KeyboardInterrupt and the worker serves on. false, doing nothing, while Python
   *  starts or when no call waits. In a browser it throws unless the page is cross-origin isolated. */
  interrupt(): boolean;
  /** Stop the worker and free its ports; later calls fail (until restart()). */
  terminate(): Promise<void>;
  /** `await using` terminates the worker at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** What startPythonPool returns: workers running the same code, for stateless calls. */
export interface PythonPoolBase<T> {
  /** Calls `remote.f(...)` (at any depth: `remote.a.f(...)`) and reads (`await remote.x`) go to
   *  a worker with no call running, or wait for one. Setting attributes and `new` throw: each
   *  worker has its own state. */
  readonly remote: Comlink.Remote<T>;
  /** Resolves when every worker serves; rejects with a start-up error. */
  readonly ready: Promise<void>;
  /** How many workers the pool keeps. */
  readonly size: number;
  /** Stop every worker: calls running and waiting in the pool reject. */
  terminate(): Promise<void>;
  /** `await using` terminates the pool at the end of the block. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The pool's own option: how many workers. */
export interface PoolSize {
  /** A whole number of workers, at least 1. */
  size: number;
}
