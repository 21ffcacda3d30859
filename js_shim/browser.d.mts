// Types of the shim's browser entry (browser.mjs).
import type * as ComlinkModule from "comlink";
import type { PyodideAPI } from "pyodide";
import type { MainCode, PoolSize, Progress, PythonPoolBase, PythonWorkerBase, SharedOptions } from "./common.d.mts";

export type { MainCode, PoolSize, Progress, PythonPoolBase, PythonWorkerBase, SharedOptions };
export type { StreamOptions } from "./streams.mjs";
export { RemoteStream, registerStreams, stream } from "./streams.mjs";

/** JS Comlink, loaded from the node_modules/ folder beside the shim. */
export declare const Comlink: typeof ComlinkModule;

/** The Pyodide builds the shim starts: "314" (Python 3.14, module worker) or "0.28" (3.13, classic). */
export type PyodideVersion = "314" | "0.28";

export type PythonWorkerOptions = MainCode &
  SharedOptions & {
    /** Which Pyodide (default "314"). */
    pyodide?: PyodideVersion;
  };

export interface PythonWorker<T> extends PythonWorkerBase<T> {
  /** The Web Worker: anything else speaking Comlink's protocol can wrap it too. */
  readonly worker: Worker;
}

/** Start Python in a Web Worker and wrap the object it exposes, typed as `T`. */
export declare function startPythonWorker<T = unknown>(options: PythonWorkerOptions): PythonWorker<T>;

export interface PythonPool<T> extends PythonPoolBase<T> {
  /** The pool's workers (each can be interrupted or restarted on its own). */
  readonly workers: readonly PythonWorker<T>[];
}

/** Start `size` Web Workers running the same code, and send each call to an idle one. */
export declare function startPythonPool<T = unknown>(options: PythonWorkerOptions & PoolSize): PythonPool<T>;

/** Pyodide on this thread (a page or a worker) with comlink_py importable. */
export declare function loadPython(options?: { pyodide?: PyodideVersion }): Promise<PyodideAPI>;
