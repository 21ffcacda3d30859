// Blocking calls from Python in a Pyodide worker to JS objects exposed with the real Comlink.expose:
// the shim's host (comlink_py.shared.host_sync()) and a channel served here with serveSync.
import * as Comlink from "comlink";
import { fileURLToPath } from "node:url";
import { startPythonWorker } from "../../../js_shim/node.mjs";
import { relaySync, serveSync } from "../../../js_shim/sync_host.mjs";
import { check, sleep } from "./harness.mjs";

const SERVICE = fileURLToPath(new URL("../py/sync_service.py", import.meta.url));
const never = () => new Promise(() => {});

class Counter {
  constructor(start) {
    this.value = start;
  }

  inc() {
    return ++this.value;
  }
}

const host = {
  name: "host",
  nested: { deep: { value: 42 } },
  Counter,
  add: (a, b) => a + b,
  echo: (value) => value,
  async later(x) {
    await sleep(20);
    return x * 2;
  },
  fail() {
    throw new TypeError("bad input");
  },
  big: (size) => new Uint8Array(size).map((_, i) => i % 251).buffer,
  async walk(steps, onStep) {
    let total = 0;
    for (let step = 0; step < steps; step++) total += await onStep(step);
    return total;
  },
  makeCounter: () => Comlink.proxy(new Counter(0)),
  never,
  nothing: () => null,
  huge: () => 10n ** 20n,
  keep(onStep) {
    this.kept = onStep;
  },
  // A call of atoms only (the shortcut's shape) that calls back before it answers.
  async walkKept(steps) {
    return this.walk(steps, this.kept);
  },
};

const lines = ["Ada", "Lovelace"];
const py = startPythonWorker({ file: SERVICE, host, stdin: (prompt) => (lines.length ? `${lines.shift()} (${prompt})` : null) });
await py.ready;
const { remote } = py;

await check("sync.values", () => remote.values());
await check("sync.errors", () => remote.errors());
await check("sync.big", () => remote.big(64 << 20));
await check("sync.callbacks", () => remote.callbacks());
await check("sync.shortcut_taken", () => remote.shortcut_taken());
await check("sync.unshortcut", () => remote.unshortcut());
await check("sync.proxies", () => remote.proxies());
await check("sync.stdin", () => remote.stdin());
await check("sync.no_buffer", () => remote.no_buffer());
await check("sync.garbage", () => remote.garbage());
await check("sync.endpoints", () => remote.endpoints());

/** Start `method`, which blocks until interrupted, then interrupt it: whether the shim wrote the
 *  interrupt, how soon Python saw it (by the wall clock both sides share), and what it reported. */
async function interrupted(method) {
  const call = remote[method]();
  await sleep(300);
  const begun = Date.now();
  const signalled = py.interrupt();
  const [seen, ...rest] = await call;
  return { signalled, stoppedMs: seen - begun, rest };
}
await check("sync.interrupt", () => interrupted("interruptible"));

const served = serveSync(Comlink, { add: (a, b) => a + b, never });
await check("sync.buffer_type", () => remote.keep_channel(Comlink.transfer(served.port, [served.port]), served.buffer));
await check("sync.timeout", () => remote.timeout());
await check("sync.dead_peer", async () => {
  const blocked = remote.dead_peer();
  await sleep(300);
  served.close();
  return blocked;
});

// Python to Python: worker A calls worker B's comlink_py object blocking, relayed by this thread.
const peer = startPythonWorker({
  code: `
import asyncio
import comlink_py

class Peer:
    def add(self, a, b):
        return a + b

    def greet(self, name):
        return f"hello {name} from the other worker"

    async def never(self):
        await asyncio.Event().wait()

comlink_py.expose(Peer())
`,
});
await peer.ready;
const keep = async (channel) =>
  remote.keep_channel(Comlink.transfer(channel.port, [channel.port]), channel.buffer);
await check("sync.python_to_python", async () => {
  await keep(relaySync(await peer.remote[Comlink.createEndpoint]()));
  return remote.peer_calls();
});
await check("sync.peer_endpoint", async () => {
  await keep(relaySync(await peer.remote[Comlink.createEndpoint]()));
  return remote.peer_endpoint();
});
await check("sync.peer_interrupt", async () => {
  await keep(relaySync(await peer.remote[Comlink.createEndpoint]()));
  return interrupted("peer_interruptible");
});
await check("sync.peer_dies", async () => {
  await keep(relaySync(await peer.remote[Comlink.createEndpoint]()));
  const blocked = remote.peer_dies();
  await sleep(300);
  await peer.terminate();
  return blocked;
});

await py.terminate();
