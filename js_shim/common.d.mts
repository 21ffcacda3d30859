// Types that the Node (node.d.mts) and browser (browser.d.mts) entries of the shim share.
import type * as Comlink from "comlink";

/** The Python code a worker runs as __main__: exactly one of `code` or `file`. It must call
 *  comlink_py.expose(obj) before it finishes (top-level await is fine). */
export type MainCode =
  | { /** Python source. */ code: string; file?: undefined }
  | { /** A Python file: a path in Node, a URL relative to the page in a browser. */ file: string; code?: undefined };

/** Options both entries take. */
export interface SharedOptions {
  /** An object exposed to Python, which reaches it as comlink_py.js.host(). */
  host?: object;
}

/** What startPythonWorker returns, for the Python object of type `T` the worker exposes. */
export interface PythonWorkerBase<T> {
  /** Comlink.wrap of the exposed object, usable at once: calls wait until Python serves. */
  readonly remote: Comlink.Remote<T>;
  /** Resolves when Python serves; rejects with the start-up error, which the calls get too. */
  readonly ready: Promise<void>;
}
