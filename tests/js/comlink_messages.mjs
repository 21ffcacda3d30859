// Runs one scripted conversation through the real Comlink 4.4.2 (wrap on one port, expose on the
// other) and prints every message each side posted, as JSON text, for a byte-for-byte comparison.
import * as Comlink from "comlink";

const sent = { requests: [], responses: [] };
const { port1, port2 } = new MessageChannel();
for (const [port, log] of [[port1, sent.requests], [port2, sent.responses]]) {
  const post = port.postMessage.bind(port);
  port.postMessage = (message, transfer) => {
    log.push(JSON.stringify(message));
    post(message, transfer);
  };
}

class Thing {
  constructor(n) { this.n = n; }
}
const target = {
  a: { b: [1, "two", { three: 3.5 }] },
  x: 0,
  add: (a, b) => a + b,
  fail: (message) => { throw new TypeError(message); },
  Thing,
};
Comlink.expose(target, port2);
const remote = Comlink.wrap(port1);

await remote.a.b;
await (remote.x = { k: [1, "s", true, "ü"] });
await remote.add(1, 2);
await remote.fail("boom").catch(() => {});
const thing = await new remote.Thing(3);
thing[Comlink.releaseProxy]();
const port = await remote[Comlink.createEndpoint]();
port.close();
remote[Comlink.releaseProxy]();
await new Promise((resolve) => setTimeout(resolve, 50));
console.log(JSON.stringify(sent));
process.exit(0);
