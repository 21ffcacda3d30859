// Types of the shim's Node entry (node.mjs).
import type { Worker } from "node:worker_threads";
import type { PyodideAPI } from "pyodide";
import type { MainCode, PoolSize, Progress, PythonPoolBase, PythonWorkerBase, SharedOptions } from "./common.d.mts";

export type { MainCode, PoolSize, Progress, PythonPoolBase, PythonWorkerBase, SharedOptions };
export type { StreamOptions } from "./streams.mjs";
export { RemoteStream, registerStreams, stream } from "./streams.mjs";

/** Where Pyodide and comlink_py's sources come from. */
export interface LoadOptions {
  /** Pyodide's folder (default: the pyodide package in node_modules). */
  indexURL?: string;
  /** The folder of comlink_py's sources (default: the package's copy, or this repository's). */
  packageDir?: string;
}

export type PythonWorkerOptions = MainCode &
  SharedOptions &
  LoadOptions & {
    /** true: the worker does not keep Node running, except while it starts and while a call
     *  waits for its answer. By default it does until terminate() (or `await using`). */
    unref?: boolean;
  };

export interface PythonWorker<T> extends PythonWorkerBase<T> {
  /** The worker thread. */
  readonly worker: Worker;
}

/** Start Python in a worker thread and wrap the object it exposes, typed as `T`. */
export declare function startPythonWorker<T = unknown>(options: PythonWorkerOptions): PythonWorker<T>;

export interface PythonPool<T> extends PythonPoolBase<T> {
  /** The pool's workers (each can be interrupted or restarted on its own). */
  readonly workers: readonly PythonWorker<T>[];
}

/** Start `size` worker threads running the same code, and send each call to an idle one. */
export declare function startPythonPool<T = unknown>(options: PythonWorkerOptions & PoolSize): PythonPool<T>;

/** Pyodide on this thread with comlink_py importable. */
export declare function loadPython(options?: LoadOptions & { debug?: boolean }): Promise<PyodideAPI>;
