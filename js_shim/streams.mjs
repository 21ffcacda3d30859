// Streams between JS and Python: the "comlink_py.stream" transfer handler, comlink_py's twin.
// A stream crosses as a MessagePort over which its producer is exposed (with Comlink's own protocol)
// as { pull(n) -> { items, done }, close() }. The receiver pulls batches, with at most `window` pulls
// in flight, so the producer runs only as far ahead as was asked for. See docs/streams.md.

export const STREAM_HANDLER = "comlink_py.stream";
const DEFAULT_BATCH = 256;
const DEFAULT_WINDOW = 2;
const MAX_BATCH = 65536;
const marked = new WeakMap();
const NOT_YET = Symbol("not yet");
const nextTurn = globalThis.setImmediate ?? ((f) => setTimeout(f, 0));
const ignore = () => {};

/**
 * Mark a (sync or async) iterable or a ReadableStream to cross as a stream. Async iterables,
 * generators and ReadableStreams need no mark; the mark sets the receiver's batch and window, and
 * `transfer: true` moves ArrayBuffer (and typed array) items instead of copying them.
 */
export function stream(source, { batch = DEFAULT_BATCH, window = DEFAULT_WINDOW, transfer = false } = {}) {
  if (!(Number.isInteger(batch) && batch >= 1 && batch <= MAX_BATCH && Number.isInteger(window) && window >= 1 && window <= 64)) {
    throw new RangeError(`batch must be in 1..${MAX_BATCH} and window in 1..64`);
  }
  const mark = { source, batch, window, transfer };
  marked.set(mark, mark);
  return mark;
}

function isReadableStream(value) {
  return typeof ReadableStream === "function" && value instanceof ReadableStream;
}

function isStreamable(value) {
  if (value === null || typeof value !== "object") return false;
  if (marked.has(value) || isReadableStream(value)) return true;
  const tag = Object.prototype.toString.call(value);
  return typeof value[Symbol.asyncIterator] === "function" || tag === "[object Generator]";
}

function iteratorOf(source) {
  if (isReadableStream(source)) {
    const reader = source.getReader();
    return { next: () => reader.read(), return: () => reader.cancel() };
  }
  return (source[Symbol.asyncIterator] ?? source[Symbol.iterator]).call(source);
}

function buffersOf(item) {
  if (item instanceof ArrayBuffer) return [item];
  if (ArrayBuffer.isView(item) && item.buffer instanceof ArrayBuffer) return [item.buffer];
  return [];
}

/** The pull object served for one stream. Pulls run one after another, in the order they came. */
function producer(Comlink, source, transfer) {
  const iterator = iteratorOf(source);
  let finished = false;
  let pending = null; // a step of the source asked for by a pull that answered without it
  let queue = Promise.resolve();

  async function take(n) {
    const items = [];
    const moved = [];
    // After the first item, a batch takes what the source gives before the next turn of the event
    // loop, so a slow source is never held up to fill a batch.
    let deadline = null;
    while (items.length < n && !finished) {
      let step = pending ?? iterator.next();
      pending = null;
      if (items.length > 0) {
        deadline ??= new Promise((resolve) => nextTurn(() => resolve(NOT_YET)));
        const first = await Promise.race([step, deadline]);
        if (first === NOT_YET) {
          pending = Promise.resolve(step);
          pending.catch(ignore);
          break;
        }
        step = first;
      } else {
        step = await step;
      }
      if (step.done) {
        finished = true;
        break;
      }
      items.push(step.value);
      if (transfer) moved.push(...buffersOf(step.value));
    }
    const answer = { items, done: finished };
    return moved.length > 0 ? Comlink.transfer(answer, moved) : answer;
  }

  async function close() {
    if (finished && pending === null) return;
    finished = true;
    pending = null;
    await iterator.return?.();
  }

  return {
    pull(n) {
      if (!(Number.isInteger(n) && n >= 1 && n <= MAX_BATCH)) {
        return Promise.reject(new RangeError(`pull(n) needs an integer n in 1..${MAX_BATCH}`));
      }
      const result = queue.then(() => take(n));
      queue = result.catch(() => {
        finished = true;
      });
      return result;
    },
    close() {
      const result = queue.then(close);
      queue = result.catch(ignore);
      return result;
    },
    [Comlink.finalizer]() {
      this.close().catch(ignore);
    },
  };
}

/**
 * A stream from the other side: an async iterator (`for await (const item of stream)`), whose
 * `return()` (an early `break`) closes the producer. `batch` and `window` may be changed before
 * the first item; `readable()` gives it as a ReadableStream.
 */
export class RemoteStream {
  #remote;
  #release;
  #pulls = [];
  #buffer = [];
  #index = 0;
  #done = false;

  constructor(remote, release, batch = DEFAULT_BATCH, window = DEFAULT_WINDOW) {
    this.#remote = remote;
    this.#release = release;
    this.batch = batch;
    this.window = window;
  }

  [Symbol.asyncIterator]() {
    return this;
  }

  async next() {
    while (this.#index >= this.#buffer.length) {
      const remote = this.#remote;
      if (remote === null) return { done: true, value: undefined };
      while (this.#pulls.length < this.window && !this.#done) {
        const pull = remote.pull(this.batch);
        pull.catch(ignore); // awaited in turn below; one left unawaited after a stop must not be unhandled
        this.#pulls.push(pull);
      }
      let answer;
      try {
        answer = await this.#pulls.shift();
      } catch (error) {
        this.#finish();
        throw error;
      }
      this.#buffer = answer.items;
      this.#index = 0;
      if (answer.done) {
        this.#done = true;
        this.#finish();
      }
    }
    return { done: false, value: this.#buffer[this.#index++] };
  }

  /** Stop early: the producer is closed (its `finally` has run) when this resolves. */
  async return(value) {
    const remote = this.#remote;
    this.#buffer = [];
    this.#index = 0;
    if (remote !== null) {
      try {
        if (!this.#done) await remote.close();
      } finally {
        this.#finish();
      }
    }
    return { done: true, value };
  }

  async throw(error) {
    await this.return();
    throw error;
  }

  /** The same stream as a ReadableStream (pulled item by item as the reader asks). */
  readable() {
    return new ReadableStream(
      {
        pull: async (controller) => {
          const step = await this.next();
          if (step.done) controller.close();
          else controller.enqueue(step.value);
        },
        cancel: () => this.return(),
      },
      { highWaterMark: 0 },
    );
  }

  #finish() {
    const remote = this.#remote;
    this.#remote = null;
    this.#pulls = [];
    if (remote !== null) this.#release(remote);
  }
}

function count(value, fallback, max) {
  return Number.isInteger(value) && value >= 1 && value <= max ? value : fallback;
}

/** The transfer handler for `Comlink.transferHandlers.set(STREAM_HANDLER, ...)`. */
export function streamHandler(Comlink) {
  return {
    canHandle: isStreamable,
    serialize(value) {
      const mark = marked.get(value);
      const { source, batch, window, transfer } = mark ?? { source: value, batch: DEFAULT_BATCH, window: DEFAULT_WINDOW, transfer: false };
      const { port1, port2 } = new MessageChannel();
      const served = producer(Comlink, source, transfer);
      Comlink.expose(served, port1);
      // Node tells when the consumer's side is gone; browsers have no such event.
      port1.addEventListener?.("close", () => served.close().catch(ignore));
      return [{ port: port2, batch, window }, [port2]];
    },
    deserialize({ port, batch, window }) {
      const release = (remote) => remote[Comlink.releaseProxy]();
      return new RemoteStream(Comlink.wrap(port), release, count(batch, DEFAULT_BATCH, MAX_BATCH), count(window, DEFAULT_WINDOW, 64));
    },
  };
}

/** Register the stream handler with this Comlink (the shim does it for its own Comlink). */
export function registerStreams(Comlink) {
  if (!Comlink.transferHandlers.has(STREAM_HANDLER)) {
    Comlink.transferHandlers.set(STREAM_HANDLER, streamHandler(Comlink));
  }
}
