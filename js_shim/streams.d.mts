// Types of the shim's stream handler (streams.mjs), exported by both entries.

/** Options of `stream(source, options)`: the receiver's pulls and whether buffers move. */
export interface StreamOptions {
  /** Items per pull (1..65536, default 256). */
  batch?: number;
  /** Pulls in flight (1..64, default 2): the producer runs at most batch * window items ahead. */
  window?: number;
  /** Move ArrayBuffer and typed array items instead of copying them. */
  transfer?: boolean;
}

/** A stream from Python: `for await (const item of stream)`; `break` closes the producer. */
export declare class RemoteStream<T = unknown> implements AsyncIterableIterator<T> {
  batch: number;
  window: number;
  [Symbol.asyncIterator](): RemoteStream<T>;
  next(): Promise<IteratorResult<T, undefined>>;
  return(value?: unknown): Promise<IteratorResult<T, undefined>>;
  throw(error?: unknown): Promise<IteratorResult<T, undefined>>;
  /** The same stream as a ReadableStream. */
  readable(): ReadableStream<T>;
}

/** Mark an iterable, async iterable or ReadableStream to cross to Python as a stream. */
export declare function stream<T>(
  source: Iterable<T> | AsyncIterable<T> | ReadableStream<T>,
  options?: StreamOptions,
): AsyncIterable<T>;

/** The transfer handler's name, the same in comlink_py. */
export declare const STREAM_HANDLER: "comlink_py.stream";

/** Register the stream handler with a Comlink module (the shim does it for its own Comlink). */
export declare function registerStreams(Comlink: typeof import("comlink")): void;
