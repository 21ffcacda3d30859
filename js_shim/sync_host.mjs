// The host's end of a synchronous channel (sync_worker.mjs is the worker's end). The worker posts
// Comlink requests here as usual; this side hands them to an object exposed with the real
// Comlink.expose, and writes the answers into a SharedArrayBuffer that the blocked worker reads.
//
// Messages from the worker are [sub-channel, message, far ends]: sub-channel 0 is the served
// object; a far end is a sub-channel the worker opened (a proxy() callback), for which this side
// makes a real MessageChannel and puts its port where the worker's message had the far end. Ports
// that come the other way (a Comlink.proxy the object returns) get sub-channel numbers of their
// own as they are written to shared memory. A message of the sub-channel alone closes it.
import { encode } from "./sync_codec.mjs";
import { MailboxWriter, mailboxBuffer } from "./sync_channel.mjs";

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
 * shared buffer's (optional). Returns { port, buffer, close }: give the worker `port` (transferred)
 * and `buffer`, which is the reason as a string where there is no SharedArrayBuffer (the worker's
 * first blocking call raises it); `close()` makes every blocked call fail at once.
 */
export function serveSync(Comlink, object, size) {
  const channel = new MessageChannel();
  const buffer = mailboxBuffer(size);
  if (buffer instanceof Error) return { port: channel.port2, buffer: buffer.message, close: () => channel.port1.close() };
  const writer = new MailboxWriter(buffer);
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
  sinks.set(0, exposedHere(Comlink, object, (message) => send(0, message)));
  channel.port1.addEventListener("message", ({ data }) => {
    const [id, message, refs] = data;
    const sink = sinks.get(id);
    if (sink === undefined) return;
    if (data.length === 1) {
      sinks.delete(id);
      sink.close();
      return;
    }
    for (const [path, sub] of refs) {
      const { port1, port2 } = new MessageChannel();
      attach(sub, port1);
      put(message, path, port2);
    }
    sink.post(message);
  });
  channel.port1.start();
  return {
    port: channel.port2,
    buffer,
    close() {
      writer.close();
      channel.port1.close();
      for (const sink of sinks.values()) sink.close();
      sinks.clear();
    },
  };
}

/**
 * The synchronous channels a starter (node.mjs, browser.mjs) gives its worker: `host` served to
 * comlink_py.shared.host_sync(), and `stdin(prompt) -> string | null` read by input() and
 * sys.stdin. Returns { sync, transfer, close }: `sync` goes to the worker with the ports in
 * `transfer`; `close()` ends them (blocked calls fail at once).
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
    close() {
      for (const channel of Object.values(served)) channel.close();
    },
  };
}
