// The host's end of a synchronous channel (sync_worker.mjs is the worker's end). The worker's
// Comlink requests arrive through shared memory (or, when they carry a real MessagePort, on a
// MessagePort); this side hands them to an object exposed with the real Comlink.expose, and writes
// the answers into the SharedArrayBuffer that the blocked worker reads.
//
// Every message is for a numbered sub-channel: 0 is the served object. A port in a message becomes
// a sub-channel as it is written to memory (the worker's are the far ends of sub-channels it
// opened, for proxy() callbacks; for those this side makes a real MessageChannel and puts one port
// where the message had it). A message of the sub-channel alone closes it. Messages that come on
// the MessagePort are [sub-channel, message, far ends as [path, sub-channel] pairs].
import { decode, encode } from "./sync_codec.mjs";
import { MailboxReader, MailboxWriter, closeMailboxes, mailboxBuffer, wakeReader } from "./sync_channel.mjs";

/** The MessagePorts inside a message: what must be transferred to post it on. */
function portsIn(message) {
  const found = [];
  const seen = new Set();
  const walk = (value) => {
    if (typeof value !== "object" || value === null || seen.has(value)) return;
    seen.add(value);
    if (value.constructor?.name === "MessagePort") found.push(value);
    else for (const item of Array.isArray(value) ? value : Object.values(value)) walk(item);
  };
  walk(message);
  return found;
}

function put(message, path, value) {
  let container = message;
  for (let i = 0; i < path.length - 1; i++) container = container[path[i]];
  container[path[path.length - 1]] = value;
}

/** `object` served by the real Comlink.expose on an endpoint of this thread: a request is handed to
 *  Comlink's listener directly and its answer goes to `answer`, with no message in between. */
function exposedHere(Comlink, object, answer) {
  let listeners = [];
  Comlink.expose(object, {
    postMessage: (message) => answer(message),
    addEventListener: (type, listener) => {
      listeners = [...listeners, listener];
    },
    removeEventListener: (type, listener) => {
      listeners = listeners.filter((known) => known !== listener);
    },
  });
  return {
    post(message) {
      for (const listener of listeners) listener({ data: message });
    },
    close() {},
  };
}

/**
 * Serve `object` to synchronous calls from a worker. `Comlink` is the Comlink module; `size` the
 * shared buffer's (optional). Returns { port, buffer, handle, close }: give the worker `port`
 * (transferred) and `buffer`, which is the reason as a string where there is no SharedArrayBuffer
 * (the worker's first blocking call raises it); `handle` is this side's port; `close()` makes every
 * blocked call fail at once.
 */
export function serveSync(Comlink, object, size) {
  return syncChannel(size, (answer) => exposedHere(Comlink, object, answer));
}

/**
 * Relay synchronous calls from a worker to `endpoint`, a MessagePort on which something speaks
 * Comlink: another worker's object, say (a port from Comlink.createEndpoint on its remote), Python
 * or JS. Returns what serveSync does; when `endpoint` closes (in Node, when its worker dies), the
 * channel closes, so a call blocked on it fails at once.
 */
export function relaySync(endpoint, size) {
  return syncChannel(size, (answer, close) => {
    endpoint.addEventListener("message", (event) => answer(event.data));
    endpoint.addEventListener("close", close);
    endpoint.start();
    return { post: (message) => endpoint.postMessage(message, portsIn(message)), close: () => endpoint.close() };
  });
}

/** A synchronous channel whose sub-channel 0 is what `connect(answer, close)` returns: a sink
 *  ({ post(message), close() }) that hands what it answers to `answer`, and may `close()` it all. */
function syncChannel(size, connect) {
  const channel = new MessageChannel();
  const buffer = mailboxBuffer(size);
  const handle = channel.port1;
  if (buffer instanceof Error) return { port: channel.port2, buffer: buffer.message, handle, close: () => handle.close() };
  const writer = new MailboxWriter(buffer, "toWorker", false);
  const reader = new MailboxReader(buffer, "toHost");
  const sinks = new Map();
  let next = 1; // the host numbers its sub-channels oddly, the worker evenly
  const send = (id, data) => writer.send(encode([id, data], adopt));
  const attach = (id, port) => {
    port.addEventListener("message", (event) => send(id, event.data));
    port.addEventListener("close", () => {
      if (sinks.delete(id)) writer.send(encode([id]));
    });
    port.start();
    sinks.set(id, { post: (message) => port.postMessage(message, portsIn(message)), close: () => port.close() });
  };
  const adopt = (port) => {
    const id = next;
    next += 2;
    attach(id, port);
    return id;
  };
  // A far end the worker sent: a new MessageChannel, one port relayed to its sub-channel.
  const farEnd = (sub) => {
    const { port1, port2 } = new MessageChannel();
    attach(sub, port1);
    return port2;
  };
  const receive = (id, message) => {
    const sink = sinks.get(id);
    if (sink === undefined) return;
    if (message === CLOSE) {
      sinks.delete(id);
      sink.close();
    } else {
      sink.post(message);
    }
  };
  const close = () => {
    closeMailboxes(buffer);
    channel.port1.close();
    const all = [...sinks.values()];
    sinks.clear();
    for (const sink of all) sink.close();
  };
  sinks.set(0, connect((message) => send(0, message), close));
  // What the worker sends is checked as it is unpacked: a malformed message is reported and
  // dropped, never thrown into this thread's event loop (in Node that would end the process).
  const guarded = (take) => (input) => {
    try {
      take(input);
    } catch (error) {
      console.error("comlink_py: dropped a malformed message on a synchronous channel:", error);
    }
  };
  reader.listen(
    guarded((bytes) => {
      const message = decode(bytes, farEnd);
      if (!Array.isArray(message)) throw new TypeError("not [sub-channel, message]");
      receive(message[0], message.length === 1 ? CLOSE : message[1]);
    }),
  );
  channel.port1.addEventListener(
    "message",
    guarded(({ data }) => {
      if (!Array.isArray(data)) throw new TypeError("not [sub-channel, message, far ends]");
      const [id, message, refs] = data;
      if (data.length === 1) return receive(id, CLOSE);
      for (const [path, sub] of refs) put(message, path, farEnd(sub));
      return receive(id, message);
    }),
  );
  channel.port1.start();
  return { port: channel.port2, buffer, handle, close };
}

const CLOSE = Symbol("close");

/**
 * The synchronous channels a starter (node.mjs, browser.mjs) gives its worker: `host` served to
 * comlink_py.shared.host_sync(), and `stdin(prompt) -> string | null` read by input() and
 * sys.stdin. Returns { sync, transfer, handles, wake, close }: `sync` goes to the worker with the
 * ports in `transfer`; `handles` are this side's ports (to ref/unref); `wake()` makes a call blocked
 * on them look at Pyodide's interrupt buffer now; `close()` ends them (blocked calls fail at once).
 */
export function syncChannels(Comlink, { host, stdin }) {
  const served = {};
  if (host != null) served.host = serveSync(Comlink, host);
  if (stdin != null) served.stdin = serveSync(Comlink, { line: (prompt) => stdin(prompt) ?? null }, 1 << 16);
  const sync = {};
  for (const [name, { port, buffer }] of Object.entries(served)) sync[name] = { port, buffer };
  return {
    sync,
    transfer: Object.values(sync).map(({ port }) => port),
    handles: Object.values(served).map(({ handle }) => handle),
    wake() {
      for (const { buffer } of Object.values(served)) if (typeof buffer !== "string") wakeReader(buffer);
    },
    close() {
      for (const channel of Object.values(served)) channel.close();
    },
  };
}
