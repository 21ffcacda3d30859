// The worker's end of a synchronous channel (sync_host.mjs is the other end): messages to the worker
// come through a SharedArrayBuffer, which a thread blocked in Atomics.wait can still read; the
// worker's own go through it too in a browser, and on a MessagePort in Node (see POST_ON_PORT), as
// does one that carries a real MessagePort. Every message is for a numbered
// sub-channel: 0 is the object the channel serves, the others are ports that went across (callbacks,
// returned proxies).
//
// Python sees each sub-channel as a port (comlink_py.pyodide.shared), and reads the mailbox in two ways: a
// blocking call pumps it (pump(ms)) until its answer is there, serving whatever else arrives first,
// such as a callback's request; while nothing blocks, arrivals are delivered as events.
import { decode, encode } from "./sync_codec.mjs";
import { MailboxReader, MailboxWriter, closeMailboxes } from "./sync_channel.mjs";

/**
 * One sub-channel as a port. The class is named MessagePort because comlink_py.js and Comlink know
 * a port by its constructor's name, and this one is treated as one: it can be listened on, posted
 * to, closed, and sent in a message (as a far end, see SharedLink.open).
 */
class MessagePort {
  constructor(link, id, far) {
    this.link = link;
    this.id = id;
    this.far = far; // a far end only stands for its sub-channel in a message
    this.listeners = { message: [], close: [] };
  }

  postMessage(message, transfer = []) {
    this.link.post(this.id, message, transfer);
  }

  addEventListener(type, listener) {
    this.listeners[type]?.push(listener);
  }

  removeEventListener(type, listener) {
    const known = this.listeners[type];
    if (known !== undefined) this.listeners[type] = known.filter((item) => item !== listener);
  }

  start() {}

  close() {
    this.link.forget(this.id);
  }

  dispatch(type, event) {
    for (const listener of this.listeners[type]) {
      try {
        if (typeof listener === "function") listener(event);
        else listener.handleEvent(event);
      } catch (error) {
        console.error(error);
      }
    }
  }
}

/** Where in `message` the far ends in `transfer` are, as [path, id] pairs, and the message with
 *  each of them replaced by null (the host puts a real port there). */
function farEnds(message, transfer) {
  const far = new Set(transfer.filter((item) => item instanceof MessagePort));
  const refs = [];
  if (far.size === 0) return refs;
  const seen = new Set();
  const walk = (value, path) => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    for (const key of Array.isArray(value) ? value.keys() : Object.keys(value)) {
      const item = value[key];
      if (far.has(item)) {
        refs.push([[...path, key], item.id]);
        value[key] = null;
      } else walk(item, [...path, key]);
    }
  };
  walk(message, []);
  return refs;
}

/** Node takes a MessagePort message at less cost than an Atomics.waitAsync wake-up; a browser's
 *  main thread the other way round (measured: 10% faster in Node on the port, 40% faster in
 *  Chromium through memory). So in Node every message of the worker goes on the port. */
const POST_ON_PORT = typeof process === "object" && process.versions?.node !== undefined;

/** The longest a blocked worker waits (ms) before it looks at Pyodide's interrupt buffer; the host's
 *  own channels are also woken at once by the shim's interrupt() (wakeReader). */
const INTERRUPT_SLICE = 25;

/** Raises KeyboardInterrupt in the Python that waits if the shim's interrupt() asked for one
 *  (pyodide.checkInterrupt, set by installSync). */
let checkInterrupt = () => {};

/** What awaitAnswer returns when it kept a plain answer's value. */
const ANSWERED = 2;

/** What take returns when no plain answer came: an object, which no plain answer is. */
const NOT_PLAIN = Object.freeze({ notPlain: true });

/** Whether `message` is Comlink's answer to request `id` on sub-channel `sub` carrying a
 *  primitive: [sub, {type: "RAW", value, id}]. */
function isPlainAnswer(message, sub, id) {
  const data = message[1];
  if (message[0] !== sub || message.length !== 2) return false;
  if (typeof data !== "object" || data === null || data.id !== id || data.type !== "RAW") return false;
  const keys = Object.keys(data);
  const value = data.value;
  return keys.length === 3 && keys[0] === "type" && (typeof value !== "object" || value === null) && typeof value !== "function";
}

export class SharedLink {
  /** `port` carries this side's messages to the host; `buffer` is the mailbox it answers in. */
  constructor(port, buffer) {
    this.port = port;
    this.buffer = buffer;
    this.reader = new MailboxReader(buffer, "toWorker");
    this.writer = new MailboxWriter(buffer, "toHost", true);
    this.subs = new Map();
    this.next = 2; // this side numbers its sub-channels evenly, the host oddly
    this.closed = false;
    this.answer = undefined; // the value of the last plain answer awaitAnswer took
    this.held = null; // a message take() read but did not deliver
    this.calls = 0; // the ids newId() made
    this.callId = undefined;
    this.reader.listen((bytes) => this.deliver(bytes)).then(() => this.shut());
  }

  /** The port of sub-channel 0: the object the host serves. */
  root() {
    return this.sub(0);
  }

  sub(id) {
    let port = this.subs.get(id);
    if (port === undefined) {
      port = new MessagePort(this, id, false);
      this.subs.set(id, port);
    }
    return port;
  }

  /** A new sub-channel: [the near end, to listen on here; the far end, to send to the host]. */
  open() {
    const id = this.next;
    this.next += 2;
    return [this.sub(id), new MessagePort(this, id, true)];
  }

  post(id, message, transfer) {
    if (this.closed) throw new Error("the synchronous channel is closed");
    if (POST_ON_PORT || transfer.some((item) => item.constructor?.name === "MessagePort" && !(item instanceof MessagePort))) {
      // A real port cannot be written to memory: this message goes on the MessagePort.
      const refs = farEnds(message, transfer);
      this.port.postMessage([id, message, refs], transfer.filter((item) => !(item instanceof MessagePort)));
      return;
    }
    this.writer.send(encode([id, message], (port) => port.id));
    const buffers = transfer.filter((item) => item instanceof ArrayBuffer);
    if (buffers.length > 0) structuredClone(buffers, { transfer: buffers }); // moved: detached here
  }

  /** Close sub-channel `id` here and tell the host (a message of the id alone). */
  forget(id) {
    if (!this.subs.delete(id) || this.closed) return;
    if (POST_ON_PORT) this.port.postMessage([id]);
    else this.writer.send(encode([id]));
  }

  /**
   * Deliver what arrives within `ms` milliseconds: 1 once a message was delivered, 0 if none came,
   * -1 if the channel is closed (every port has been told).
   */
  pump(ms) {
    const message = this.arrived(ms);
    if (message === null) return this.closed ? -1 : 0;
    this.dispatch(message);
    return 1;
  }

  /**
   * pump(ms) for a blocking call waiting for the answer to request `id` on sub-channel `sub`: if
   * that answer is plain (a RAW wire value of a primitive, the shape of most), it is not delivered
   * as an event; its value is kept in `answer` and ANSWERED returned. Python then reads one
   * property instead of converting a message.
   */
  awaitAnswer(sub, id, ms) {
    const message = this.arrived(ms);
    if (message === null) return this.closed ? -1 : 0;
    if (isPlainAnswer(message, sub, id)) {
      this.answer = message[1].value;
      return ANSWERED;
    }
    this.dispatch(message);
    return 1;
  }

  /**
   * A blocking call of atoms in one call from Python (comlink_py.pyodide.shared's call_atoms):
   * `postCall(id, ...parts)` (comlink_py's postCall, bound to sub-channel `sub`'s port) posts it
   * with a new id, then take(sub, id, ms). Python registers nothing unless the answer is not plain.
   */
  call(postCall, sub, ms, ...parts) {
    const id = this.newId();
    postCall(id, ...parts);
    return this.take(sub, id, ms);
  }

  /** A new request id, kept as `callId`: "sync-" and a number, never one of comlink_py's
   *  Python ids (eight hex digits, then "-"). */
  newId() {
    this.callId = `sync-${this.calls++}`;
    return this.callId;
  }

  /** The value of the plain answer to request `id` on sub-channel `sub` if it is what arrives
   *  within `ms`; else NOT_PLAIN, and whatever arrived is held, undelivered, for the next pump or
   *  awaitAnswer (Python first makes ready for it: the call pending, callbacks served inline). */
  take(sub, id, ms) {
    const message = this.arrived(ms);
    if (message !== null && isPlainAnswer(message, sub, id)) return message[1].value;
    this.held = message;
    return NOT_PLAIN;
  }

  /** The next message within `ms` milliseconds, decoded (a held one first), or null: none came,
   *  the channel closed (every port has been told) or it was malformed (reported, dropped). */
  arrived(ms) {
    const held = this.held;
    if (held !== null) {
      this.held = null;
      return held;
    }
    const bytes = this.arrival(ms);
    if (bytes === null) {
      if (this.reader.closed) this.shut();
      return null;
    }
    return this.decoded(bytes);
  }

  /** The next message's bytes within `ms` milliseconds, or null. It waits in slices, after each of
   *  which an interrupt (the shim's interrupt()) raises KeyboardInterrupt in the waiting Python. */
  arrival(ms) {
    const end = performance.now() + ms;
    for (;;) {
      const bytes = this.reader.read(Math.min(ms, INTERRUPT_SLICE));
      if (bytes !== null || this.reader.closed) return bytes;
      checkInterrupt();
      ms = end - performance.now();
      if (ms <= 0) return null;
    }
  }

  /** What arrives while nothing blocks: a message a blocking call left held goes first. */
  deliver(bytes) {
    const held = this.held;
    this.held = null;
    if (held !== null) this.dispatch(held);
    const message = this.decoded(bytes);
    if (message !== null) this.dispatch(message);
  }

  decoded(bytes) {
    try {
      return decode(bytes, (sub) => this.sub(sub));
    } catch (error) {
      console.error("comlink_py: dropped a malformed message on a synchronous channel:", error);
      return null;
    }
  }

  dispatch(message) {
    const [id, data] = message;
    const port = this.subs.get(id);
    if (port === undefined) return; // a port closed here: what was on its way is dropped
    if (message.length === 1) {
      this.subs.delete(id);
      port.dispatch("close", {});
    } else {
      port.dispatch("message", { data });
    }
  }

  shut() {
    if (this.closed) return;
    this.closed = true;
    const ports = [...this.subs.values()];
    this.subs.clear();
    for (const port of ports) port.dispatch("close", {});
    closeMailboxes(this.buffer);
    this.port.close?.();
  }
}

/** Hand the synchronous channels a starter sent (sync_host.mjs's syncChannels) to comlink_py. */
export function installSync(pyodide, sync) {
  checkInterrupt = () => pyodide.checkInterrupt();
  const shared = pyodide.pyimport("comlink_py.shared");
  try {
    shared.install(SharedLink);
    const link = ({ port, buffer }) => (typeof buffer === "string" ? buffer : new SharedLink(port, buffer));
    if (sync?.host) shared.set_host_link(link(sync.host));
    if (sync?.stdin) shared.set_stdin_link(link(sync.stdin));
  } finally {
    shared.destroy();
  }
}
