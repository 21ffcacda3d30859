// One-way mailbox in a SharedArrayBuffer: a writer that never blocks (a page's main thread may not)
// and a reader that blocks in Atomics.wait, in slices, or waits asynchronously while it is idle.
// A message larger than the buffer goes in pieces: the writer puts the next piece in as soon as the
// reader has taken the last one, so any size fits any buffer.
//
// Layout: four Int32 words, then the data. STATE is EMPTY (the writer's turn) or FULL (the
// reader's); LENGTH is the size of the piece in the data area; MORE is 1 when more pieces of the
// same message follow; CLOSED is 1 once the writer's side is gone, which wakes the reader for good.

const STATE = 0;
const LENGTH = 1;
const MORE = 2;
const CLOSED = 3;
const HEADER = 16;
const EMPTY = 0;
const FULL = 1;

/** The default buffer: 1 MiB of data, so most messages are one piece. */
export const DEFAULT_SIZE = HEADER + (1 << 20);

/** A SharedArrayBuffer for a mailbox, or an Error saying why there is none (a browser page that is
 *  not cross-origin isolated has no SharedArrayBuffer). */
export function mailboxBuffer(size = DEFAULT_SIZE) {
  if (typeof SharedArrayBuffer !== "function" || globalThis.crossOriginIsolated === false) {
    return new Error(
      "synchronous calls need SharedArrayBuffer, which a browser gives only to cross-origin isolated " +
        "pages: serve the page with the headers 'Cross-Origin-Opener-Policy: same-origin' and " +
        "'Cross-Origin-Embedder-Policy: require-corp'",
    );
  }
  return new SharedArrayBuffer(size);
}

/** The writing end, on the thread that must not block. */
export class MailboxWriter {
  constructor(buffer) {
    this.words = new Int32Array(buffer, 0, 4);
    this.data = new Uint8Array(buffer, HEADER);
    this.queue = []; // [bytes, offset] of messages not yet (wholly) written
    this.waiting = false;
  }

  /** Queue `bytes` (a Uint8Array) and write what the reader has room for now. */
  send(bytes) {
    this.queue.push([bytes, 0]);
    if (!this.waiting) this.flush();
  }

  flush() {
    const { words, data, queue } = this;
    while (queue.length > 0) {
      if (Atomics.load(words, STATE) !== EMPTY) {
        // The reader has not taken the last piece: come back when it has.
        this.waiting = true;
        const { async, value } = Atomics.waitAsync(words, STATE, FULL);
        if (async) {
          value.then(() => {
            this.waiting = false;
            this.flush();
          });
          return;
        }
        this.waiting = false;
        continue;
      }
      const entry = queue[0];
      const [bytes, offset] = entry;
      const size = Math.min(data.length, bytes.length - offset);
      data.set(bytes.subarray(offset, offset + size));
      entry[1] = offset + size;
      const more = entry[1] < bytes.length;
      if (!more) queue.shift();
      words[LENGTH] = size;
      words[MORE] = more ? 1 : 0;
      Atomics.store(words, STATE, FULL);
      Atomics.notify(words, STATE);
    }
  }

  /** The writer's side is gone: a waiting reader wakes and learns it. */
  close() {
    Atomics.store(this.words, CLOSED, 1);
    Atomics.notify(this.words, STATE);
  }
}

/** The reading end, on the thread that may block. */
export class MailboxReader {
  constructor(buffer) {
    this.words = new Int32Array(buffer, 0, 4);
    this.data = new Uint8Array(buffer, HEADER);
  }

  get closed() {
    return Atomics.load(this.words, CLOSED) === 1;
  }

  /** Whether a message (its first piece) is there to read without waiting. */
  get ready() {
    return Atomics.load(this.words, STATE) === FULL;
  }

  /**
   * The next message, waiting up to `ms` milliseconds for it to begin (a message once begun is read
   * to its end); null if none came in time or the writer's side closed.
   */
  read(ms) {
    if (!this.arrive(ms)) return null;
    const { words, data } = this;
    const pieces = [];
    let total = 0;
    for (;;) {
      const size = words[LENGTH];
      const more = words[MORE] === 1;
      pieces.push(data.slice(0, size));
      total += size;
      Atomics.store(words, STATE, EMPTY);
      Atomics.notify(words, STATE);
      if (!more) break;
      while (!this.arrive(100)) {
        if (this.closed) return null;
      }
    }
    if (pieces.length === 1) return pieces[0];
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const piece of pieces) {
      bytes.set(piece, offset);
      offset += piece.length;
    }
    return bytes;
  }

  /** Wait until a piece is there (true), `ms` have passed or the writer closed (false). */
  arrive(ms) {
    // No spinning first: on a machine with few cores, a spinning worker takes the core the host
    // needs to answer (measured: slower, in Chromium and in Node).
    const words = this.words;
    if (Atomics.load(words, STATE) === FULL) return true;
    const start = performance.now();
    for (;;) {
      if (this.closed) return false;
      const left = ms - (performance.now() - start);
      if (left <= 0) return false;
      Atomics.wait(words, STATE, EMPTY, left);
      if (Atomics.load(words, STATE) === FULL) return true;
    }
  }

  /** Call `onReady()` whenever a message is there while nothing reads synchronously, until closed. */
  async watch(onReady) {
    while (!this.closed) {
      if (this.ready) onReady();
      else {
        const { async, value } = Atomics.waitAsync(this.words, STATE, EMPTY);
        if (async) await value;
      }
    }
  }
}
