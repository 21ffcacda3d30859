// Mailboxes in a SharedArrayBuffer, one per direction of a synchronous channel. The worker reads
// its mailbox blocking (Atomics.wait, in slices) or, while idle, asynchronously; the host (a page's
// main thread, which may never block) writes and reads asynchronously (Atomics.waitAsync). Both
// directions go through memory: a MessagePort message costs a task on the receiving thread, which
// in a browser is slower than an Atomics wake-up. A message larger than a mailbox goes in pieces:
// the writer puts the next piece in as soon as the reader has taken the last one.
//
// A mailbox is four Int32 words, then its data. STATE is EMPTY (the writer's turn) or FULL (the
// reader's); LENGTH is the size of the piece in the data area; MORE is 1 when more pieces of the
// same message follow; CLOSED is 1 once either side is gone, which wakes the other for good. The
// buffer holds the host-to-worker mailbox, then the worker-to-host one, of equal size.

const STATE = 0;
const LENGTH = 1;
const MORE = 2;
const CLOSED = 3;
const HEADER = 16;
const EMPTY = 0;
const FULL = 1;

/** The default size of each mailbox's data: 1 MiB, so most messages are one piece. */
export const DEFAULT_SIZE = 1 << 20;

/** A SharedArrayBuffer for a channel's two mailboxes, or an Error saying why there is none (a
 *  browser page that is not cross-origin isolated has no SharedArrayBuffer). */
export function mailboxBuffer(size = DEFAULT_SIZE) {
  if (typeof SharedArrayBuffer !== "function" || globalThis.crossOriginIsolated === false) {
    return new Error(
      "synchronous calls need SharedArrayBuffer, which a browser gives only to cross-origin isolated " +
        "pages: serve the page with the headers 'Cross-Origin-Opener-Policy: same-origin' and " +
        "'Cross-Origin-Embedder-Policy: require-corp'",
    );
  }
  return new SharedArrayBuffer(2 * (HEADER + size));
}

/** One direction's mailbox of `buffer`: "toWorker" or "toHost". */
function mailbox(buffer, direction) {
  const half = buffer.byteLength / 2;
  const start = direction === "toWorker" ? 0 : half;
  return { words: new Int32Array(buffer, start, 4), data: new Uint8Array(buffer, start + HEADER, half - HEADER) };
}

/** Mark both mailboxes of `buffer` closed and wake whoever waits on them. */
export function closeMailboxes(buffer) {
  for (const direction of ["toWorker", "toHost"]) {
    const { words } = mailbox(buffer, direction);
    Atomics.store(words, CLOSED, 1);
    Atomics.notify(words, STATE);
  }
}

/** Wake a worker waiting for a message in `buffer` without giving it one (its wait then looks at
 *  Pyodide's interrupt buffer: the shim's interrupt() does this). */
export function wakeReader(buffer) {
  Atomics.notify(mailbox(buffer, "toWorker").words, STATE);
}

/** The writing end. `blocking` (a worker) waits in Atomics.wait for the reader to make room;
 *  otherwise (a host) messages queue and are written as Atomics.waitAsync says there is room. */
export class MailboxWriter {
  constructor(buffer, direction, blocking) {
    Object.assign(this, mailbox(buffer, direction));
    this.blocking = blocking;
    this.queue = []; // [bytes, offset] of messages not yet (wholly) written
    this.waiting = false;
  }

  get closed() {
    return Atomics.load(this.words, CLOSED) === 1;
  }

  /** Queue `bytes` (a Uint8Array) and write what the reader has room for now. */
  send(bytes) {
    this.queue.push([bytes, 0]);
    if (!this.waiting) this.flush();
  }

  flush() {
    const { words, data, queue } = this;
    while (queue.length > 0) {
      if (this.closed) {
        queue.length = 0;
        return;
      }
      if (Atomics.load(words, STATE) !== EMPTY) {
        if (this.blocking) {
          Atomics.wait(words, STATE, FULL, 100);
          continue;
        }
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
}

/** The reading end. */
export class MailboxReader {
  constructor(buffer, direction) {
    Object.assign(this, mailbox(buffer, direction));
    this.pieces = [];
  }

  get closed() {
    return Atomics.load(this.words, CLOSED) === 1;
  }

  /** Whether a piece is there to read without waiting. */
  get ready() {
    return Atomics.load(this.words, STATE) === FULL;
  }

  /** Take the piece that is there; the whole message once its last piece is taken, else null. */
  take() {
    const { words, data, pieces } = this;
    const size = words[LENGTH];
    const more = words[MORE] === 1;
    pieces.push(data.slice(0, size));
    Atomics.store(words, STATE, EMPTY);
    Atomics.notify(words, STATE);
    if (more) return null;
    this.pieces = [];
    if (pieces.length === 1) return pieces[0];
    const bytes = new Uint8Array(pieces.reduce((total, piece) => total + piece.length, 0));
    let offset = 0;
    for (const piece of pieces) {
      bytes.set(piece, offset);
      offset += piece.length;
    }
    return bytes;
  }

  /**
   * Blocking (a worker): the next message, waiting up to `ms` milliseconds for it to begin (a
   * message once begun is read to its end); null if none came in time or the other side closed.
   */
  read(ms) {
    if (!this.arrive(ms)) return null;
    for (;;) {
      const bytes = this.take();
      if (bytes !== null) return bytes;
      while (!this.arrive(100)) {
        if (this.closed) return null;
      }
    }
  }

  /** Wait until a piece is there (true), `ms` have passed, the other side closed or wakeReader woke
   *  it (false). No spinning first: on one core a spinning worker takes the core the host needs to
   *  answer (measured: slower, in Chromium and in Node), and on two a bounded spin measured no
   *  faster (Chromium, 20 µs with and without: the wake-up is not where a call's time goes). */
  arrive(ms) {
    const words = this.words;
    if (Atomics.load(words, STATE) === FULL) return true;
    const start = performance.now();
    for (;;) {
      if (this.closed) return false;
      const left = ms - (performance.now() - start);
      if (left <= 0) return false;
      const woken = Atomics.wait(words, STATE, EMPTY, left) === "ok";
      if (Atomics.load(words, STATE) === FULL) return true;
      if (woken) return false;
    }
  }

  /** Without blocking: `onMessage(bytes)` for each message, as it arrives, until closed. A
   *  worker's synchronous reads may take messages meanwhile: this only reads what is left. */
  async listen(onMessage) {
    while (!this.closed) {
      if (this.ready) {
        const bytes = this.take();
        if (bytes !== null) onMessage(bytes);
      } else {
        const { async, value } = Atomics.waitAsync(this.words, STATE, EMPTY);
        if (async) await value;
      }
    }
  }
}
